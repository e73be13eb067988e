// One applicant cannot hold a kiosk: open reservations are limited per applicant, per site and
// overall, while other applicants still get compartments; and an own-kiosk deposit code that runs out
// unused turns its parcel `deposit_expired`, frees the compartment and leaves the applicant a notice
// saying how to get a new code — once, however often and from however many processes the sweep runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { expireDepositCodes } from '@xinbao/hub/features/applications/deposit-expiry';
import { startCourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { eventually } from '../support/eventually.js';
import { signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { applyPassed } from '../support/apply.js';

describe('hub: open deposits per applicant, and deposit codes that expire', () => {
  let hub: TestHub;
  const sites = new Map<string, string>();
  const log = pino({ level: 'silent' });

  const apply = (token: string, site: string) =>
    applyPassed(hub.api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: sites.get(site) },
    });
  const reserved = async (site: string) =>
    (await hub.db.pool.query(`SELECT count(*)::int AS n FROM compartments WHERE site_id = $1 AND state = 'reserved'`, [sites.get(site)]))
      .rows[0].n as number;

  beforeAll(async () => {
    // The production defaults, not the journey tests' generous ones.
    hub = await startTestHub({ env: { MAX_OPEN_DEPOSITS_PER_SITE: '2', MAX_OPEN_DEPOSITS: '5' } });
    const admin = await signIn(hub.api, 'ops.admin');
    for (const s of (await hub.api('GET', '/api/sites', admin)).json.sites as Json[]) sites.set(s.code as string, s.id as string);
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('refuses the 16th application for one kiosk by one applicant (and every one past the limit), while another applicant still gets a compartment', async () => {
    const zhang = await signIn(hub.api, 'zhang.san');
    const answers = [];
    for (let i = 0; i < 16; i++) answers.push(await apply(zhang, 'own-hall'));
    expect(answers.slice(0, 2).map((a) => a.status)).toEqual([201, 201]);
    for (const a of answers.slice(2)) {
      expect(a).toEqual({
        status: 409,
        json: {
          error: {
            code: 'open_deposits_at_site',
            message: expect.stringContaining('choose another site'),
            details: { limit: 2, open: 2 },
            requestId: expect.any(String),
          },
        },
      });
    }
    expect(await reserved('own-hall')).toBe(2);

    const li = await apply(await signIn(hub.api, 'li.si'), 'own-hall');
    expect(li.status).toBe(201);
    expect(li.json.compartment).toEqual(expect.any(Number));
    expect(await reserved('own-hall')).toBe(3);
  });

  it('limits an applicant’s open reservations overall, across sites', async () => {
    const zhang = await signIn(hub.api, 'zhang.san');
    expect((await apply(zhang, 'own-huanancheng')).status).toBe(201);
    expect((await apply(zhang, 'own-huanancheng')).status).toBe(201);
    expect((await apply(zhang, 'own-finance-town')).status).toBe(201);
    const sixth = await apply(zhang, 'own-bonded');
    expect(sixth).toMatchObject({ status: 409, json: { error: { code: 'open_deposits', details: { limit: 5, open: 5 } } } });
    expect(await reserved('own-bonded')).toBe(0);
  });

  it('counts applications sent at once one at a time: never more than the limit', async () => {
    const li = await signIn(hub.api, 'li.si');
    const answers = await Promise.all(Array.from({ length: 6 }, () => apply(li, 'own-silk-road')));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409, 409, 409, 409]);
    expect(await reserved('own-silk-road')).toBe(2);
  });

  it('expires unused deposit codes: deposit_expired, the compartment free, a notice with what to do; once, even when two sweeps run together', async () => {
    const zhang = await signIn(hub.api, 'zhang.san');
    const apps = await hub.db.pool.query<{ applicationId: string; parcelId: string; compartmentId: string }>(
      `SELECT a.id AS "applicationId", p.id AS "parcelId", p.compartment_id AS "compartmentId"
       FROM applications a JOIN parcels p ON p.application_id = a.id JOIN users u ON u.id = a.applicant_id
       WHERE u.username = 'zhang.san' AND p.site_id = $1 ORDER BY a.created_at`,
      [sites.get('own-hall')],
    );
    expect(apps.rows).toHaveLength(2);
    const [first, second] = apps.rows as [(typeof apps.rows)[0], (typeof apps.rows)[0]];
    // The second one's door jammed meanwhile: it stays out of service when its code expires.
    await hub.db.pool.query(`UPDATE compartments SET state = 'faulty' WHERE id = $1`, [second.compartmentId]);

    const inHours = (h: number) => () => new Date(Date.now() + h * 3_600_000);
    // Before DEPOSIT_CODE_TTL_HOURS (72) nothing expires.
    expect(await expireDepositCodes({ db: hub.db.pool, now: inHours(71), log })).toBe(0);

    const open = (await hub.db.pool.query(`SELECT count(*)::int AS n FROM parcels WHERE state = 'awaiting_deposit'`)).rows[0].n as number;
    expect(open).toBe(8); // zhang.san 2 + 3, li.si 1 + 2
    const runs = await Promise.all([
      expireDepositCodes({ db: hub.db.pool, now: inHours(73), log }),
      expireDepositCodes({ db: hub.db.pool, now: inHours(73), log }),
    ]);
    expect(runs[0] + runs[1]).toBe(open);
    expect(await expireDepositCodes({ db: hub.db.pool, now: inHours(74), log })).toBe(0);

    const state = async (parcelId: string) =>
      (
        await hub.db.pool.query(
          `SELECT p.state, p.compartment_id AS "compartmentId", k.state AS compartment, c.revoked_at IS NOT NULL AS revoked
           FROM parcels p JOIN access_codes c ON c.parcel_id = p.id AND c.purpose = 'deposit' JOIN compartments k ON k.id = c.compartment_id
           WHERE p.id = $1`,
          [parcelId],
        )
      ).rows[0];
    expect(await state(first.parcelId)).toEqual({ state: 'deposit_expired', compartmentId: null, compartment: 'free', revoked: true });
    expect(await state(second.parcelId)).toEqual({ state: 'deposit_expired', compartmentId: null, compartment: 'faulty', revoked: true });
    expect(await reserved('own-hall')).toBe(0);
    const notices = await hub.db.pool.query(`SELECT parcel_id FROM applicant_notices WHERE kind = 'deposit_code_expired'`);
    expect(notices.rows).toHaveLength(open);

    // The applicant sees it on the application, with how to get a new code, and in the custody log.
    const view = await hub.api('GET', `/api/applications/${first.applicationId}`, zhang);
    expect(view.status).toBe(200);
    // Told that it expired (the code's issue was told by the pre-review pass, a notice of its own: ADR 0027).
    expect((view.json.application.notices as Json[]).map((n) => n.kind)).toEqual(['deposit_code_expired']);
    expect(view.json.application.notices as Json[]).toEqual([
      {
        id: expect.any(String),
        kind: 'deposit_code_expired',
        parcelId: first.parcelId,
        message: expect.stringContaining('Apply again'),
        details: {
          trackingNumber: expect.stringMatching(/^XB/),
          expiredAt: expect.any(String),
          whatNext: expect.stringContaining('new deposit code'),
        },
        createdAt: expect.any(String),
        sentAt: null,
      },
    ]);
    const events = view.json.application.parcels[0].events as Json[];
    expect(events.at(-1)).toMatchObject({
      kind: 'deposit_expired',
      fromState: 'awaiting_deposit',
      toState: 'deposit_expired',
      actorKind: 'system',
    });
    // Another applicant sees nothing of it.
    expect((await hub.api('GET', `/api/applications/${first.applicationId}`, await signIn(hub.api, 'li.si'))).status).toBe(404);

    // No longer open: the applicant may apply again at that kiosk, and gets a new code.
    const again = await apply(zhang, 'own-hall');
    expect(again.status).toBe(201);
    expect(again.json.deposit.code).toEqual(expect.any(String));
  });

  it('runs the expiry in the workers’ repeatable sweep job', async () => {
    const secret = 'dispatch-secret-for-expiry';
    const dispatch = await startCourierDispatchSimulator({ secret });
    // A second hub process on the same database, running the workers, whose deposit codes last 2 s.
    const worker = await startTestHub({
      db: hub.db,
      env: {
        RUN_WORKERS: 'true',
        SWEEP_INTERVAL_MS: '200',
        DEPOSIT_CODE_TTL_HOURS: String(2 / 3600),
        COURIER_DISPATCH_URL: dispatch.url,
        COURIER_DISPATCH_SECRET: secret,
      },
    });
    try {
      const li = await signIn(worker.api, 'li.si');
      const created = await applyPassed(worker.api, li, {
        matterCode: 'business-licence-change',
        dropOff: { channel: 'own_kiosk', siteId: sites.get('own-bonded') },
      });
      expect(created.status).toBe(201);
      const appId = created.json.application.id as string;
      const view = await eventually(async () => {
        const v = (await worker.api('GET', `/api/applications/${appId}`, li)).json.application;
        return v.parcels[0].state === 'deposit_expired' && v;
      }, 'the sweep job to expire the deposit code');
      expect((view.notices as Json[]).map((n) => n.kind)).toEqual(['deposit_code_expired']);
      expect(await reserved('own-bonded')).toBe(0);
    } finally {
      await worker.stop();
      await dispatch.stop();
    }
  });
});
