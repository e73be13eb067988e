// Reserving at the partner locker network, against its simulator over real HTTP: the open-code reaches
// the applicant (and nobody else, and never the database in clear); timeouts, 5xx, TOO_FREQUENT,
// LIMIT_REACHED and lost answers are retried with backoff until the reservation is made (once); a
// refusal or a partner that keeps failing leaves the applicant a clear failure; a reservation past
// its expiry is cancelled at the partner and released, as is one the partner expires itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { firstBrokenLink } from '@xinbao/hub/domain/custody';
import { startPartnerRig, type PartnerRig } from '../support/partner-rig.js';
import { eventually } from '../support/eventually.js';
import type { Json } from '../support/http.js';

let rig: PartnerRig;

beforeAll(async () => {
  rig = await startPartnerRig();
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

const fault = async (mode: string, count: number, pathPrefix = '/v1/reservations', method = 'POST') => {
  const r = await rig.control('POST', '/faults', { mode, count, method, pathPrefix });
  expect(r.status).toBe(201);
};
const reservationRow = async (parcelId: string) =>
  (
    await rig.db.pool.query(
      `SELECT status, attempts, last_error AS "lastError", failure_code AS "failureCode", reservation_id AS "reservationId" FROM partner_reservations WHERE parcel_id = $1`,
      [parcelId],
    )
  ).rows[0];
const freeAt = (deviceId: string): Record<string, number> =>
  Object.fromEntries(Object.entries(rig.sim.network.device(deviceId).compartments).map(([k, v]) => [k, v.free]));

describe('a reservation that works the first time', () => {
  it('gives the applicant the partner open-code, its site, compartment and expiry; nobody else sees the code', async () => {
    const a = await rig.apply('BELL');
    expect(a.status).toBe(201);
    expect(a.json.parcel.state).toBe('reserving');
    expect(a.json.dropOff).toMatchObject({ channel: 'partner_locker', state: 'reserving', site: { id: await rig.siteId('BELL') } });
    expect(a.json.deposit).toBeUndefined();

    const ready = await rig.waitForDropOff(a.applicationId, 'ready');
    const sim = (await rig.simReservation(a.parcelId))!;
    expect(sim).toMatchObject({
      state: 'reserved',
      siteId: 'BELL',
      deviceId: 'BELL-1',
      requestedSize: 'M',
      allowLarger: true,
      reference: a.trackingNumber,
    });
    expect(ready).toMatchObject({
      state: 'ready',
      code: sim.openCode,
      compartment: sim.compartmentNo,
      size: sim.size,
      expiresAt: sim.expiresAt,
    });
    expect(ready.message).toContain('钟楼小区北门');

    // Staff see the state, not the code; another applicant does not see the application at all.
    const staffView = await rig.dropOff(a.applicationId, 'hall.staff');
    expect(staffView.state).toBe('ready');
    expect(staffView.code).toBeUndefined();
    expect((await rig.api('GET', `/api/applications/${a.applicationId}`, await rig.token('li.si'))).status).toBe(404);

    // The code is nowhere in the database in clear: not in the reservation, its events, or the custody log.
    for (const table of ['partner_reservations', 'partner_events', 'custody_events']) {
      const rows = await rig.db.pool.query(`SELECT row_to_json(t)::text AS j FROM ${table} t WHERE parcel_id = $1`, [a.parcelId]);
      for (const r of rows.rows) expect(r.j).not.toContain(sim.openCode);
    }
    const custody = await rig.custody(a.parcelId);
    expect(custody.map((e) => [e.kind, e.fromState, e.toState, e.actorKind])).toEqual([
      ['created', null, 'reserving', 'applicant'],
      ['reserved', 'reserving', 'awaiting_deposit', 'partner'],
    ]);
    expect(firstBrokenLink(custody as never)).toBe(-1);
    expect(await reservationRow(a.parcelId)).toMatchObject({ status: 'reserved', attempts: 1, lastError: null });
  });

  it('refuses a matter that may not go to a partner locker, an own kiosk as a partner site, and an unknown site', async () => {
    const t = await rig.token('zhang.san');
    const bell = await rig.siteId('BELL');
    const permit = await rig.api('POST', '/api/applications', t, {
      matterCode: 'construction-permit',
      dropOff: { channel: 'partner_locker', siteId: bell },
    });
    expect(permit.status).toBe(400);
    expect(permit.json.error.code).toBe('channel_not_allowed');
    const own = (await rig.db.pool.query(`SELECT id FROM sites WHERE code = 'own-hall'`)).rows[0].id as string;
    const wrong = await rig.api('POST', '/api/applications', t, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'partner_locker', siteId: own },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.code).toBe('wrong_network');
    const missing = await rig.api('POST', '/api/applications', t, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'partner_locker', siteId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
    });
    expect(missing.status).toBe(404);
    const ownAsOwn = await rig.api('POST', '/api/applications', t, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: bell },
    });
    expect(ownAsOwn.status).toBe(400);
  });
});

