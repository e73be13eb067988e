// SMS sign-in limits on the hub's Redis (rate-limiter-flexible), shared by every hub process, as the
// password throttle (ADR 0017): keys are hashes, nothing personal. A phone gets one code per
// interval whoever asks (no SMS bombing, and the longest a stranger can hold the holder back); an
// address may ask for so many codes and send so many wrong codes an hour, over every phone.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { SmsSignInLimits } from '../../domain/sms-sign-in.js';
import { HubError } from '../../errors.js';

/** 429: wait `retryAfterSeconds`. */
export class SmsThrottled extends HubError {
  constructor(
    readonly retryAfterSeconds: number,
    why: 'phone' | 'address_codes' | 'address_failures',
  ) {
    super(
      429,
      why === 'address_failures' ? 'too_many_attempts' : 'too_many_codes',
      why === 'phone'
        ? `a code was just sent to this phone; ask again in ${retryAfterSeconds} s`
        : why === 'address_codes'
          ? `too many codes asked for from your address; try again in ${retryAfterSeconds} s`
          : `too many wrong codes from your address; try again in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  }
}

const HOUR = 3_600;
const key = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);
const seconds = (r: RateLimiterRes) => Math.max(1, Math.ceil(r.msBeforeNext / 1000));

export class SmsSignInThrottle {
  private readonly perPhone: RateLimiterRedis;
  private readonly addressCodes: RateLimiterRedis;
  private readonly addressFailures: RateLimiterRedis;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly limits: Pick<SmsSignInLimits, 'phoneIntervalSeconds' | 'addressCodesPerHour' | 'addressFailuresPerHour'>,
  ) {
    const make = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:sms-sign-in:${name}`, points, duration });
    this.perPhone = make('phone', 1, limits.phoneIntervalSeconds);
    this.addressCodes = make('address-codes', limits.addressCodesPerHour, HOUR);
    this.addressFailures = make('address-failures', Number.MAX_SAFE_INTEGER, HOUR);
  }

  /** Before a code is sent: counts the ask against the address, then the phone; throws SmsThrottled past either. */
  async admitCode(phone: string, address: string): Promise<void> {
    try {
      await this.addressCodes.consume(key(address));
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new SmsThrottled(seconds(e), 'address_codes');
      throw e;
    }
    try {
      await this.perPhone.consume(key(phone));
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new SmsThrottled(seconds(e), 'phone');
      throw e;
    }
  }

  /** Before a code is checked: refuses an address that sent too many wrong codes this hour. */
  async admitLogin(address: string): Promise<void> {
    const r = await this.addressFailures.get(key(address));
    if (r && r.consumedPoints >= this.limits.addressFailuresPerHour) throw new SmsThrottled(seconds(r), 'address_failures');
  }

  /** A wrong code from this address. */
  async loginFailed(address: string): Promise<void> {
    await this.addressFailures.penalty(key(address), 1);
  }
}
