// The applications slice's HTTP edge: the service matters (GET /api/matters), applying
// (POST /api/applications, with the materials and the channels in and out), following an application
// (GET /api/applications/:id) and tracking a parcel by its number (GET /api/parcels/:trackingNumber).
// An applicant learns nothing about other people's applications or parcels, not even that they exist.
import { Router } from 'express';
import QRCode from 'qrcode';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PartnerNotConfigured } from '../partner/runtime.js';
import type { CodeLifetimes } from '../../domain/access-codes.js';
import type { OpenDepositLimits } from '../../domain/open-deposits.js';
import { NotFound } from '../../errors.js';
import { handle, parse } from '../../http/middleware.js';
import { body, op, query, type ApiPaths } from '../../http/openapi.js';
import type { Db } from '../../store/db.js';
import { custodyLog, findParcelByTrackingNumber } from '../../store/parcels.js';
import { currentUser, requireRole } from '../auth/auth.js';
import type { CodeKeys } from '../codes/service.js';
import type { OpenCodeCipher } from '../partner/open-code.js';
import { partnerDropOffOf } from '../partner/reservations.js';
import type { PartnerRuntime } from '../partner/runtime.js';
import { CreateApplicationBody, depositCodeOf, getApplication, submitApplication } from './service.js';
import { depositResendsLeft, resultActionsOf, type CollectPolicy, type ResultActions } from '../collect/service.js';
import type { DropOffDeps, StartedDropOff } from './drop-off.js';
import { applicantOf, applicationsOf, listMatters } from './store.js';

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
  /** resends and more time to collect (ADR 0033): the application's view says what is left */
  collect?: CollectPolicy;
  /** queues the courier order of documents collected from the applicant's address (ADR 0037); the courier sweep catches any left */
  orderAddressPickup?: (parcelId: string) => Promise<void>;
}

const UuidParam = z.string().uuid();

export const MyApplicationsParams = z.strictObject({
  before: z.string().uuid().optional().describe('the next page: the applications older than this one (its id, e.g. nextBefore)'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().min(1).max(50))
    .optional()
    .describe('at most this many (default 20, at most 50)'),
});