describe('partner failures are retried with backoff until the reservation is made', () => {
  const retried = async (mode: string, count: number, words: string) => {
    await fault(mode, count);
    const a = await rig.apply('BIG');
    expect(a.status).toBe(201);
    const ready = await rig.waitForDropOff(a.applicationId, 'ready');
    const sim = (await rig.simReservation(a.parcelId))!;
    expect(ready.code).toBe(sim.openCode);
    const row = await reservationRow(a.parcelId);
    expect(row).toMatchObject({ status: 'reserved', attempts: count + 1, lastError: words });
    // However many tries, the partner holds one reservation for the parcel.
    const all = (await rig.control('GET', '/reservations')).body.reservations as Json[];
    expect(all.filter((r) => r.requestId === a.parcelId)).toHaveLength(1);
    expect((await rig.control('GET', '/faults')).body.apiFaults).toEqual([]);
    return a;
  };

  it('a 5xx, twice', async () => {
    await retried('server_error', 2, 'the partner network had an internal error');
  });

  it('a timeout (the partner never answers)', async () => {
    await retried('hang', 1, 'the partner network did not answer in time');
  });

  it('a lost answer (the partner reserved, the connection died): the retry gets the same reservation', async () => {
    // The partner's code_issued webhook would bring the code too; drop it, so the retry has to.
    await rig.control('POST', '/webhooks/faults', { mode: 'drop', count: 1 });
    await retried('lost_response', 1, 'the partner network could not be reached');
    expect(rig.sim.webhooks.faultCounts.drop).toBe(0);
  });

  it('TOO_FREQUENT, after its Retry-After', async () => {
    await retried('too_frequent', 1, 'the partner network asked us to slow down');
  });

  it('LIMIT_REACHED (daily quota), waiting at most PARTNER_RETRY_MAX_MS', async () => {
    await retried('limit_reached', 1, "the partner network's daily request quota is used up");
  });

  it('a partner that keeps failing: the applicant sees reserving with the attempts, then a failure with the reason', async () => {
    await fault('server_error', 1000);
    try {
      const a = await rig.apply('BIG');
      const pending = await eventually(async () => {
        const d = await rig.dropOff(a.applicationId);
        return d.state === 'reserving' && d.attempts >= 2 ? d : undefined;
      }, 'reserving with attempts');
      expect(pending).toMatchObject({ state: 'reserving', lastError: 'the partner network had an internal error' });
      expect(pending.code).toBeUndefined();
      const failed = await rig.waitForDropOff(a.applicationId, 'failed', undefined, 30_000);
      expect(failed.reason).toBe(
        'the partner network kept failing (the partner network had an internal error); the hub gave up after 6 attempts',
      );
      expect(failed.whatNext.length).toBeGreaterThan(0);
      expect(await reservationRow(a.parcelId)).toMatchObject({ status: 'failed', attempts: 6, failureCode: 'GAVE_UP' });
      expect((await rig.custody(a.parcelId)).map((e) => e.kind)).toEqual(['created', 'reservation_failed']);
    } finally {
      await rig.control('DELETE', '/faults');
    }
  });
});

