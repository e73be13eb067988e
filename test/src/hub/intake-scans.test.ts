// The hall's intake desk, POST /api/intake/scans, on a real hub (PostgreSQL, Redis): every case a
// desk meets — received, the same envelope twice, two desks at once, unannounced (unknown or not
// picked up yet), a damaged or wrong envelope, one that cannot be received, a badly typed number —
// and the older POST /api/intake/receive, which now answers through the same desk.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeTrackingNumber } from '@xinbao/hub/domain/tracking-number';
import { signIn, type Json } from '../support/http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { parcelIn } from '../support/parcels.js';

describe('hub: the intake desk scans envelopes in', () => {
  let hub: TestHub;
  let staff: string;
  let staffId: string;

  const scan = (body: Json, token = staff) => hub.api('POST', '/api/intake/scans', token, body);
  const state = async (id: string) => (await hub.db.pool.query(`SELECT state FROM parcels WHERE id = $1`, [id])).rows[0].state as string;
  const custody = async (id: string) =>
    (await hub.db.pool.query(`SELECT kind, actor_kind, actor_id, evidence FROM custody_events WHERE parcel_id = $1 ORDER BY seq`, [id]))
      .rows;
  /** The exceptions list's records for this tracking number (ADR 0022): what staff will see. */
  const exceptionsFor = async (trackingNumber: string) =>
    (
      await hub.db.pool.query(
        `SELECT kind, occurrences, detail->>'condition' AS condition FROM exceptions WHERE detail->>'trackingNumber' = $1 ORDER BY kind`,
        [trackingNumber],
      )
    ).rows;
  const scans = async (trackingNumber: string) =>
    (
      await hub.db.pool.query(
        `SELECT result, condition, note, staff_id, parcel_state, flagged, parcel_id FROM intake_scans WHERE tracking_number = $1 ORDER BY scanned_at`,
        [trackingNumber],
      )
    ).rows;
  let randomDigits = 0;
  const unknownNumber = () => makeTrackingNumber(() => (randomDigits = (randomDigits * 7 + 3) % 10));

  beforeAll(async () => {
    hub = await startTestHub();
    staff = await signIn(hub.api, 'hall.staff');
    staffId = (await hub.api('GET', '/api/me', staff)).json.user.id as string;
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('receives a picked-up parcel: 201, received_at_hall with the staff custody event and a receipt', async () => {
    const p = await parcelIn(hub, 'picked_up');
    const r = await scan({ trackingNumber: p.trackingNumber.toLowerCase() });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      result: 'received',
      recorded: true,
      parcel: {
        id: p.id,
        trackingNumber: p.trackingNumber,
        applicationId: p.applicationId,
        matter: { code: 'business-licence-change', name: expect.stringContaining('营业执照') },
        applicant: '张*',
        state: 'received_at_hall',
      },
    });
    expect(r.json.message).toContain('processing queue');
    expect(Date.parse(r.json.receivedAt as string)).not.toBeNaN();
    expect(await state(p.id)).toBe('received_at_hall');
    const last = (await custody(p.id)).at(-1);
    expect(last).toMatchObject({
      kind: 'received_at_hall',
      actor_kind: 'staff',
      actor_id: staffId,
      evidence: { desk: 'intake', condition: 'ok' },
    });
    expect(await scans(p.trackingNumber)).toEqual([
      { result: 'received', condition: 'ok', note: null, staff_id: staffId, parcel_state: 'picked_up', flagged: false, parcel_id: p.id },
    ]);
  });

  it('the same envelope twice: 200 already_received, when and by whom (masked), nothing written', async () => {
    const p = await parcelIn(hub, 'picked_up');
    const first = await scan({ trackingNumber: p.trackingNumber });
    expect(first.status).toBe(201);
    const before = { custody: await custody(p.id), scans: await scans(p.trackingNumber) };
    const again = await scan({ trackingNumber: p.trackingNumber, condition: 'damaged', note: 'second look' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      result: 'already_received',
      recorded: false,
      receivedBy: '王*',
      parcel: { state: 'received_at_hall' },
    });
    expect(again.json.receivedAt).toBe(first.json.receivedAt);
    expect(again.json.message).toMatch(/^XB\d{12} was already received at \d\d:\d\d by 王\*; nothing was written$/);
    expect(again.json.message).not.toContain('王五');
    expect({ custody: await custody(p.id), scans: await scans(p.trackingNumber) }).toEqual(before);
  });

  it('two desks scanning one envelope at once: one received, one already_received, one custody event', async () => {
    const p = await parcelIn(hub, 'picked_up');
    const other = await signIn(hub.api, 'hall.staff');
    const answers = await Promise.all([scan({ trackingNumber: p.trackingNumber }), scan({ trackingNumber: p.trackingNumber }, other)]);
    expect(answers.map((a) => a.json.result).sort()).toEqual(['already_received', 'received']);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect((await custody(p.id)).filter((e) => e.kind === 'received_at_hall')).toHaveLength(1);
    expect(await scans(p.trackingNumber)).toHaveLength(1);
  });

  it('an unknown tracking number: 201 unannounced, recorded and flagged; scanned again (or by two desks), recorded once', async () => {
    const tn = unknownNumber();
    const [a, b] = await Promise.all([scan({ trackingNumber: tn, note: 'no label from EMS' }), scan({ trackingNumber: tn })]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    for (const r of [a, b]) expect(r.json).toMatchObject({ result: 'unannounced', reason: 'unknown' });
    expect([a.json.recorded, b.json.recorded].sort()).toEqual([false, true]);
    expect(a.json.parcel).toBeUndefined();
    const rows = await scans(tn);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ result: 'unannounced', flagged: true, parcel_id: null, parcel_state: null, staff_id: staffId });
    const third = await scan({ trackingNumber: tn });
    expect(third).toMatchObject({ status: 200, json: { result: 'unannounced', recorded: false, receivedBy: '王*' } });
    expect(await scans(tn)).toHaveLength(1);
    // On the exceptions list once, however often it was scanned.
    expect(await exceptionsFor(tn)).toEqual([{ kind: 'unannounced_parcel', occurrences: 1, condition: 'ok' }]);
  });

  it('a parcel the hub has not seen picked up: unannounced, flagged with its state, the parcel not moved', async () => {
    const p = await parcelIn(hub, 'pickup_ordered');
    const before = await custody(p.id);
    const r = await scan({ trackingNumber: p.trackingNumber });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ result: 'unannounced', reason: 'not_picked_up', parcel: { id: p.id, state: 'pickup_ordered' } });
    expect(await state(p.id)).toBe('pickup_ordered');
    expect(await custody(p.id)).toEqual(before);
    expect(await scans(p.trackingNumber)).toEqual([
      {
        result: 'unannounced',
        condition: 'ok',
        note: null,
        staff_id: staffId,
        parcel_state: 'pickup_ordered',
        flagged: true,
        parcel_id: p.id,
      },
    ]);
  });

  it.each([
    ['damaged', 'corner torn, contents intact'],
    ['wrong_envelope', 'plain brown envelope, not the EMS one'],
  ])('a %s envelope is received with its condition and note in the receipt and the custody evidence, flagged', async (condition, note) => {
    const p = await parcelIn(hub, 'picked_up');
    const r = await scan({ trackingNumber: p.trackingNumber, condition, note: `  ${note} ` });
    expect(r.status).toBe(201);
    expect(r.json.result).toBe('received');
    expect((await custody(p.id)).at(-1)).toMatchObject({ kind: 'received_at_hall', evidence: { desk: 'intake', condition, note } });
    expect(await scans(p.trackingNumber)).toEqual([
      { result: 'received', condition, note, staff_id: staffId, parcel_state: 'picked_up', flagged: true, parcel_id: p.id },
    ]);
    expect(await exceptionsFor(p.trackingNumber)).toEqual([{ kind: condition, occurrences: 1, condition }]);
  });

  it('a parcel that cannot be received (its drop-off expired): 200 refused with why, nothing written', async () => {
    const p = await parcelIn(hub, 'deposit_expired');
    const before = await custody(p.id);
    const r = await scan({ trackingNumber: p.trackingNumber });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ result: 'refused', reason: 'never_handed_in', recorded: false, parcel: { state: 'deposit_expired' } });
    expect(r.json.message).toContain('cannot be received');
    expect(await custody(p.id)).toEqual(before);
    expect(await scans(p.trackingNumber)).toEqual([]);
    expect(await exceptionsFor(p.trackingNumber)).toEqual([]);
  });

  it('refuses a badly formed number (400 bad_tracking_number), a bad body (400), other roles (403) and no token (401)', async () => {
    const p = await parcelIn(hub, 'picked_up');
    const good = p.trackingNumber;
    const mistyped = `${good.slice(0, -1)}${(Number(good.at(-1)) + 1) % 10}`;
    expect((await scan({ trackingNumber: mistyped })).json.error.code).toBe('bad_tracking_number');
    expect((await scan({ trackingNumber: 'XB123' })).status).toBe(400);
    expect((await scan({ trackingNumber: good, condition: 'soggy' })).status).toBe(400);
    expect((await scan({ trackingNumber: good, note: 'x'.repeat(501) })).status).toBe(400);
    expect((await scan({ trackingNumber: good, extra: 1 })).status).toBe(400);
    for (const who of ['zhang.san', 'ems.courier', 'ops.admin']) {
      const r = await scan({ trackingNumber: good }, await signIn(hub.api, who));
      expect([who, r.status, r.json.error.code]).toEqual([who, 403, 'forbidden']);
    }
    expect((await hub.api('POST', '/api/intake/scans', undefined, { trackingNumber: good })).status).toBe(401);
    expect(await state(p.id)).toBe('picked_up');
    expect(await scans(good)).toEqual([]);
  });

  it('the older /api/intake/receive answers as before through the same desk: 200 once, 409 after, 404 for an unknown number', async () => {
    const p = await parcelIn(hub, 'picked_up');
    const r = await hub.api('POST', '/api/intake/receive', staff, { trackingNumber: p.trackingNumber });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ queue: 'processing', parcel: { id: p.id, state: 'received_at_hall' } });
    const again = await hub.api('POST', '/api/intake/receive', staff, { trackingNumber: p.trackingNumber });
    expect([again.status, again.json.error.code]).toEqual([409, 'illegal_transition']);
    const early = await parcelIn(hub, 'pickup_ordered');
    const e = await hub.api('POST', '/api/intake/receive', staff, { trackingNumber: early.trackingNumber });
    expect([e.status, e.json.error.code]).toEqual([409, 'illegal_transition']);
    expect(await state(early.id)).toBe('pickup_ordered');
    const unknown = await hub.api('POST', '/api/intake/receive', staff, { trackingNumber: unknownNumber() });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'not_found']);
    expect(await scans(p.trackingNumber)).toHaveLength(1);
  });
});
