// The applications slice's HTTP edge: the service matters (GET /api/matters), applying
// (POST /api/applications, at an own kiosk or a partner locker), following an application
// (GET /api/applications/:id) and tracking a parcel by its number (GET /api/parcels/:trackingNumber).
// An applicant learns nothing about other people's applications or parcels, not even that they exist.
import { Router } from 'express';
import QRCode from 'qrcode';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import type { OpenDepositLimits } from '../../domain/open-deposits.js';
import { NotFound } from '../../errors.js';
import { handle, parse } from '../../http/middleware.js';
import { body, op, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { custodyLog, findParcelByTrackingNumber } from '../../store/parcels.js';
import { currentUser, requireRole } from '../auth/auth.js';
import type { CodeKeys } from '../codes/service.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { partnerDropOffOf } from '../partner/reservations.js';
import { PartnerNotConfigured, type PartnerRuntime } from '../partner/runtime.js';
import {
  CreateApplicationBody,
  createApplication,
  createResultOnlyApplication,
  createPartnerApplication,
  getApplication,
} from './service.js';
import { applicantOf, listMatters } from './store.js';

export interface ApplicationRouteDeps {
  db: Db;
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  now: () => Date;
  /** the partner locker network; null when none is configured */
  partner: PartnerRuntime | null;
  openCodes: OpenCodeCipher;
  log: Logger;
  /** how many reservations one applicant may hold open, per site and overall */
  openDeposits: OpenDepositLimits;
}

const UuidParam = z.string().uuid();

export const applicationsApi: ApiPaths = {
  '/api/matters': { get: op('Service matters and their materials', 'anyone') },
  '/api/applications': {
    post: op(
      'Apply. returnChannel (own_kiosk at a site, partner_locker at a partner site, mail to an address, counter; default counter) is how the result comes back (partner_locker: 409 partner_not_configured when this hub has no partner network). dropOff none (a matter with no paper in): only the application is created. own_kiosk: reserves a compartment and returns the deposit code once (it expires after DEPOSIT_CODE_TTL_HOURS: the parcel becomes deposit_expired and the application shows a notice). 409 open_deposits_at_site / open_deposits when the applicant already holds the most open reservations allowed. partner_locker: the parcel starts reserving and the hub reserves at the partner in the background; follow dropOff on GET /api/applications/{id}. 409 partner_not_configured when this hub has no partner network',
      'applicant',
      { requestBody: body(CreateApplicationBody) },
    ),
  },
  '/api/applications/{id}': {
    get: op(
      'An application with its parcels, custody events and notices (e.g. deposit_code_expired with whatNext); for a partner locker also dropOff: reserving (attempts, lastError), ready (the partner open-code — to the applicant only — compartment, expiresAt), failed or expired (reason, whatNext), deposited, collected',
      'its applicant, staff, admin',
    ),
  },
  '/api/parcels/{trackingNumber}': { get: op('A parcel and its tracking (custody) events', 'its applicant, staff, admin') },
};

export function applicationRoutes(deps: ApplicationRouteDeps): Router {
  const r = Router();
  const { db } = deps;

  r.get(
    '/matters',
    handle(async (_req, res) => {
      res.json({ matters: await listMatters(db) });
    }),
  );

  r.post(
    '/applications',
    requireRole('applicant'),
    handle(async (req, res) => {
      const b = parse(CreateApplicationBody, req.body);
      if (b.returnChannel?.channel === 'partner_locker' && !deps.partner) throw new PartnerNotConfigured('results in partner lockers');
      if (b.dropOff.channel === 'none') {
        res.status(201).json(await createResultOnlyApplication(db, currentUser(req), { ...b, dropOff: b.dropOff }, deps.now()));
        return;
      }
      if (b.dropOff.channel === 'partner_locker') {
        const partner = deps.partner;
        if (!partner) throw new PartnerNotConfigured();
        const created = await createPartnerApplication(
          db,
          partner.config.network,
          currentUser(req),
          { ...b, dropOff: b.dropOff },
          deps.now(),
          deps.openDeposits,
        );
        // Queued after the commit; if Redis is away now, the partner sweep queues it later.
        await partner
          .enqueueReserve(created.parcel.id)
          .catch((err: unknown) =>
            deps.log.warn(
              { parcelId: created.parcel.id, err: err instanceof Error ? err.message : String(err) },
              'reservation job not queued yet',
            ),
          );
        const dropOff = await partnerDropOffOf(db, deps.openCodes, created.parcel, { now: deps.now(), showCode: true });
        res.status(201).json({ ...created, dropOff });
        return;
      }
      const created = await createApplication(
        db,
        deps.keys,
        deps.lifetimes,
        currentUser(req),
        { ...b, dropOff: b.dropOff },
        deps.now(),
        deps.openDeposits,
      );
      const qrSvg = await QRCode.toString(created.deposit.qrToken, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
      res.status(201).json({
        ...created,
        deposit: {
          ...created.deposit,
          qrSvg,
          instructions: `Go to ${created.site.name}, enter ${created.deposit.code} and then ${
            created.deposit.factor.kind === 'phone' ? 'the last 6 digits of your phone number' : `the PIN ${created.deposit.factor.pin}`
          }, or scan the QR code; compartment ${created.compartment} opens.`,
        },
      });
    }),
  );

  r.get(
    '/applications/:id',
    requireRole('applicant', 'staff', 'admin'),
    handle(async (req, res) => {
      const id = parse(UuidParam, req.params.id, 'application id');
      const app = await getApplication(db, id);
      const user = currentUser(req);
      if (!app || (user.role === 'applicant' && app.applicantId !== user.id)) throw new NotFound('application');
      if (app.channelIn !== 'partner_locker') {
        res.json({ application: app });
        return;
      }
      // The partner's open-code goes to its applicant only, and only while it opens the compartment.
      const inbound = app.parcels.find((p) => p.direction === 'inbound');
      const dropOff = inbound
        ? await partnerDropOffOf(db, deps.openCodes, inbound, { now: deps.now(), showCode: user.id === app.applicantId })
        : null;
      res.json({ application: { ...app, dropOff } });
    }),
  );

  r.get(
    '/parcels/:trackingNumber',
    requireRole('applicant', 'staff', 'admin'),
    handle(async (req, res) => {
      const tn = String(req.params.trackingNumber).toUpperCase();
      const parcel = await findParcelByTrackingNumber(db, tn);
      const user = currentUser(req);
      if (!parcel) throw new NotFound(`parcel ${tn}`);
      if (user.role === 'applicant' && (await applicantOf(db, parcel.applicationId)) !== user.id) throw new NotFound(`parcel ${tn}`);
      res.json({ parcel, events: await custodyLog(db, parcel.id) });
    }),
  );

  return r;
}