describe('a reservation the hub no longer wants', () => {
  it('made at the partner after the hub gave up (every answer lost): found by the reconciliation and cancelled', async () => {
    await rig.hub.partner!.reconcile();
    // The partner reserves on the first try, but no answer and no callback reaches the hub.
    await rig.control('POST', '/webhooks/faults', { mode: 'drop', count: 1 });
    await fault('lost_response', 1000);
    let a;
    try {
      a = await rig.apply('BIG');
      await rig.waitForDropOff(a.applicationId, 'failed', undefined, 30_000);
    } finally {
      await rig.control('DELETE', '/faults');
    }
    const sim = (await rig.simReservation(a.parcelId))!;
    expect(sim.state).toBe('reserved');
    const report = await rig.hub.partner!.reconcile();
    expect(report.fresh).toBeGreaterThanOrEqual(1);
    expect((await rig.events(a.parcelId)).map((e) => [e.type, e.source, e.outcome])).toEqual([['code_issued', 'pull', 'applied']]);
    await eventually(async () => (await rig.simReservation(a.parcelId))!.state === 'cancelled', 'the cancellation at the partner');
    // The applicant still sees the failure, never the orphan's code.
    const view = await rig.dropOff(a.applicationId);
    expect(view.state).toBe('failed');
    expect(view.code).toBeUndefined();
    expect(await rig.parcelState(a.parcelId)).toBe('reservation_failed');
    await eventually(async () => (await reservationRow(a.parcelId)).status === 'cancelled', 'the reservation released here');
  }, 45_000);
});

describe('the partner refuses', () => {
  it('NO_COMPARTMENT: failed at once, with the reason and what to do; nothing is held at the partner', async () => {
    const a = await rig.apply('FULL');
    const failed = await rig.waitForDropOff(a.applicationId, 'failed');
    expect(failed).toMatchObject({ reason: 'this locker has no free compartment of size M or larger right now' });
    expect((failed.whatNext as string[]).join(' ')).toContain('another locker');
    expect(failed.code).toBeUndefined();
    expect(await reservationRow(a.parcelId)).toMatchObject({ status: 'failed', attempts: 1, failureCode: 'NO_COMPARTMENT' });
    expect(await rig.simReservation(a.parcelId)).toBeUndefined();
  });

  it('DEVICE_OFFLINE: failed at once', async () => {
    const a = await rig.apply('NORTH');
    const failed = await rig.waitForDropOff(a.applicationId, 'failed');
    expect(failed.reason).toBe('this locker is offline');
    expect(await reservationRow(a.parcelId)).toMatchObject({ attempts: 1, failureCode: 'DEVICE_OFFLINE' });
  });
});

