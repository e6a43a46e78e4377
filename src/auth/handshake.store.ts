import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { indexBuilds } from '../db/index-builds.ts';

/**
 * Short-lived, single-use records that carry a sign-in across a round trip (to a social provider,
 * or through an emailed link), bound to the OIDC interaction (uid) that started it. In MongoDB, so any instance can take the
 * callback; every read filters on expiry (the TTL index is only housekeeping).
 */
export type HandshakeKind = 'state' | 'request_token' | 'result' | 'pending_email' | 'pending_link' | 'verified_signup' | 'check_inbox' | 'emailed_link' | 'popup_handover';

export interface Handshake<T = Record<string, unknown>> {
  _id: string;
  kind: HandshakeKind;
  uid: string;
  connection: string;
  data: T;
  expiresAt: Date;
}

export const HANDSHAKE_LIFETIME_MS = 15 * 60 * 1000;

export type HandshakeStore = ReturnType<typeof createHandshakeStore>;

export function createHandshakeStore(connection: Connection) {
  const records = connection.collection<Handshake>('social_handshakes');
  const ready = indexBuilds(() => Promise.all([
    records.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }),
    records.createIndex({ uid: 1, kind: 1 }),
  ]));
  const live = () => ({ expiresAt: { $gt: new Date() } });

  return {
    newId: () => randomBytes(24).toString('base64url'),

    async put<T extends Record<string, unknown>>(record: Omit<Handshake<T>, 'expiresAt' | '_id'> & { _id?: string }): Promise<string> {
      await ready();
      const _id = record._id ?? randomBytes(24).toString('base64url');
      await records.insertOne({ ...record, _id, expiresAt: new Date(Date.now() + HANDSHAKE_LIFETIME_MS) } as Handshake);
      return _id;
    },

    async peek(id: string, kind: HandshakeKind): Promise<Handshake | null> {
      return records.findOne({ _id: id, kind, ...live() });
    },

    /** Atomic read-and-delete: of two concurrent uses, exactly one gets the record. */
    async take(id: string, kind: HandshakeKind, uid?: string): Promise<Handshake | null> {
      return records.findOneAndDelete({ _id: id, kind, ...(uid ? { uid } : {}), ...live() });
    },

    /** Another lifetime from now for a live record of `uid` that `where` matches, with `set` (dotted paths) applied; null when there is none. */
    async renew(id: string, kind: HandshakeKind, uid: string, set: Record<string, unknown>, where: Record<string, unknown> = {}): Promise<Handshake | null> {
      const expiresAt = new Date(Date.now() + HANDSHAKE_LIFETIME_MS);
      return records.findOneAndUpdate({ ...where, _id: id, kind, uid, ...live() }, { $set: { ...set, expiresAt } }, { returnDocument: 'after' });
    },

    async peekFor(uid: string, kind: HandshakeKind): Promise<Handshake | null> {
      return records.findOne({ uid, kind, ...live() });
    },

    /** Atomic read-and-delete of what an interaction left of one kind, or of the one `where` matches. */
    async takeFor(uid: string, kind: HandshakeKind, where: Record<string, unknown> = {}): Promise<Handshake | null> {
      return records.findOneAndDelete({ ...where, uid, kind, ...live() });
    },

    async drop(id: string): Promise<void> {
      await records.deleteOne({ _id: id });
    },

    /** What an interaction left waiting of one kind (an offer replaced by a newer one), or those of them `where` matches. */
    async dropFor(uid: string, kind: HandshakeKind, where: Record<string, unknown> = {}): Promise<void> {
      await records.deleteMany({ ...where, uid, kind });
    },

    /** Everything an interaction left waiting (a cancelled sign-in): the provider tokens in them too. */
    async dropAllFor(uid: string): Promise<void> {
      await records.deleteMany({ uid });
    },
  };
}
