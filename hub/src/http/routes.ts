// The hub's REST API. Every route names who may call it; input is parsed with zod; errors take the
// shape { error: { code, message, details? } }.
import { createPublicKey } from 'node:crypto';
import { Router } from 'express';
import QRCode from 'qrcode';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { isValidTrackingNumber } from '../domain/tracking-number.js';
import { BadRequest, NotFound, Unauthorized } from '../errors.js';
import { currentUser, requireRole, signIn } from '../features/auth/auth.js';
import { CreateApplicationBody, createApplication, createPartnerApplication, getApplication } from '../features/applications/service.js';
import type { CodeKeys } from '../features/codes/service.js';
import type { CodeLifetimes } from '../domain/access-codes.js';
import { withTransaction, type Db } from '../store/db.js';
import type { Gazetteer } from '../domain/gazetteer.js';
import { siteRoutes } from '../features/sites/routes.js';
import type { OpenCodeCipher } from '../features/partner/open-code.js';
import { partnerAdminRoutes, partnerDropOffOf } from '../features/partner/routes.js';
import { PartnerNotConfigured, type PartnerRuntime } from '../features/partner/runtime.js';
import { custodyLog, findParcelByTrackingNumber, lockParcelByTrackingNumber, moveParcel } from '../store/parcels.js';
import type { Logger } from 'pino';
import { handle, parse } from './middleware.js';

export interface RouteDeps {
  db: Db;
  keys: CodeKeys;
  lifetimes: CodeLifetimes;
  sessionTtlHours: number;
  now: () => Date;
  gazetteer: Gazetteer;
  nearbyRadiusM: number;
  /** the partner locker network; null when none is configured */
  partner: PartnerRuntime | null;
  openCodes: OpenCodeCipher;
  log: Logger;
}

export const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
export const ReceiveBody = z.object({ trackingNumber: z.string().trim().toUpperCase() });
export const RegisterKioskBody = z.object({ siteId: z.string().uuid(), publicKey: z.string().min(40).max(4096), label: z.string().min(1).max(100) });
const UuidParam = z.string().uuid();

