// The sites slice's HTTP edge. GET /api/sites: every live site with its free compartments per size.
// GET /api/sites/nearby: sites within a radius of a coordinate or of an address looked up in the
// city's gazetteer, nearest first, own and partner sites together, with free compartments per size.
// GET /api/config/web: what the web app's locker map needs from the configuration (ADR 0035).
import { Router } from 'express';
import { z } from 'zod';
import type { Gazetteer, GazetteerHit } from '../../domain/gazetteer.js';
import { LOCKER_SIZES, NEARBY_DEFAULT_LIMIT, NEARBY_MAX_LIMIT, NEARBY_MAX_RADIUS_M } from '../../domain/nearby.js';
import { HubError } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { requireRole } from '../auth/auth.js';
import { handle, parse } from '../../http/middleware.js';
import { op, query, type ApiPaths } from '../../http/openapi.js';
import { accessibleFreeOf, findNearbySites, listSites } from './store.js';

export interface SiteRouteDeps {
  db: Db;
  gazetteer: Gazetteer;
  /** the radius when the request gives none (NEARBY_RADIUS_M) */
  nearbyRadiusM: number;
  /** the web app's map: the tile URL template (null: none, the page draws its schematic) and attribution */
  webMap: { tileUrl: string | null; tileAttribution: string };
}

const decimal = z
  .string()
  .trim()
  .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)$/, 'must be a decimal number of degrees')
  .transform(Number);
const whole = z
  .string()
  .trim()
  .regex(/^\d{1,9}$/, 'must be a whole number')
  .transform(Number);

export const NearbyParams = z
  .strictObject({
    lat: decimal.optional().describe('latitude of the centre, WGS84 degrees; with lng, instead of address'),
    lng: decimal.optional().describe('longitude of the centre, WGS84 degrees; with lat, instead of address'),
    address: z.string().trim().min(1).max(200).optional().describe('an address or place name in the city, instead of lat/lng'),
    radiusM: whole.pipe(z.number().min(1).max(NEARBY_MAX_RADIUS_M)).optional().describe('metres; default NEARBY_RADIUS_M (5000)'),
    size: z.enum(LOCKER_SIZES).optional().describe('only sites with a free compartment of this size or larger'),
    limit: whole
      .pipe(z.number().min(1).max(NEARBY_MAX_LIMIT))
      .optional()
      .describe(`at most this many sites (default ${NEARBY_DEFAULT_LIMIT})`),
  })
  .superRefine((p, ctx) => {
    const coordinate = p.lat !== undefined || p.lng !== undefined;
    if (coordinate && p.address !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'give either lat and lng or an address, not both' });
    } else if (!coordinate && p.address === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give lat and lng, or an address' });
    } else if (coordinate && (p.lat === undefined || p.lng === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [p.lat === undefined ? 'lat' : 'lng'],
        message: 'lat and lng go together; this one is missing',
      });
    }
    if (p.lat !== undefined && Math.abs(p.lat) > 90) {
      const swapped = p.lng !== undefined && Math.abs(p.lng) <= 90 && Math.abs(p.lat) <= 180;
      ctx.addIssue({ code: 'custom', path: ['lat'], message: `must be between -90 and 90${swapped ? ' (are lat and lng swapped?)' : ''}` });
    }
    if (p.lng !== undefined && Math.abs(p.lng) > 180)
      ctx.addIssue({ code: 'custom', path: ['lng'], message: 'must be between -180 and 180' });
    if (p.lat === 0 && p.lng === 0)
      ctx.addIssue({ code: 'custom', path: ['lat'], message: '0,0 is where a missing location ends up, not a place to search' });
  });

export interface NearbyCenter {
  lat: number;
  lng: number;
  from: 'coordinate' | 'address';
  place?: { id: string; name: string; kind: GazetteerHit['place']['kind']; district: string; matched: string; how: GazetteerHit['how'] };
}

export const sitesApi: ApiPaths = {
  '/api/config/web': {
    get: op(
      "The web app's map settings (ADR 0035): map.tileUrl, a Leaflet tile URL template or null when none is configured (TILE_URL; the page then draws a schematic of the sites), map.tileAttribution, and map.nearbyRadiusM, the radius of the nearby search",
      'anyone',
    ),
  },
  '/api/sites': {
    get: op(
      'Locker sites with free compartments per size, and accessibleFree (free accessible, low, compartments; null at a partner site)',
      'any signed-in role',
    ),
  },
  '/api/sites/nearby': {
    get: op(
      'Own and partner sites within radiusM of lat/lng or of an address (looked up in the city gazetteer), nearest first, with free compartments per size and, at own kiosks, accessibleFree (free accessible, low, compartments; null at a partner site); 404 address_not_found says what was tried',
      'any signed-in role',
      { parameters: query(NearbyParams) },
    ),
  },
};

export function siteRoutes(deps: SiteRouteDeps): Router {
  const r = Router();

  r.get(
    '/config/web',
    handle(async (_req, res) => {
      res.json({ map: { tileUrl: deps.webMap.tileUrl, tileAttribution: deps.webMap.tileAttribution, nearbyRadiusM: deps.nearbyRadiusM } });
    }),
  );

  r.get(
    '/sites',
    requireRole('applicant', 'staff', 'courier', 'admin'),
    handle(async (_req, res) => {
      res.json({ sites: await listSites(deps.db) });
    }),
  );

  r.get(
    '/sites/nearby',
    requireRole('applicant', 'staff', 'courier', 'admin'),
    handle(async (req, res) => {
      const p = parse(NearbyParams, req.query, 'query');
      let center: NearbyCenter;
      if (p.address !== undefined) {
        const found = deps.gazetteer.lookup(p.address);
        if (!found.ok) {
          const hint = found.suggestions.length > 0 ? `; did you mean ${found.suggestions.map((s) => s.name).join(', ')}?` : '';
          throw new HubError(404, 'address_not_found', `no place in the ${deps.gazetteer.city} gazetteer matches "${p.address}"${hint}`, {
            query: found.query,
            tried: found.tried,
            suggestions: found.suggestions,
          });
        }
        const { place } = found;
        center = {
          lat: place.lat,
          lng: place.lng,
          from: 'address',
          place: { id: place.id, name: place.name, kind: place.kind, district: place.district, matched: found.matched, how: found.how },
        };
      } else {
        center = { lat: p.lat!, lng: p.lng!, from: 'coordinate' };
      }
      const radiusM = p.radiusM ?? deps.nearbyRadiusM;
      const found = await findNearbySites(deps.db, { center, radiusM, size: p.size, limit: p.limit ?? NEARBY_DEFAULT_LIMIT });
      // Own kiosks say how many accessible (low) compartments are free (ADR 0033); a partner's cannot.
      const own = found.filter((s) => s.network === 'own').map((s) => s.id);
      const low = own.length > 0 ? await accessibleFreeOf(deps.db, own) : new Map<string, number>();
      const sites = found.map((s) => ({ ...s, accessibleFree: s.network === 'own' ? (low.get(s.id) ?? 0) : null }));
      res.json({ center, radiusM, sites });
    }),
  );

  return r;
}
