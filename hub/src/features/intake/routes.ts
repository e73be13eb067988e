// The intake slice's HTTP edge: POST /api/intake/scans, the hall's desk scanning envelopes in
// (issue 11; the answer for every case is in service.ts), and the older POST /api/intake/receive,
// which now scans through the same service and answers as it always did (200, or 404/409).
import { Router } from 'express';
import { z } from 'zod';
import { ENVELOPE_CONDITIONS } from '../../domain/intake-scan.js';
import { Conflict, NotFound } from '../../errors.js';
import { handle, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { currentUser, requireRole } from '../auth/auth.js';
import type { OrderToSend } from '../results/service.js';
import { scanAtIntake } from './service.js';

const TrackingNumber = z.string().trim().toUpperCase().min(1).max(64);

export const ReceiveBody = z.strictObject({ trackingNumber: TrackingNumber });

export const ScanBody = z
  .object({
    trackingNumber: TrackingNumber,
    condition: z.enum(ENVELOPE_CONDITIONS).default('ok'),
    note: z.string().max(500).optional(),
  })
  .strict();

export const intakeApi: ApiPaths = {
  '/api/intake/scans': {
    post: op(
      'Scan an envelope in at the hall: received (201), already received (200, nothing written), unannounced (201, recorded and flagged) or refused (200, with why)',
      'staff',
      { requestBody: body(ScanBody) },
    ),
  },
  '/api/intake/receive': {
    post: op('Receive a parcel at the hall into the processing queue (older form of /api/intake/scans)', 'staff', {
      requestBody: body(ReceiveBody),
    }),
  },
};

export function intakeRoutes(deps: {
  db: Db;
  now: () => Date;
  /** sends a result's courier order once the scan that opened it has committed (a result back from a locker, to be mailed) */
  send: (o: OrderToSend) => Promise<void>;
}): Router {
  const r = Router();
  r.post(
    '/intake/scans',
    requireRole('staff'),
    handle(async (req, res) => {
      const scan = parse(ScanBody, req.body);
      const { toSend, ...answer } = await scanAtIntake(deps.db, scan, currentUser(req).id, deps.now());
      if (toSend) await deps.send(toSend);
      res.status(answer.recorded && (answer.result === 'received' || answer.result === 'unannounced') ? 201 : 200).json(answer);
    }),
  );
  r.post(
    '/intake/receive',
    requireRole('staff'),
    handle(async (req, res) => {
      const { trackingNumber } = parse(ReceiveBody, req.body);
      const { toSend, ...answer } = await scanAtIntake(deps.db, { trackingNumber, condition: 'ok' }, currentUser(req).id, deps.now());
      if (toSend) await deps.send(toSend);
      if (answer.result === 'received') return void res.json({ parcel: answer.parcel, queue: 'processing' });
      if (!answer.parcel) throw new NotFound(`parcel ${trackingNumber}`);
      throw new Conflict('illegal_transition', answer.message, { state: answer.parcel.state, result: answer.result });
    }),
  );
  return r;
}