describe('expiry', () => {
  it('a reservation past its expiry with nothing deposited is cancelled at the partner (retried) and released', async () => {
    const before = freeAt('BIG-1');
    const a = await rig.apply('BIG');
    await rig.waitForDropOff(a.applicationId, 'ready');
    const sim = (await rig.simReservation(a.parcelId))!;
    expect(freeAt('BIG-1')[sim.size]).toBe(before[sim.size]! - 1);

    // The hub's clock passes the expiry (the partner's has not yet).
    await rig.db.pool.query(`UPDATE partner_reservations SET expires_at = now() - interval '1 minute' WHERE parcel_id = $1`, [a.parcelId]);
    // No code that does not work: the applicant sees it ended even before the sweep cancels it.
    const ending = await rig.dropOff(a.applicationId);
    expect(ending.state).toBe('expired');
    expect(ending.code).toBeUndefined();

    await fault('server_error', 1, `/v1/reservations/${sim.reservationId}/cancel`);
    expect(await rig.hub.partner!.sweep()).toMatchObject({ due: 1 });
    await rig.waitForParcel(a.parcelId, 'deposit_expired');
    expect((await rig.simReservation(a.parcelId))!.state).toBe('cancelled');
    // The first cancel met a 5xx; the retry went through.
    expect((await rig.control('GET', '/faults')).body.apiFaults).toEqual([]);
    expect(freeAt('BIG-1')).toEqual(before);
    const expired = await rig.dropOff(a.applicationId);
    expect(expired).toMatchObject({ state: 'expired' });
    expect(expired.reason).toContain('cancelled');
    expect(expired.code).toBeUndefined();
    const row = (await rig.db.pool.query(`SELECT status, open_code_enc FROM partner_reservations WHERE parcel_id = $1`, [a.parcelId]))
      .rows[0];
    expect(row).toEqual({ status: 'cancelled', open_code_enc: null });
    const custody = await rig.custody(a.parcelId);
    expect(custody.map((e) => [e.kind, e.toState])).toEqual([
      ['created', 'reserving'],
      ['reserved', 'awaiting_deposit'],
      ['deposit_expired', 'deposit_expired'],
    ]);
    expect(custody[2]!.evidence).toMatchObject({ reservation: 'cancelled' });
    // The partner's `cancelled` webhook and the cancel job's own answer both say so; whichever the
    // hub took first moved the parcel, the other changes nothing.
    await eventually(async () => (await rig.events(a.parcelId)).some((e) => e.type === 'cancelled'), 'the cancelled webhook');
    expect(['applied', 'already_applied']).toContain((await rig.events(a.parcelId)).find((e) => e.type === 'cancelled')!.outcome);
    await eventually(
      async () => (await rig.hub.partner!.queue.getJob(`cancel-${a.parcelId}`))?.returnvalue === 'cancelled',
      'the cancel job',
    );
    expect(await rig.custody(a.parcelId)).toHaveLength(3);
    // A sweep later finds nothing more to do.
    expect(await rig.hub.partner!.sweep()).toMatchObject({ due: 0 });
  });

  it('a reservation the partner expires itself releases the parcel, by its webhook', async () => {
    const a = await rig.apply('BIG');
    await rig.waitForDropOff(a.applicationId, 'ready');
    const sim = (await rig.simReservation(a.parcelId))!;
    expect((await rig.control('POST', '/expire', { reservationId: sim.reservationId })).status).toBe(200);
    await rig.waitForParcel(a.parcelId, 'deposit_expired');
    expect(await rig.dropOff(a.applicationId)).toMatchObject({ state: 'expired' });
    const events = await rig.events(a.parcelId);
    expect(events.map((e) => [e.type, e.source])).toEqual([
      ['code_issued', 'webhook'],
      ['expired', 'webhook'],
    ]);
    // The code came in the answer and by callback; whichever the hub took first applied it.
    expect(['applied', 'already_applied']).toContain(events[0]!.outcome);
    expect(events[1]!.outcome).toBe('applied');
    expect((await rig.custody(a.parcelId)).map((e) => e.kind)).toEqual(['created', 'reserved', 'deposit_expired']);
  });
});

describe('without a partner network', () => {
  it('says clearly that partner lockers are not available', async () => {
    const bare = await startPartnerRig({ partner: false });
    try {
      await bare.db.pool.query(
        `INSERT INTO sites (id, network, code, external_id, name, address, district, lat, lng, online)
         VALUES ('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'postal', 'postal:BELL', 'BELL', '钟楼小区北门', '西安市碑林区北大街1号', '碑林区', 34.261, 108.9423, true)`,
      );
      const r = await bare.apply('BELL');
      expect(r.status).toBe(409);
      expect(r.json.error.code).toBe('partner_not_configured');
      expect(r.json.error.message).toContain('PARTNER_API_URL');
      const refresh = await bare.api('POST', '/api/admin/partner/sites/refresh', await bare.token('ops.admin'));
      expect(refresh.status).toBe(409);
      expect(bare.hub.partner).toBeNull();
    } finally {
      await bare.stop();
    }
  });
});
