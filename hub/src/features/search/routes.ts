// The search slice's HTTP edge (ADR 0034): staff and operators look an application up by what the
// person at the counter or on the phone has — a tracking number, an application number, a phone
// number or its last four digits. Each search is logged with who asked and what kind of query it
// was; a phone number never in clear.
import { Router } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { handle, parse } from '../../http/middleware.js';
import { op, query, type ApiPaths } from '../../http/openapi.js';
import { requestLog } from '../../http/request-context.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import { loggedQuery, search, searchQueryOf } from './service.js';

export const SearchParams = z.strictObject({
  q: z
    .string()
    .trim()
    .min(1, 'type what to search for')
    .max(64, 'at most 64 characters')
    .describe('a tracking number (XB…), an application number, a mobile number (11 digits) or its last 4 digits'),
});

export const searchApi: ApiPaths = {
  '/api/search': {
    get: op(
      'Find applications by a tracking number, an application number, or the applicant’s phone (in full or its last 4 digits): at most 20, the newest first, with their parcels; names and phones masked. 400 bad_query, bad_check_digit',
      'staff, admin',
      { parameters: query(SearchParams) },
    ),
  },
};

export function searchRoutes(deps: { db: Db; log: Logger }): Router {
  const r = Router();
  r.get(
    '/search',
    requireRole('staff', 'admin'),
    handle(async (req, res) => {
      const q = searchQueryOf(parse(SearchParams, req.query, 'query').q);
      const found = await search(deps.db, q);
      requestLog(res, deps.log).info(
        { by: currentUser(req).id, kind: q.kind, query: loggedQuery(q), results: found.results.length },
        'staff search',
      );
      res.json(found);
    }),
  );
  return r;
}