export const applicationsApi: ApiPaths = {
  '/api/matters': {
    get: op(
      'The catalogue of service matters: materials (core or not), channelsIn, channelsOut, paperIn, prereview (staff or rules)',
      'anyone',
    ),
  },
  '/api/applications': {
    post: op(
      'Apply with the materials being sent (codes from GET /api/matters), how the paper goes in (dropOff: own_kiosk or partner_locker at a site, courier_pickup from an address, counter, or none) and how the result comes back (returnChannel: own_kiosk at a site, partner_locker at a partner site, mail to an address, counter; default counter), each checked against the matter (400 unknown_material, duplicate_material, channel_not_allowed). The application waits for pre-review (prereview pending; GET /api/prereview) unless the matter passes by rules and every core material is declared (prereview passed, recorded as by the rules). No compartment is reserved and no deposit code exists before the pass: the pass reserves and issues it, the code goes to the notices outbox sealed and shows on GET /api/applications/{id} (deposit) to the applicant while it is valid (it expires after DEPOSIT_CODE_TTL_HOURS: the parcel becomes deposit_expired). 409 open_deposits_at_site / open_deposits when the applicant already holds the most open reservations allowed; 409 partner_not_configured when this hub has no partner network',
      'applicant',
      { requestBody: body(CreateApplicationBody) },
    ),
  },
  '/api/applications/{id}': {
    get: op(
      'An application with its parcels, custody events, notices (e.g. deposit_code_expired with whatNext), its pre-review (prereview, prereviewSteps with every one-time notice as issued, commitment for 容缺受理) and, to its applicant while it opens the compartment, the deposit code (deposit: code, qrToken, factor, expiresAt); for a partner locker also dropOff: reserving (attempts, lastError), ready (the partner open-code — to the applicant only — compartment, expiresAt), failed or expired (reason, whatNext), deposited, collected; result (ADR 0033, null before there is one): parcelId, state, holdUntil, extensionsLeft, resendsLeft, delegate (masked, or null), delegateSupported; deposit.resendsLeft',
      'its applicant, staff, admin',
    ),
  },
  '/api/me/applications': {
    get: op(
      "The signed-in applicant's own applications, newest first: id, matter (code, name, nameEn), status, prereview, createdAt and each parcel's trackingNumber, direction and state; nextBefore names the next page (null on the last). 404 when before is not one of theirs",
      'applicant',
      { parameters: query(MyApplicationsParams) },
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
      const created = await submitApplication(db, dropOffDeps(deps), currentUser(req), b, deps.now());
      await queueAfterPass(deps, created.passed);
      res.status(201).json(created);
    }),
  );

  r.get(
    '/me/applications',
    requireRole('applicant'),
    handle(async (req, res) => {
      const q = parse(MyApplicationsParams, req.query, 'query');
      const limit = q.limit ?? 20;
      // One more than asked: whether there is a next page.
      const rows = await applicationsOf(db, currentUser(req).id, { before: q.before ?? null, limit: limit + 1 });
      if (!rows) throw new NotFound('application');
      const page = rows.slice(0, limit);
      res.json({ applications: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null });
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
      // The result's actions (ADR 0033): until when it waits, what is left of the extensions and resends, the delegate (masked).
      const outbound = app.parcels.find((p) => p.direction === 'outbound');
      const result: ResultActions | null = outbound && deps.collect ? await resultActionsOf(db, deps.collect, outbound, deps.now()) : null;
      if (app.channelIn !== 'partner_locker') {
        // The deposit code, to its applicant only, while it opens the compartment (ADR 0027).
        const deposit = user.id === app.applicantId ? await depositCodeOf(db, deps.openCodes, app.id, deps.now()) : null;
        const qrSvg = deposit?.qrToken
          ? await QRCode.toString(deposit.qrToken, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
          : undefined;
        const inbound = app.parcels.find((p) => p.direction === 'inbound');
        const resendsLeft = deposit && inbound && deps.collect ? await depositResendsLeft(db, deps.collect, inbound.id, deps.now()) : 0;
        res.json({ application: { ...app, deposit: deposit && { ...deposit, resendsLeft, ...(qrSvg && { qrSvg }) }, result } });
        return;
      }
      // The partner's open-code goes to its applicant only, and only while it opens the compartment.
      const inbound = app.parcels.find((p) => p.direction === 'inbound');
      const dropOff = inbound
        ? await partnerDropOffOf(db, deps.openCodes, inbound, { now: deps.now(), showCode: user.id === app.applicantId })
        : null;
      res.json({ application: { ...app, dropOff, result } });
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

/** What the drop-off needs from the route's dependencies. */
export function dropOffDeps(deps: ApplicationRouteDeps): DropOffDeps {
  return {
    keys: deps.keys,
    lifetimes: deps.lifetimes,
    cipher: deps.openCodes,
    openDeposits: deps.openDeposits,
    partnerNetwork: deps.partner?.config.network ?? null,
  };
}

/** What a pass started that runs after its commit: a partner reservation, an address pickup's courier order. */
export async function queueAfterPass(
  deps: Pick<ApplicationRouteDeps, 'partner' | 'log' | 'orderAddressPickup'>,
  started: StartedDropOff | null,
): Promise<void> {
  if (!started?.parcel) return;
  if (started.reserveAtPartner) await queueReservation(deps, started.parcel.id);
  if (started.orderCourier) {
    const parcelId = started.parcel.id;
    // If Redis is away now, the courier sweep finds the parcel still pickup_requested and queues it.
    await deps
      .orderAddressPickup?.(parcelId)
      .catch((err: unknown) =>
        deps.log.warn({ parcelId, err: err instanceof Error ? err.message : String(err) }, 'address pickup job not queued yet'),
      );
  }
}

/** Queues a partner reservation after the commit; if Redis is away now, the partner sweep queues it later. */
export async function queueReservation(deps: Pick<ApplicationRouteDeps, 'partner' | 'log'>, parcelId: string): Promise<void> {
  await deps.partner
    ?.enqueueReserve(parcelId)
    .catch((err: unknown) =>
      deps.log.warn({ parcelId, err: err instanceof Error ? err.message : String(err) }, 'reservation job not queued yet'),
    );
}
