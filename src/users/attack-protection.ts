import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { AppError } from '../errors/app-error.ts';

/** HTTP 429 with the seconds to wait: the suspicious-IP throttle. */
export class TooManyAttemptsError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('too_many_attempts', 429, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type AttackProtection = ReturnType<typeof createAttackProtection>;

/**
 * Counters in MongoDB (rate-limiter-flexible's Mongo store: atomic upserts, expiry checked on
 * every read), so every instance sees the same counts.
 * - brute force: consecutive failures per (user, IP); at the limit that IP is blocked for that user;
 * - suspicious IP: failed logins and sign-ups per IP per window → 429 with Retry-After.
 */
export function createAttackProtection(connection: Connection, config: Config, { createIndexes = true } = {}) {
  const { brute_force: bf, suspicious_ip: ip } = config.attack_protection;
  const store = {
    storeClient: connection.getClient(), dbName: connection.db!.databaseName, tableName: 'rate_limits',
    disableIndexesCreation: !createIndexes, // the CLI only deletes, and exits before an index build would end
  };
  // points = limit - 1: the limit-th failure is the one that is refused, and starts the block.
  const userIp = new RateLimiterMongo({ ...store, keyPrefix: 'bf', points: bf.max_attempts - 1, duration: bf.block_seconds, blockDuration: bf.block_seconds });
  const ipFailures = new RateLimiterMongo({ ...store, keyPrefix: 'ipf', points: ip.max_failed_logins, duration: ip.window_seconds });
  const ipSignups = new RateLimiterMongo({ ...store, keyPrefix: 'ips', points: ip.max_signups, duration: ip.window_seconds });
  const key = (userId: string, address: string) => `${userId}|${address}`;

  async function consume(limiter: RateLimiterMongo, k: string): Promise<RateLimiterRes | null> {
    try {
      await limiter.consume(k);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    }
  }

  const throttled = (res: RateLimiterRes, what: string) =>
    new TooManyAttemptsError(`Too many ${what} from your network. Please try again later.`, Math.max(1, Math.ceil(res.msBeforeNext / 1000)));

  return {
    /** Before checking a password: is this IP throttled? */
    async assertLoginAllowed(address: string | undefined): Promise<void> {
      if (!ip.enabled || !address) return;
      const res = await ipFailures.get(address);
      if (res && res.consumedPoints >= ip.max_failed_logins) throw throttled(res, 'failed sign-ins');
    },

    async countSignup(address: string | undefined): Promise<void> {
      if (!ip.enabled || !address) return;
      const rejected = await consume(ipSignups, address);
      if (rejected) throw throttled(rejected, 'sign-ups');
    },

    /** The run of consecutive failures of this user from this IP; blocked when it reached the limit. */
    async failuresOf(userId: string, address: string | undefined): Promise<{ count: number; blocked: boolean }> {
      if (!bf.enabled || !address) return { count: 0, blocked: false };
      const count = (await userIp.get(key(userId, address)))?.consumedPoints ?? 0;
      return { count, blocked: count > bf.max_attempts - 1 };
    },

    /** Counts a failure; returns true exactly when this failure reached the brute-force limit. */
    async recordFailure(userId: string | undefined, address: string | undefined): Promise<boolean> {
      if (!address) return false;
      if (ip.enabled) await consume(ipFailures, address);
      if (!bf.enabled || !userId) return false;
      const rejected = await consume(userIp, key(userId, address));
      return Boolean(rejected && rejected.consumedPoints === bf.max_attempts);
    },

    /** A success ends the run of consecutive failures. */
    async recordSuccess(userId: string, address: string | undefined): Promise<void> {
      if (bf.enabled && address) await userIp.delete(key(userId, address));
    },

    async unblock(userId: string, address: string): Promise<void> {
      await userIp.delete(key(userId, address));
    },
  };
}
