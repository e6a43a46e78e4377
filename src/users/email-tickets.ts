import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { indexBuilds } from '../db/index-builds.ts';
import type { LogDoc } from '../logs/log.model.ts';

export type TicketKind = 'verify_email' | 'reset_password' | 'unblock';

interface TicketRecord {
  _id: string; // SHA-256 of the token: a database leak does not leak working links
  kind: TicketKind;
  user_id: string;
  email: string;
  ip?: string;
  /** The sign-in (OIDC interaction) to resume once the link is used, if any. */
  uid?: string;
  /** A Management API ticket's (POST /api/v2/tickets/...): where the shopper goes once it is used, checked when it was issued. */
  result_url?: string;
  /** ...and whether that redirect names the address (Auth0's includeEmailInRedirect). */
  email_in_result?: boolean;
  /** A password-change ticket's mark_email_as_verified: the new password verifies the address too. */
  mark_email_verified?: boolean;
  /** The log event of the link's use (`sv`, `scp`), kept by its first try: every try writes this one (eventOnce). */
  event?: LogDoc;
  created_at: Date;
  expiresAt: Date;
  used_at?: Date;
}

export type Ticket = Omit<TicketRecord, '_id'>;
/** What a ticket may carry beyond its user: where it was asked from, the sign-in it resumes, an API ticket's options. */
export type TicketExtra = Pick<TicketRecord, 'ip' | 'uid' | 'result_url' | 'email_in_result' | 'mark_email_verified'>;

/**
 * Kinds whose newest link replaces the older ones of the user, as a verify-first sign-up's does
 * (pending-signup.repository.ts): a verification or reset mail asked for again, or a Management API
 * ticket of that kind. Auth0 does so for reset links (a new password-change ticket invalidates the
 * reset link mailed before: https://community.auth0.com/t/invalidating-password-reset-links-after-password-change/150437).
 * Unblock links stay: each lifts the block of its own IP.
 */
const NEWEST_ONLY: ReadonlySet<TicketKind> = new Set(['verify_email', 'reset_password']);
export type EmailTickets = ReturnType<typeof createEmailTickets>;

/** What is stored of a link's token: a database leak does not leak working links. */
export const linkDigest = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A new link secret (256 random bits): the token goes in the mail, only its digest is stored. */
export function newLinkToken(): { token: string; digest: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, digest: linkDigest(token) };
}

/** Tokens are 43 characters: anything else is no token and is never looked up. */
export const isPlausibleToken = (token: unknown): token is string => typeof token === 'string' && token.length <= 100;

/**
 * The secrets behind emailed links: 256 random bits, stored hashed, single use (an atomic claim),
 * and expiring (every read checks `expiresAt`; the TTL index only cleans up).
 */
export function createEmailTickets(connection: Connection, { createIndexes = true } = {}) {
  const tickets = connection.collection<TicketRecord>('email_tickets');
  // The CLI issues no tickets, and closes the connection before an index build would end.
  const ready = createIndexes ? indexBuilds(() => Promise.all([
    tickets.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }),
    tickets.createIndex({ user_id: 1, kind: 1 }),
  ])) : () => Promise.resolve();

  /**
   * Every unused link of the user and kind but the newest is used up: they get the answer of a used
   * link. Newest is by (created_at, digest), found after this issue's insert, so of links issued at
   * once (two requests, two instances) the last look sees them all and exactly one survives.
   */
  async function keepNewestOnly(kind: TicketKind, userId: string): Promise<void> {
    const live = { user_id: userId, kind, used_at: { $exists: false } };
    const [newest] = await tickets.find(live, { projection: { created_at: 1 } }).sort({ created_at: -1, _id: -1 }).limit(1).toArray();
    if (!newest) return;
    const older = [{ created_at: { $lt: newest.created_at } }, { created_at: newest.created_at, _id: { $lt: newest._id } }];
    await tickets.updateMany({ ...live, $or: older }, { $set: { used_at: new Date() } });
  }

  return {
    /** `newUser`: the user was just made and has no older link to use up (two commands a sign-up saves). */
    async issue(kind: TicketKind, user: { user_id: string; email: string }, ttlSeconds: number, extra: TicketExtra = {}, { newUser = false } = {}): Promise<string> {
      await ready();
      const { token, digest } = newLinkToken();
      const now = new Date();
      // Only what is set: a ticket without options stays as small as before.
      const options = Object.fromEntries(Object.entries(extra).filter(([, value]) => value !== undefined && value !== false && value !== ''));
      await tickets.insertOne({
        _id: digest, kind, user_id: user.user_id, email: user.email, ...options,
        created_at: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      });
      if (NEWEST_ONLY.has(kind) && !newUser) await keepNewestOnly(kind, user.user_id);
      return token;
    },

    /** Looks at a ticket without using it (to show the new-password form). */
    async peek(kind: TicketKind, token: string): Promise<Ticket | null> {
      if (!isPlausibleToken(token)) return null;
      return tickets.findOne({ _id: linkDigest(token), kind, used_at: { $exists: false }, expiresAt: { $gt: new Date() } });
    },

    /** Uses a ticket: of two concurrent uses exactly one succeeds. */
    async redeem(kind: TicketKind, token: string): Promise<Ticket | null> {
      if (!isPlausibleToken(token)) return null;
      return tickets.findOneAndUpdate(
        { _id: linkDigest(token), kind, used_at: { $exists: false }, expiresAt: { $gt: new Date() } },
        { $set: { used_at: new Date() } },
      );
    },

    /**
     * The one log event of a link's use, the same for every try: the first try keeps `event` on the
     * ticket and a retry, or a second click at once, gets that one back, so writing it (by its unique
     * log_id) before the link is spent logs it once. Neither used_at nor the expiry is checked: a try
     * that found the link live has done its work by now, and its event must be written.
     */
    async eventOnce(kind: TicketKind, token: string, event: LogDoc): Promise<LogDoc> {
      const _id = linkDigest(token);
      const kept = await tickets.updateOne({ _id, kind, event: { $exists: false } }, { $set: { event } });
      if (kept.modifiedCount === 1) return event;
      // Kept by an earlier try; the ticket gone (its TTL clean-up, past expiry): this try's own.
      return (await tickets.findOne({ _id, kind }))?.event ?? event;
    },

    /** A new password voids every other reset link of the user. */
    async voidAll(userId: string, kind: TicketKind): Promise<void> {
      await tickets.updateMany({ user_id: userId, kind, used_at: { $exists: false } }, { $set: { used_at: new Date() } });
    },
  };
}
