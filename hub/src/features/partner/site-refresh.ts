// Refreshing the site registry from the partner network: page through its whole site list, map each
// site to the registry's record (free compartments counted on online devices only), and hand the
// list to refreshNetwork, which upserts idempotently and retires the sites the partner no longer
// lists. Progress is reported after every page fetched and every batch written. A partner failure
// fails the run; the job around it retries with backoff (a run starts again from page one, and
// writes nothing that is already so).
import { PARTNER_SIZES, siteFreeBySize, type PartnerSite } from '@xinbao/protocol';
import type { PartnerNetworkClient } from '../../integrations/partner-network.js';
import type { Db } from '../../store/db.js';
import { refreshNetwork, type ImportProgress, type ImportReport, type PartnerSiteRecord } from '../sites/registry.js';

export interface SiteRefreshProgress {
  phase: 'fetching' | 'importing' | 'done';
  pagesFetched: number;
  /** known after the first page */
  pages: number | null;
  sitesFetched: number;
  total: number | null;
  import: ImportProgress | null;
}

export interface SiteRefreshReport extends ImportReport {
  network: string;
  pages: number;
  fetched: number;
}

export const SITE_PAGE_SIZE = 500;

export function toSiteRecord(network: string, site: PartnerSite): PartnerSiteRecord {
  const free = siteFreeBySize(site);
  return {
    network,
    externalId: site.siteId,
    name: site.name,
    address: site.address,
    district: site.district,
    lat: site.lat,
    lng: site.lng,
    online: site.status === 'online',
    capacity: PARTNER_SIZES.map((size) => ({
      size,
      total: site.devices.reduce((n, d) => n + d.compartments[size].total, 0),
      free: free[size],
    })),
    updatedAt: site.updatedAt,
  };
}

export async function refreshPartnerSites(
  deps: { db: Db; client: Pick<PartnerNetworkClient, 'listSites'>; network: string; now: () => Date },
  report: (p: SiteRefreshProgress) => void,
  pageSize = SITE_PAGE_SIZE,
): Promise<SiteRefreshReport> {
  const sites: PartnerSite[] = [];
  let pages = 0;
  let total: number | null = null;
  for (let page = 1; ; page++) {
    const p = await deps.client.listSites({ page, pageSize });
    sites.push(...p.sites);
    pages = page;
    total = p.total;
    const pageCount = Math.max(1, Math.ceil(p.total / pageSize));
    report({ phase: 'fetching', pagesFetched: page, pages: pageCount, sitesFetched: sites.length, total, import: null });
    if (p.sites.length === 0 || page >= pageCount) break;
  }
  const records = sites.map((s) => toSiteRecord(deps.network, s));
  const progress = (ip: ImportProgress) =>
    report({ phase: 'importing', pagesFetched: pages, pages, sitesFetched: sites.length, total, import: ip });
  const result = await refreshNetwork(deps.db, deps.network, records, { onProgress: progress, now: deps.now() });
  report({ phase: 'done', pagesFetched: pages, pages, sitesFetched: sites.length, total, import: null });
  return { ...result, network: deps.network, pages, fetched: sites.length };
}
