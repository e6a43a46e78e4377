import type { Connection } from 'mongoose';
import { isPlausibleToken, linkDigest, newLinkToken } from './email-tickets.ts';
import { isDuplicateKeyError } from '../db/duplicate-keys.ts';
import { indexBuilds } from '../db/index-builds.ts';

/**
 * A verify-first sign-up that waits for its emailed link. It is not a user: it lives in its own
 * collection, so every sign-in path, the linking rules, the profile APIs and the reports (which
 * all read `users`) cannot see it. Confirming the link turns it into a user in one insert.
 */
export interface PendingSignup {
  /** Trimmed and lower-cased (as the form parsed it); unique: a newer sign-up replaces an older one. */
  email: string;
  password_hash: string;
  name: string;
  nickname: string;
  /** The sign-in (OIDC interaction) to finish when the link is confirmed in the same browser. */
  uid?: string;
  /**
   * The handle of this sign-up's "Check your inbox" page in that sign-in: a popup's Continue there
   * finishes this sign-up only, not another one made in the same popup (interaction.routes.ts).
   */
  check_inbox?: string;
  /** SHA-256 of the emailed link's token; a new link replaces it, so only the latest link works. */
  ticket: string;
  created_at: Date;
  /** When the link stops working; every read checks it (the TTL index only cleans up). */
  expiresAt: Date;
}

export type PendingSignupRepository = ReturnType<typeof createPendingSignupRepository>;

export function createPendingSignupRepository(connection: Connection) {
  const records = connection.collection<PendingSignup>('pending_signups');
  const ready = indexBuilds(() => Promise.all([
    records.createIndex({ email: 1 }, { unique: true }),
    records.createIndex({ ticket: 1 }, { unique: true }),
    records.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }),
  ]));
  const live = () => ({ expiresAt: { $gt: new Date() } });
  const expiry = (ttlSeconds: number) => new Date(Date.now() + ttlSeconds * 1000);

  return {
    /** Keeps the sign-up (replacing any older one for the email, whose link dies); returns the link's token. */
    async save(signup: Omit<PendingSignup, 'ticket' | 'created_at' | 'expiresAt'>, ttlSeconds: number): Promise<string> {
      await ready();
      const { token, digest } = newLinkToken();
      const record: PendingSignup = { ...signup, ticket: digest, created_at: new Date(), expiresAt: expiry(ttlSeconds) };
      const replace = () => records.replaceOne({ email: signup.email }, record, { upsert: true });
      try {
        await replace();
      } catch (err) {
        // Two concurrent upserts of one new email: the unique index lets one insert; the other now replaces it.
        if (!isDuplicateKeyError(err)) throw err;
        await replace();
      }
      return token;
    },

    /** The live sign-up of a link, not used up: that comes once its user exists (done), so a crash in between leaves the link working. */
    async peek(token: string): Promise<PendingSignup | null> {
      if (!isPlausibleToken(token)) return null;
      return records.findOne({ ticket: linkDigest(token), ...live() });
    },

    /** The sign-up is done (its user exists, or the address is taken): its link stops working. */
    async done(signup: PendingSignup): Promise<void> {
      await records.deleteOne({ ticket: signup.ticket });
    },

    /** A fresh link for a live pending sign-up (the previous link stops working); null when there is none. */
    async renew(email: string, ttlSeconds: number): Promise<string | null> {
      await ready();
      const { token, digest } = newLinkToken();
      const renewed = await records.findOneAndUpdate({ email, ...live() }, { $set: { ticket: digest, expiresAt: expiry(ttlSeconds) } });
      return renewed ? token : null;
    },

    /** The address belongs to someone else now (a provider proved it): the sign-up is void. */
    async drop(email: string): Promise<void> {
      await records.deleteOne({ email });
    },
  };
}