export function apiRoutes(deps: RouteDeps): Router {
  const r = Router();
  const { db } = deps;

  r.post('/auth/login', handle(async (req, res) => {
    const body = parse(LoginBody, req.body);
    const session = await signIn(db, body.username, body.password, deps.now(), deps.sessionTtlHours);
    if (!session) throw new Unauthorized('wrong username or password');
    res.json(session);
  }));

  r.get('/me', requireRole('applicant', 'staff', 'courier', 'admin'), (req, res) => {
    res.json({ user: currentUser(req) });
  });

  r.get('/matters', handle(async (_req, res) => {
    const m = await db.query(`SELECT code, name, materials, channels, parcel_size AS "parcelSize" FROM service_matters ORDER BY code`);
    res.json({ matters: m.rows });
  }));

  r.get('/sites', requireRole('applicant', 'staff', 'courier', 'admin'), handle(async (_req, res) => {
    const s = await db.query(
      `SELECT s.id, s.network, s.code, s.name, s.address, s.district, s.lat, s.lng, s.online,
         jsonb_build_object(
           'S', count(*) FILTER (WHERE k.state = 'free' AND k.size = 'S'),
           'M', count(*) FILTER (WHERE k.state = 'free' AND k.size = 'M'),
           'L', count(*) FILTER (WHERE k.state = 'free' AND k.size = 'L')) AS "freeBySize"
       FROM sites s LEFT JOIN compartments k ON k.site_id = s.id WHERE s.retired_at IS NULL GROUP BY s.id ORDER BY s.code`,
    );
    res.json({ sites: s.rows });
  }));

  r.use(siteRoutes(deps));
  r.use(partnerAdminRoutes(deps));

  r.post('/applications', requireRole('applicant'), handle(async (req, res) => {
    const body = parse(CreateApplicationBody, req.body);
    if (body.dropOff.channel === 'partner_locker') {
      const partner = deps.partner;
      if (!partner) throw new PartnerNotConfigured();
      const created = await createPartnerApplication(db, partner.config.network, currentUser(req), { ...body, dropOff: body.dropOff }, deps.now());
      // Queued after the commit; if Redis is away now, the partner sweep queues it later.
      await partner.enqueueReserve(created.parcel.id).catch((err: unknown) =>
        deps.log.warn({ parcelId: created.parcel.id, err: err instanceof Error ? err.message : String(err) }, 'reservation job not queued yet'),
      );
      const dropOff = await partnerDropOffOf(db, deps.openCodes, created.parcel, { now: deps.now(), showCode: true });
      res.status(201).json({ ...created, dropOff });
      return;
    }
    const created = await createApplication(db, deps.keys, deps.lifetimes, currentUser(req), { ...body, dropOff: body.dropOff }, deps.now());
    const qrSvg = await QRCode.toString(created.deposit.qrToken, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    res.status(201).json({
      ...created,
      deposit: { ...created.deposit, qrSvg, instructions: `Go to ${created.site.name}, enter ${created.deposit.code} or scan the QR code; compartment ${created.compartment} opens.` },
    });
  }));

  r.get('/applications/:id', requireRole('applicant', 'staff', 'admin'), handle(async (req, res) => {
    const id = parse(UuidParam, req.params.id, 'application id');
    const app = await getApplication(db, id);
    const user = currentUser(req);
    // An applicant learns nothing about other people's applications, not even that they exist.
    if (!app || (user.role === 'applicant' && app.applicantId !== user.id)) throw new NotFound('application');
    if (app.channelIn !== 'partner_locker') {
      res.json({ application: app });
      return;
    }
    // The partner's open-code goes to its applicant only, and only while it opens the compartment.
    const inbound = app.parcels.find((p) => p.direction === 'inbound');
    const dropOff = inbound ? await partnerDropOffOf(db, deps.openCodes, inbound, { now: deps.now(), showCode: user.id === app.applicantId }) : null;
    res.json({ application: { ...app, dropOff } });
  }));

  r.get('/parcels/:trackingNumber', requireRole('applicant', 'staff', 'admin'), handle(async (req, res) => {
    const tn = String(req.params.trackingNumber).toUpperCase();
    const parcel = await findParcelByTrackingNumber(db, tn);
    const user = currentUser(req);
    if (!parcel) throw new NotFound(`parcel ${tn}`);
    if (user.role === 'applicant') {
      const owner = await db.query<{ applicantId: string }>('SELECT applicant_id AS "applicantId" FROM applications WHERE id = $1', [parcel.applicationId]);
      if (owner.rows[0]?.applicantId !== user.id) throw new NotFound(`parcel ${tn}`);
    }
    res.json({ parcel, events: await custodyLog(db, parcel.id) });
  }));

  r.post('/intake/receive', requireRole('staff'), handle(async (req, res) => {
    const { trackingNumber } = parse(ReceiveBody, req.body);
    if (!isValidTrackingNumber(trackingNumber)) {
      throw new BadRequest(`${trackingNumber} is not a valid tracking number (check the digits)`, undefined, 'bad_tracking_number');
    }
    const user = currentUser(req);
    const parcel = await withTransaction(db, async (tx) => {
      const p = await lockParcelByTrackingNumber(tx, trackingNumber);
      return moveParcel(tx, p, 'received_at_hall', { actor: { kind: 'staff', id: user.id }, at: deps.now(), evidence: { desk: 'intake' } });
    });
    res.json({ parcel, queue: 'processing' });
  }));

  r.post('/admin/kiosks', requireRole('admin'), handle(async (req, res) => {
    const body = parse(RegisterKioskBody, req.body);
    let key;
    try {
      key = createPublicKey(body.publicKey);
    } catch {
      throw new BadRequest('publicKey must be a PEM public key');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new BadRequest('publicKey must be an Ed25519 key');
    const site = await db.query(`SELECT id FROM sites WHERE id = $1 AND network = 'own'`, [body.siteId]);
    if (!site.rows[0]) throw new NotFound('own site');
    const id = uuidv7();
    await db.query('INSERT INTO kiosk_devices (id, site_id, public_key, label) VALUES ($1, $2, $3, $4)', [
      id,
      body.siteId,
      key.export({ type: 'spki', format: 'pem' }),
      body.label,
    ]);
    res.status(201).json({ deviceId: id, siteId: body.siteId });
  }));

  r.use(() => {
    throw new NotFound('route');
  });
  return r;
}
