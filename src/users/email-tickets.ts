import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { indexBuilds } from '../db/index-builds.ts';

export type TicketKind = 'verify_email' | 'reset_password' | 'unblock';

interface TicketRecord {
  _id: string; // SHA-256 of the token: a database leak does not leak working links
  kind: TicketKind;
  user_id: string;
  email: string;
  ip?: string;
  /** The sign-in (OIDC interaction) to resume once the link is used, if any. */
  uid?: string;
  created_at: Date;
  expiresAt: Date;
  used_at?: Date;
}

export type Ticket = Omit<TicketRecord, '_id'>;
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

  return {
    async issue(kind: TicketKind, user: { user_id: string; email: string }, ttlSeconds: number, extra: { ip?: string; uid?: string } = {}): Promise<string> {
      await ready();
      const { token, digest } = newLinkToken();
      const now = new Date();
      await tickets.insertOne({
        _id: digest, kind, user_id: user.user_id, email: user.email,
        ...(extra.ip ? { ip: extra.ip } : {}), ...(extra.uid ? { uid: extra.uid } : {}),
        created_at: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      });
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

    /** A new password voids every other reset link of the user. */
    async voidAll(userId: string, kind: TicketKind): Promise<void> {
      await tickets.updateMany({ user_id: userId, kind, used_at: { $exists: false } }, { $set: { used_at: new Date() } });
    },
  };
}
