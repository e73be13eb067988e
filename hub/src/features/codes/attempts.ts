// The keypad attempt limit at the hub (ADR 0015): wrong keypad codes counted per device and per
// site in Redis, the wait the next keypad attempt owes, and the burst alarm. The rule is
// @xinbao/protocol's (the kiosk applies the same one offline); this file only keeps its counts.
// QR codes never come here: a signed code is never counted and never slowed.
// The burst alarm is a row of its own (code_attempt_alarms: the counts) and, in the same
// transaction, a `code_burst` alarm in the one alarm table (kiosk_alarms, subject `site:<id>`, on
// the device that tipped it) through the kiosk slice's door, so the console sees it with the rest.
import { v7 as uuidv7 } from 'uuid';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { currentCount, waitAfter, waitRemaining, type FailureCount, type KeypadLimit } from '../../domain/attempts.js';
import { withTransaction, type Db } from '../../store/db.js';
import { raiseAlarmWithCustody } from '../kiosk/service-alarms.js';
import { insertCodeBurstAlarm } from './store.js';

/** The subject of a site's keypad-burst alarm in kiosk_alarms. */
export const siteSubject = (siteId: string) => `site:${siteId}`;

export interface KeypadLimits {
  device: KeypadLimit;
  site: KeypadLimit;
}

export interface Where {
  deviceId: string;
  siteId: string;
}

/** How long one keypad attempt may hold a slowed site's turn (two attempts are never checked at once there). */
const TURN_MS = 10_000;

export class KeypadAttempts {
  constructor(private readonly deps: { db: Db; redis: Redis; log: Logger; limits: KeypadLimits }) {}

  private key(scope: 'device' | 'site', id: string) {
    return `code-failures:${scope}:${id}`;
  }

  private async read(scope: 'device' | 'site', id: string, now: number): Promise<FailureCount> {
    const [n, last] = await this.deps.redis.hmget(this.key(scope, id), 'n', 'last');
    const count: FailureCount = { failures: Number(n ?? 0), lastAt: last === null ? null : Number(last) };
    return currentCount(count, now, this.deps.limits[scope]);
  }

  /**
   * The wait (ms) a keypad attempt still owes here at `now`, 0 when it may be checked. While the
   * site is slowed, an attempt also takes the site's turn (released by `done`), so that kiosks of
   * one site cannot check several guesses at the same instant.
   */
  async claim(w: Where, now: number): Promise<{ waitMs: number; done: () => Promise<void> }> {
    const { limits, redis } = this.deps;
    const [device, site] = await Promise.all([this.read('device', w.deviceId, now), this.read('site', w.siteId, now)]);
    const waitMs = Math.max(waitRemaining(device, now, limits.device), waitRemaining(site, now, limits.site));
    const nothing = async () => {};
    if (waitMs > 0 || waitAfter(site.failures, limits.site) === 0) return { waitMs, done: nothing };
    const turn = `code-turn:${w.siteId}`;
    if ((await redis.set(turn, w.deviceId, 'PX', TURN_MS, 'NX')) !== 'OK') return { waitMs: 1_000, done: nothing };
    return {
      waitMs: 0,
      done: async () => {
        await redis.del(turn);
      },
    };
  }

  /** Counts a wrong keypad code; logs it (never the code) and raises the burst alarm when the site starts to slow. */
  async failed(w: Where, now: number, refusal: string): Promise<{ device: FailureCount; site: FailureCount; waitMs: number }> {
    const { limits, log } = this.deps;
    const device = await this.bump('device', w.deviceId, now);
    const site = await this.bump('site', w.siteId, now);
    const waitMs = Math.max(waitAfter(device.failures, limits.device), waitAfter(site.failures, limits.site));
    log.warn(
      { deviceId: w.deviceId, siteId: w.siteId, refusal, deviceFailures: device.failures, siteFailures: site.failures, waitMs },
      'keypad code refused',
    );
    if (site.failures === limits.site.freeFailures) {
      const at = new Date(now);
      await withTransaction(this.deps.db, async (tx) => {
        await insertCodeBurstAlarm(tx, {
          id: uuidv7(),
          siteId: w.siteId,
          deviceId: w.deviceId,
          siteFailures: site.failures,
          deviceFailures: device.failures,
          waitMs,
          at,
        });
        // No parcel is concerned: no custody record, only the alarm (a repeat counts on the open one).
        await raiseAlarmWithCustody(
          tx,
          {
            siteId: w.siteId,
            deviceId: w.deviceId,
            kind: 'code_burst',
            subject: siteSubject(w.siteId),
            detail: `${site.failures} wrong keypad codes at the site (${device.failures} at this kiosk); keypads slowed, next wait ${waitMs} ms`,
            at,
          },
          null,
        );
      });
      log.error(
        { deviceId: w.deviceId, siteId: w.siteId, siteFailures: site.failures, waitMs },
        'keypad brute-force alarm: the site slows its keypads',
      );
    }
    return { device, site, waitMs };
  }

  private async bump(scope: 'device' | 'site', id: string, now: number): Promise<FailureCount> {
    const limit = this.deps.limits[scope];
    // Atomic in Redis, so that two refusals at once both count (the same rule as afterFailure).
    const n = await this.deps.redis.eval(BUMP, 1, this.key(scope, id), String(now), String(limit.quietResetMs));
    return { failures: Number(n), lastAt: now };
  }
}

const BUMP = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '-1')
local now = tonumber(ARGV[1])
local reset = tonumber(ARGV[2])
if last < 0 or now - last >= reset then n = 0 end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'last', now)
redis.call('PEXPIRE', KEYS[1], reset)
return n`;
