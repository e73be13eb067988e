// A reply to a bad rating is told to the applicant by SMS (ADR 0034): the reply and its notice
// `rating_replied` in one transaction, sent once through the notifications worker to the SMS
// gateway simulator, in the applicant's language, naming the matter and never carrying the reply.
// A refused reply (a second one) writes no notice.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Worker } from 'bullmq';
import { OpenCodeCipher } from '@xinbao/hub/features/partner/open-code';
import { HttpSmsGateway } from '@xinbao/hub/features/notifications/http-gateway';
import { enqueueNotice, startNotificationsWorker } from '@xinbao/hub/features/notifications/jobs';
import { DEMO_USERS } from '@xinbao/hub/store/seed';
import { startSmsGatewaySimulator, type SmsGatewaySimulator } from '@xinbao/simulators/sms-gateway';
import { signIn } from '../support/http.js';
import { applyPassed } from '../support/apply.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { redisUrl } from '../support/db.js';
import { eventually } from '../support/eventually.js';

const SMS_SECRET = 'sms-secret-for-rating-replies';
const REPLY = '已检修该柜门并向您致歉；如再遇故障请拨打大厅电话 029-12345678。';

describe('the reply to a bad rating, told by SMS', () => {
  let hub: TestHub;
  let sms: SmsGatewaySimulator;
  let connection: Redis;
  let worker: Worker | undefined;
  let staff = '';

  beforeAll(async () => {
    sms = await startSmsGatewaySimulator({ secret: SMS_SECRET, receiptDelayMs: 5 });
    hub = await startTestHub({ env: { SMS_GATEWAY_URL: sms.url, SMS_GATEWAY_SECRET: SMS_SECRET } });
    connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    staff = await signIn(hub.api, 'hall.staff');
  });
  afterAll(async () => {
    await worker?.close();
    connection?.disconnect();
    await hub?.stop();
    await sms?.stop();
  });

  /** An application of `username` for the counter, approved and handed over, then rated `grade`; the follow-up's id. */
  const ratedBadly = async (username: string): Promise<{ applicationId: string; followUpId: string }> => {
    const token = await signIn(hub.api, username);
    const applied = await applyPassed(hub.api, token, { matterCode: 'business-licence-change', dropOff: { channel: 'none' } });
    expect(applied.status).toBe(201);
    const applicationId = applied.json.application.id as string;
    const approved = await hub.api('POST', `/api/applications/${applicationId}/approve`, staff, {});
    const handed = await hub.api('POST', `/api/results/${approved.json.result.id as string}/handover`, staff, { idChecked: true });
    expect(handed.json.result?.state ?? handed.json.state).toBe('collected');
    const rated = await hub.api('POST', `/api/applications/${applicationId}/rating`, token, { grade: 1, comment: '柜门打不开' });
    expect(rated.status).toBe(201);
    return { applicationId, followUpId: rated.json.rating.followUp.id as string };
  };
  const repliedNotices = async (applicationId: string) =>
    (
      await hub.db.pool.query<{ id: string; details: Record<string, unknown>; message: string; sentAt: Date | null }>(
        `SELECT id, details, message, sent_at AS "sentAt" FROM applicant_notices WHERE application_id = $1 AND kind = 'rating_replied'`,
        [applicationId],
      )
    ).rows;

  it('writes the notice with the reply and sends it once, naming the matter and not the reply', async () => {
    const { applicationId, followUpId } = await ratedBadly('li.si');
    expect(await repliedNotices(applicationId)).toEqual([]);

    const replied = await hub.api('POST', `/api/ratings/follow-ups/${followUpId}/reply`, staff, { reply: REPLY });
    expect(replied.status).toBe(200);
    // In the outbox as soon as the reply is: both were committed together.
    const [notice, ...more] = await repliedNotices(applicationId);
    expect(more).toEqual([]);
    expect(notice!.details).toMatchObject({ matterName: expect.stringContaining('营业执照变更'), followUpId });
    expect(notice!.message).toContain('replied to your rating');
    expect(notice!.message).not.toContain('柜门');
    expect(notice!.sentAt).toBeNull();

    // A second reply is refused and writes nothing.
    const again = await hub.api('POST', `/api/ratings/follow-ups/${followUpId}/reply`, staff, { reply: 'again' });
    expect(again.json.error.code).toBe('already_replied');
    expect(await repliedNotices(applicationId)).toHaveLength(1);

    // The notifications worker sends it: one SMS to li.si's phone, even when queued twice.
    worker = startNotificationsWorker(
      {
        db: hub.db.pool,
        gateway: new HttpSmsGateway(sms.url, SMS_SECRET),
        cipher: new OpenCodeCipher(hub.config.codeHashKey),
        now: () => new Date(),
        log: pino({ level: 'silent' }),
      },
      hub.hub.notificationsQueue,
      connection,
      hub.queuePrefix,
    );
    await enqueueNotice(hub.hub.notificationsQueue, notice!.id);
    await enqueueNotice(hub.hub.notificationsQueue, notice!.id);
    const phone = DEMO_USERS.find((u) => u.username === 'li.si')!.phone;
    await eventually(async () => (await repliedNotices(applicationId))[0]!.sentAt !== null, 'the reply notice to be sent', 15_000);
    const inbox = sms.inboxOf(phone).filter((m) => m.idempotencyKey === notice!.id);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.text).toMatch(/^【政务服务】李\*您好，大厅已回复您对「营业执照变更.*」的评价，请在 App 中查看。$/);
    expect(inbox[0]!.text).not.toContain('柜门');
    expect(inbox[0]!.text).not.toContain('李四');
    // The applicant reads the reply itself with the rating.
    const li = await signIn(hub.api, 'li.si');
    expect((await hub.api('GET', `/api/applications/${applicationId}/rating`, li)).json.rating.followUp.reply).toBe(REPLY);
  });
});
