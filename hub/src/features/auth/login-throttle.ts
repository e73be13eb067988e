// Sign-in throttling on the hub's Redis (rate-limiter-flexible), shared by every hub process. The
// rules (how long, how many) are in domain/login-throttle.ts; this keeps the counts. Only wrong
// passwords count: a person who signs in right is never held back by their own sign-ins.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { accountSlowdownMs, addressExhausted, pairDelaySeconds, type LoginThrottleLimits } from '../../domain/login-throttle.js';
import { HubError } from '../../errors.js';

/** 429: wait `retryAfterSeconds` before signing in again from this address. */
export class LoginThrottled extends HubError {
  constructor(
    readonly retryAfterSeconds: number,
    why: 'pair' | 'address',
  ) {
    super(
      429,
      'too_many_attempts',
      why === 'pair'
        ? `too many wrong passwords for this account from your address; try again in ${retryAfterSeconds} s`
        : `too many wrong passwords from your address; try again in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  }
}

const HOUR = 3_600;
// Usernames and addresses are hashed into the keys: Redis keys stay short and hold nothing personal.
const key = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);

export class LoginThrottle {
  /** consecutive failures per (account, address); cleared by a success from that pair */
  private readonly pairFailures: RateLimiterRedis;
  /** the wait a pair is serving (a block of the given length) */
  private readonly pairWait: RateLimiterRedis;
  private readonly addressFailures: RateLimiterRedis;
  private readonly accountFailures: RateLimiterRedis;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly limits: LoginThrottleLimits,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    const make = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:login:${name}`, points, duration });
    this.pairFailures = make('pair-failures', Number.MAX_SAFE_INTEGER, 24 * HOUR);
    this.pairWait = make('pair-wait', 1, 1);
    this.addressFailures = make('address-failures', Number.MAX_SAFE_INTEGER, HOUR);
    this.accountFailures = make('account-failures', Number.MAX_SAFE_INTEGER, HOUR);
  }

  /** Before the password is checked: refuses a pair that is waiting or an address that used its hour up; holds a much-attacked account's attempts. */
  async admit(username: string, address: string): Promise<void> {
    const [wait, byAddress, byAccount] = await Promise.all([
      this.pairWait.get(key(username, address)),
      this.addressFailures.get(key(address)),
      this.accountFailures.get(key(username)),
    ]);
    if (wait && wait.consumedPoints > 1) throw new LoginThrottled(Math.max(1, Math.ceil(wait.msBeforeNext / 1000)), 'pair');
    if (byAddress && addressExhausted(byAddress.consumedPoints, this.limits)) {
      throw new LoginThrottled(Math.max(1, Math.ceil(byAddress.msBeforeNext / 1000)), 'address');
    }
    const slow = accountSlowdownMs(byAccount?.consumedPoints ?? 0, this.limits);
    if (slow > 0) await this.sleep(slow);
  }

  /** A wrong password: counts it three ways and starts the pair's wait; the seconds to wait (0: none). */
  async failed(username: string, address: string): Promise<number> {
    const pair = key(username, address);
    const [failures] = await Promise.all([
      this.pairFailures.penalty(pair, 1),
      this.addressFailures.penalty(key(address), 1),
      this.accountFailures.penalty(key(username), 1),
    ]);
    const delay = pairDelaySeconds(failures.consumedPoints, this.limits);
    if (delay > 0) await this.pairWait.block(pair, delay);
    return delay;
  }

  /** The right password: this address's record against this account is wiped. */
  async succeeded(username: string, address: string): Promise<void> {
    const pair = key(username, address);
    await Promise.all([this.pairFailures.delete(pair), this.pairWait.delete(pair)]);
  }
}
