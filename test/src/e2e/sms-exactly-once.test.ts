// One SMS per event across a real crash: the hub program (its notifications worker) is killed with
// SIGKILL while the SMS gateway simulator is holding its send — the gateway takes the message, the
// hub never records it. A restarted hub finds the notice unsent in the outbox and sends it again
// under the same idempotency key (the notice id): the gateway answers the first answer and the
// applicant's phone has exactly one message.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import { startCourierDispatchSimulator, type CourierDispatchSimulator } from '@xinbao/simulators/courier-dispatch';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import type { RunningProgram } from '../support/processes.js';
import { eventually } from '../support/eventually.js';
import { removeQueues, startHubProgram } from '../support/hub.js';
import { hubApi, signIn } from '../support/http.js';
import { applyPassed } from '../support/apply.js';

const SMS_SECRET = 'e2e-sms-gateway-secret';
const DISPATCH_SECRET = 'e2e-courier-dispatch-secret';

describe('SMS exactly once, across a killed hub process', () => {
  let db: TestDatabase;
  let sms: SmsGatewaySimulator;
  let dispatch: CourierDispatchSimulator;
  const hubs: RunningProgram[] = [];
  const prefixes: string[] = [];
  let hubUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'xinbao-e2e-sms-'));
  const api = hubApi(() => hubUrl);

  const startHub = async () => {
    const started = await startHubProgram({
      databaseUrl: db.url,
      dir,
      env: {
        COURIER_DISPATCH_URL: dispatch.url,
        COURIER_DISPATCH_SECRET: DISPATCH_SECRET,
        SMS_GATEWAY_URL: sms.url,
        SMS_GATEWAY_SECRET: SMS_SECRET,
        SMS_RETRY_BASE_MS: '100',
        LOG_LEVEL: 'info',
      },
    });
    hubs.push(started.hub);
    prefixes.push(started.queuePrefix);
    hubUrl = started.hubUrl;
    return started.hub;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    sms = await startSmsGatewaySimulator({ secret: SMS_SECRET });
    dispatch = await startCourierDispatchSimulator({ secret: DISPATCH_SECRET });
  }, 60_000);

  afterAll(async () => {
    for (const h of hubs) await h.stop().catch(() => undefined);
    for (const p of prefixes) await removeQueues(p);
    await sms?.stop();
    await dispatch?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the notice of an application once, though the hub died between the send and its record', async () => {
    const first = await startHub();
    const phone = DEMO_USERS.find((u) => u.username === 'li.si')!.phone;
    // The gateway holds every send for 5 s before it keeps the message and answers.
    sms.setFaults({ slowMs: 5_000 });
    const token = await signIn(api, 'li.si');
    const sites = (await api('GET', '/api/sites', token)).json.sites as Array<{ id: string; code: string }>;
    const applied = await applyPassed(api, token, {
      matterCode: 'business-licence-change',
      dropOff: { channel: 'own_kiosk', siteId: sites.find((s) => s.code === 'own-hall')!.id },
    });
    expect(applied.status).toBe(201);
    const notice = (
      await db.pool.query(`SELECT id FROM applicant_notices WHERE application_id = $1 AND kind = 'prereview_passed'`, [
        applied.json.application.id,
      ])
    ).rows[0] as { id: string };

    // The worker's sweep sends it; while the gateway holds the send, the hub process is killed.
    await eventually(() => sms.sendRequests > 0, 'the worker to send the notice', 20_000);
    await first.stop('SIGKILL');
    // The gateway keeps the message all the same: sent, but never recorded by the hub.
    await eventually(() => sms.inboxOf(phone).length === 1, 'the gateway to keep the message', 10_000);
    const unsent = await db.pool.query('SELECT sent_at FROM applicant_notices WHERE id = $1', [notice.id]);
    expect(unsent.rows[0].sent_at).toBeNull();
    expect(sms.messages[0]!.idempotencyKey).toBe(notice.id);

    // A new hub process (its own queue: the dead one's job would only come back after its lock
    // expired) sends what the outbox still owes, under the same key.
    sms.setFaults({ slowMs: 0 });
    const before = sms.sendRequests;
    await startHub();
    const sent = await eventually(
      async () =>
        ((await db.pool.query('SELECT sent_at FROM applicant_notices WHERE id = $1', [notice.id])).rows[0]?.sent_at ?? null) !== null,
      'the restarted hub to record the notice sent',
      30_000,
    );
    expect(sent).toBe(true);
    expect(sms.sendRequests).toBeGreaterThan(before);
    expect(sms.inboxOf(phone)).toHaveLength(1);
    const row = (await db.pool.query('SELECT gateway_message_id FROM applicant_notices WHERE id = $1', [notice.id])).rows[0];
    expect(row.gateway_message_id).toBe(sms.messages[0]!.messageId);
  }, 180_000);
});
