// The partner drop-off as an application shows it, and the admin's routes for the partner's site
// registry: POST /api/admin/partner/sites/refresh queues a refresh and answers its job id;
// GET /api/admin/partner/sites/refresh/:jobId says how far it got (state, progress, result).
import { Router } from 'express';
import { z } from 'zod';
import { partnerDropOff, type PartnerDropOff } from '../../domain/partner-locker.js';
import { NotFound } from '../../errors.js';
import { handle, parse } from '../../http/middleware.js';
import type { Db } from '../../store/db.js';
import type { Parcel } from '../../store/parcels.js';
import { currentUser, requireRole } from '../auth/auth.js';
import type { OpenCodeCipher } from './open-code.js';
import { PartnerNotConfigured, type PartnerRuntime } from './runtime.js';
import { findReservation } from './store.js';

/** The drop-off of a parcel bound for a partner locker; the open-code only when `showCode` (its applicant). */
export async function partnerDropOffOf(db: Db, cipher: OpenCodeCipher, parcel: Pick<Parcel, 'id' | 'state'>, opts: { now: Date; showCode: boolean }): Promise<PartnerDropOff | null> {
  const row = await findReservation(db, parcel.id);
  if (!row) return null;
  const site = (await db.query<{ id: string; name: string; address: string }>('SELECT id, name, address FROM sites WHERE id = $1', [row.siteId])).rows[0]!;
  const code = opts.showCode && row.openCodeEnc !== null ? cipher.open(parcel.id, row.openCodeEnc) : null;
  return partnerDropOff(parcel.state, row, site, opts.now, code);
}

const JobIdParam = z.string().regex(/^refresh-[0-9a-f-]{36}$/, 'a job id from POST /api/admin/partner/sites/refresh');

export function partnerAdminRoutes(deps: { partner: PartnerRuntime | null }): Router {
  const r = Router();
  const runtime = (): PartnerRuntime => {
    if (!deps.partner) throw new PartnerNotConfigured('partner site refreshes');
    return deps.partner;
  };

  r.post('/admin/partner/sites/refresh', requireRole('admin'), handle(async (req, res) => {
    const jobId = await runtime().enqueueRefresh('admin', currentUser(req).id);
    res.status(202).json({ jobId, status: `/api/admin/partner/sites/refresh/${jobId}` });
  }));

  r.get('/admin/partner/sites/refresh/:jobId', requireRole('admin'), handle(async (req, res) => {
    const jobId = parse(JobIdParam, req.params.jobId, 'job id');
    const queue = runtime().queue;
    // The state first: the job read after it is at least as far along (a job read first could
    // complete before its state is asked, and show `completed` without its result).
    const state = await queue.getJobState(jobId);
    const job = await queue.getJob(jobId);
    if (!job || job.data.kind !== 'refresh') throw new NotFound(`refresh job ${jobId}`);
    res.json({
      jobId,
      state,
      attemptsMade: job.attemptsMade,
      progress: job.progress,
      ...(state === 'completed' && { result: job.returnvalue as unknown }),
      ...(job.failedReason && { failedReason: job.failedReason }),
    });
  }));

  return r;
}
