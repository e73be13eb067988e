// The search slice's SQL: applications found by one of their parcels' tracking numbers, by their
// id, or by their applicant's phone (in full or its last four digits, both indexed by migration
// 021), newest first, each with its parcels.
import type { SearchQuery } from '../../domain/search.js';
import type { Db } from '../../store/db.js';

export interface FoundApplication {
  applicationId: string;
  matterCode: string;
  matterName: string;
  matterNameEn: string | null;
  applicantName: string;
  applicantPhone: string | null;
  status: string;
  prereview: string;
  parcels: Array<{ trackingNumber: string; direction: string; state: string }>;
  createdAt: Date;
}

const WHERE: Record<SearchQuery['kind'], string> = {
  tracking_number: 'a.id IN (SELECT application_id FROM parcels WHERE tracking_number = $1)',
  application: 'a.id = $1::uuid',
  phone: 'u.phone = $1',
  phone_last4: 'u.phone IS NOT NULL AND right(u.phone, 4) = $1',
};

export async function findApplications(db: Db, q: SearchQuery, limit: number): Promise<FoundApplication[]> {
  const r = await db.query<FoundApplication>(
    `SELECT a.id AS "applicationId", m.code AS "matterCode", m.name AS "matterName", m.name_en AS "matterNameEn",
       u.display_name AS "applicantName", u.phone AS "applicantPhone", a.status, a.prereview, a.created_at AS "createdAt",
       coalesce((SELECT json_agg(json_build_object('trackingNumber', p.tracking_number, 'direction', p.direction, 'state', p.state)
                                 ORDER BY p.created_at, p.id)
                   FROM parcels p WHERE p.application_id = a.id), '[]') AS parcels
     FROM applications a JOIN service_matters m ON m.id = a.matter_id JOIN users u ON u.id = a.applicant_id
     WHERE ${WHERE[q.kind]}
     ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
    [q.value, limit],
  );
  return r.rows;
}
