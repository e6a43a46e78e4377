import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { waitInWords } from '../lib/wait-in-words.ts';

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
 * - suspicious IP: failed logins and sign-ups per IP per window → 429 with Retry-After;
 * - account mails: password-reset, verification-link, sign-up-attempt and social email-step mails per email and per IP per window.
 */
export function createAttackProtection(connection: Connection, config: Config, { createIndexes = true } = {}) {
  const { brute_force: bf, suspicious_ip: ip, account_mails: mail } = config.attack_protection;
  const store = {
    storeClient: connection.getClient(), dbName: connection.db!.databaseName, tableName: 'rate_limits',
    disableIndexesCreation: !createIndexes, // the CLI only deletes, and exits before an index build would end
  };
  // points = limit - 1: the limit-th failure is the one that is refused, and starts the block.
  const userIp = new RateLimiterMongo({ ...store, keyPrefix: 'bf', points: bf.max_attempts - 1, duration: bf.block_seconds, blockDuration: bf.block_seconds });
  const ipFailures = new RateLimiterMongo({ ...store, keyPrefix: 'ipf', points: ip.max_failed_logins, duration: ip.window_seconds });
  const ipSignups = new RateLimiterMongo({ ...store, keyPrefix: 'ips', points: ip.max_signups, duration: ip.window_seconds });
  const mailsPerEmail = new RateLimiterMongo({ ...store, keyPrefix: 'mre', points: mail.max_per_address, duration: mail.window_seconds });
  const mailsPerIp = new RateLimiterMongo({ ...store, keyPrefix: 'mri', points: mail.max_per_ip, duration: mail.window_seconds });
  const key = (userId: string, address: string) => `${userId}|${address}`;
  // Any typed address gets a counter, account or not: rate_limits keeps a digest, not the address.
  const emailKey = (email: string) => createHash('sha256').update(email).digest('base64url');
  const counters = connection.collection<{ key: string; points: number; expire: Date | null }>('rate_limits');

  async function consume(limiter: RateLimiterMongo, k: string): Promise<RateLimiterRes | null> {
    try {
      await limiter.consume(k);
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    }
  }

  // The page says when, in words; Retry-After says the same in seconds, for programs.
  const throttled = (res: RateLimiterRes, what: string) => {
    const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new TooManyAttemptsError(`Too many ${what} from your network. Please try again ${waitInWords(seconds)}.`, seconds);
  };

  /**
   * The unexpired counters under these keys (as `limiter.getKey` names them), in one query: the
   * limiter's own get() is one query per key, with the same expiry filter and the same reading.
   */
  async function countersOf(names: string[]): Promise<Map<string, RateLimiterRes>> {
    const now = new Date();
    const docs = names.length ? await counters.find({ key: { $in: names }, $or: [{ expire: { $gt: now } }, { expire: { $eq: null } }] }).toArray() : [];
    return new Map(docs.map((doc) => [doc.key, new RateLimiterRes(undefined, doc.expire ? Math.max(doc.expire.getTime() - Date.now(), 0) : -1, doc.points)]));
  }

  return {
    /**
     * Before checking a password: throws if this IP is throttled; else the run of consecutive failures
     * of this user from this IP (blocked when it reached the limit). One database read for both.
     */
    async loginState(userId: string | undefined, address: string | undefined): Promise<{ count: number; blocked: boolean }> {
      const ipKey = ip.enabled && address ? ipFailures.getKey(address) : undefined;
      const userKey = bf.enabled && address && userId ? userIp.getKey(key(userId, address)) : undefined;
      const found = await countersOf([ipKey, userKey].filter((k): k is string => k !== undefined));
      const ipRes = ipKey ? found.get(ipKey) : undefined;
      if (ipRes && ipRes.consumedPoints >= ip.max_failed_logins) throw throttled(ipRes, 'failed sign-ins');
      const count = (userKey ? found.get(userKey)?.consumedPoints : undefined) ?? 0;
      return { count, blocked: count > bf.max_attempts - 1 };
    },

    async countSignup(address: string | undefined): Promise<void> {
      if (!ip.enabled || !address) return;
      const rejected = await consume(ipSignups, address);
      if (rejected) throw throttled(rejected, 'sign-ups');
    },

    /**
     * Counts a request for a password-reset or verification mail, a sign-up's mail to the owner of
     * its email, or the link of a social sign-in's email step; returns why it must not be sent when this email or this IP asked too often, else
     * undefined. Reset and resend requests count before anyone looks the email up; either way being
     * refused changes no answer, so it cannot tell whether the email has an account.
     */
    async refuseAccountMail(email: string, address: string | undefined): Promise<string | undefined> {
      if (!mail.enabled) return undefined;
      const [byEmail, byIp] = await Promise.all([consume(mailsPerEmail, emailKey(email)), address ? consume(mailsPerIp, address) : null]);
      if (byEmail) return 'too many mail requests for this email';
      if (byIp) return 'too many mail requests from this IP';
      return undefined;
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
