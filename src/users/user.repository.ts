import mongoose from 'mongoose';
import type { LogDoc } from '../logs/log.model.ts';
import { trusted, type UserChanges } from './user-changes.ts';
import type { Identity, UserDoc, UserModel } from './user.model.ts';
import { createRecentSignins } from './recent-signins.ts';
import { completeUser as complete, withProfileDefaults } from './stored-user.ts';
import { accountLinkWrites } from './account-link-writes.ts';
import { bulkUserReads } from './bulk-user-reads.ts';
import { sameIdentity } from './main-identity.ts';
import { createVisitorReads } from './visitor-reads.ts';
import type { Logger } from '../lib/logger.ts';

export type UserRepository = ReturnType<typeof createUserRepository>;

/**
 * Query values arrive already parsed as strings; mongoose's sanitizeFilter guards operator injection
 * as well. Writes that change what the profile says go through `changes`, which keeps the facts.
 */
export function createUserRepository(users: UserModel, changes: UserChanges, logger?: Logger) {
  const recent = createRecentSignins();
  // Hosted pages' and tokens' reads: an undated migrated user is dated, not a 500 (visitor-reads.ts).
  const forVisitor = createVisitorReads(users, logger);
  changes.onWrite((userId) => recent.forget(userId));

  return {
    findByUserId(userId: string): Promise<UserDoc | null> {
      return complete(users.findOne({ user_id: userId }).lean<UserDoc>().exec());
    },

    /** For the steps of a code flow right after a sign-in on this instance (see recent-signins.ts); else a visitor's read. */
    async findSignedIn(userId: string): Promise<UserDoc | null> {
      return recent.get(userId) ?? forVisitor(users.findOne({ user_id: userId }).lean<UserDoc>().exec());
    },

    /** A password sign-in's read (a visitor's). */
    findByEmailWithSecret(email: string): Promise<UserDoc | null> {
      return forVisitor(users.findOne({ email }).select('+password_hash').lean<UserDoc>().exec());
    },

    /** findByEmail for a hosted page (a password reset, a sign-up of a taken email), whose visitor could be anyone. */
    findByEmailForVisitor(email: string): Promise<UserDoc | null> {
      return forVisitor(users.findOne({ email }).lean<UserDoc>().exec());
    },

    findByEmail(email: string): Promise<UserDoc | null> {
      return complete(users.findOne({ email }).lean<UserDoc>().exec());
    },

    /**
     * Two users hold the identity only while a link (POST /users/{id}/identities) is half done: it
     * adds the identities to the primary before it deletes the secondary (account-linking.ts). The
     * sign-in then goes to the primary, the one that holds every identity of the other.
     */
    async findByIdentity(provider: string, identityUserId: string): Promise<UserDoc | null> {
      // trusted(): sanitizeFilter would otherwise strip our own $elemMatch (the values are plain strings).
      const holders = await users.find({ identities: trusted({ $elemMatch: { provider: String(provider), user_id: String(identityUserId) } }) }).limit(2).lean<UserDoc[]>().exec();
      const [a, b] = (await Promise.all(holders.map(forVisitor))).filter((user) => user !== null);
      if (a) return b && holdsAll(b, a) ? b : a;
      // A user a migration stored without identities: its user_id still names the account it signs in with.
      const named = await forVisitor(users.findOne({ user_id: `${provider}|${identityUserId}` }).lean<UserDoc>().exec());
      return named?.identities.length === 0 ? named : null;
    },

    ...accountLinkWrites(users, changes, recent),
    ...bulkUserReads(users),

    /**
     * Adds a secondary identity unless some identity of that provider account is already there, and
     * only while the user is not blocked (a block may land after the sign-in that asked for the link).
     */
    async linkIdentity(userId: string, identity: Identity, at: Date): Promise<boolean> {
      const linked = await changes.apply(userId, { $push: { identities: identity }, $set: { updated_at: at } }, {
        kind: 'change', where: { identities: trusted({ $not: { $elemMatch: { provider: String(identity.provider), user_id: String(identity.user_id) } } }), blocked: trusted({ $ne: true }) },
      });
      return Boolean(linked);
    },

    /** Removes a secondary identity (never the primary, identities[0], which the user_id names). */
    async unlinkIdentity(userId: string, provider: string, identityUserId: string, at: Date): Promise<boolean> {
      const before = await complete(users.findOne({ user_id: userId }).lean<UserDoc>().exec());
      const present = before?.identities.some((i, index) => index > 0 && i.provider === provider && i.user_id === identityUserId);
      if (!before || !present) return false;
      const unlinked = await changes.apply(userId, { $pull: { identities: { provider: String(provider), user_id: String(identityUserId) } }, $set: { updated_at: at } }, {
        kind: 'change', before, where: { 'identities.0.provider': trusted({ $ne: String(provider) }) },
      });
      return Boolean(unlinked);
    },

    /**
     * A returning social sign-in: refreshes what the provider says (root fields only when it is
     * the primary identity, as Auth0 does) and counts the login, in one atomic update.
     */
    async recordSocialLogin(user: UserDoc, identity: Identity, rootFields: Partial<UserDoc>, ip: string | undefined, at: Date, log: LogDoc): Promise<UserDoc | null> {
      const set: Record<string, unknown> = { ...rootFields, last_login: at, last_ip: ip, updated_at: at };
      // A user a migration stored without identities (findByIdentity) gets this one as its first.
      const first = user.identities.length === 0;
      if (first) {
        set.identities = [identity];
      } else {
        set['identities.$[id].profileData'] = identity.profileData;
        if (identity.sealed_tokens) set['identities.$[id].sealed_tokens'] = identity.sealed_tokens;
      }
      const signedIn = await changes.apply(user.user_id, { $set: set, $inc: { logins_count: 1 }, $push: { pending_logs: log } }, {
        kind: 'signin', before: user, ...(first
          ? { where: { 'identities.0': trusted({ $exists: false }) } }
          : { arrayFilters: [{ 'id.provider': identity.provider, 'id.user_id': identity.user_id }] }),
      });
      if (signedIn) recent.remember(signedIn);
      return signedIn;
    },

    /**
     * One insert of the complete profile and its facts: a crash cannot leave a half-made user. `log`:
     * the sign-up's `ss` (and a verify-first sign-up's `sv`), carried in the same insert; the caller
     * then hands them to the log service, which writes them with its batch (logs/log-outbox.ts).
     */
    async insert(user: UserDoc, options?: { quiet?: boolean; log?: LogDoc | LogDoc[] }): Promise<UserDoc> {
      const created = await changes.insert(options?.log ? { ...user, pending_logs: [options.log].flat() } : user, options);
      if (!options?.quiet) recent.remember(created); // a sign-up signs in: its code flow follows (an import does not)
      return created;
    },

    /**
     * Atomic, so concurrent logins on several instances all count. `log`: the login's `s`, carried in
     * the same write; the caller then hands it to the log service, which writes it with its batch
     * (logs/log-outbox.ts). `before`: the user as the sign-in read it.
     */
    async recordLogin(userId: string, ip: string | undefined, at: Date, log: LogDoc, before?: UserDoc): Promise<UserDoc | null> {
      const change = { $set: { last_login: at, last_ip: ip, updated_at: at }, $inc: { logins_count: 1 }, $push: { pending_logs: log } };
      const user = await changes.apply(userId, change, { kind: 'signin', before });
      if (user) recent.remember(user);
      return user;
    },

    async addBlockedFor(userId: string, entry: { identifier: string; ip: string }): Promise<void> {
      recent.forget(userId);
      await users.updateOne({ user_id: userId }, { $addToSet: { blocked_for: entry }, $set: { updated_at: new Date() } }).exec();
    },

    /** Lifts brute-force blocks: for one IP, or all of them. */
    async clearBlockedFor(userId: string, ip?: string): Promise<void> {
      const update = ip ? { $pull: { blocked_for: { ip } } } : { $set: { blocked_for: [] } };
      recent.forget(userId);
      await users.updateOne({ user_id: userId }, update).exec();
    },

    /** Only if the address is still the one the link was sent to (or the provider vouched for): the user as written, else null. */
    markEmailVerified(userId: string, email: string): Promise<UserDoc | null> {
      return changes.apply(userId, { $set: { email_verified: true, updated_at: new Date() } }, { kind: 'change', where: { email } });
    },

    /**
     * An admin's change: `$set`/`$unset` paths built by the caller from known fields only. `check`:
     * what the change must still keep when a concurrent write made it retry (see user-changes.ts).
     */
    update(userId: string, set: Record<string, unknown>, unset: Record<string, ''>, before?: UserDoc, check?: (current: UserDoc, after: UserDoc) => void): Promise<UserDoc | null> {
      return changes.apply(userId, Object.keys(unset).length ? { $set: set, $unset: unset } : { $set: set }, { kind: 'change', before, check });
    },

    /**
     * Gives or takes dashboard roles with MongoDB's array operators, not a new list: a concurrent
     * change of the user's other roles (another request, another instance) is kept, not overwritten.
     * `check`: what the change must still keep when such a change made it retry (user-changes.ts).
     */
    changeRoles(userId: string, change: { add: string[] } | { remove: string[] }, before?: UserDoc, check?: (current: UserDoc, after: UserDoc) => void): Promise<UserDoc | null> {
      const roles = 'add' in change ? { $addToSet: { 'app_metadata.roles': { $each: change.add } } } : { $pull: { 'app_metadata.roles': { $in: change.remove } } };
      return changes.apply(userId, { ...roles, $set: { updated_at: new Date() } }, { kind: 'change', before, check });
    },

    async remove(userId: string): Promise<boolean> {
      recent.forget(userId);
      return (await users.deleteOne({ user_id: userId }).exec()).deletedCount === 1;
    },

    /**
     * `whileEmail`: written only while the user still has this address (a reset link's), in the same
     * write, so that an address changed since the link was mailed sets nothing. `markVerified` (a
     * password-change ticket's mark_email_as_verified) verifies that address with it; that write
     * changes the profile, so it goes through `changes`, which keeps the facts. `whileHash`: written
     * only over this hash (a sign-in's re-hash). False: nothing was written (the user is gone, or its
     * address or hash changed since the caller looked).
     */
    async replacePasswordHash(userId: string, passwordHash: string, { whileEmail, whileHash, markVerified = false }: { whileEmail?: string; whileHash?: string; markVerified?: boolean } = {}): Promise<boolean> {
      recent.forget(userId);
      const where = { ...(whileEmail === undefined ? {} : { email: whileEmail }), ...(whileHash === undefined ? {} : { password_hash: whileHash }) };
      if (!markVerified) {
        return (await users.updateOne({ user_id: userId, ...where }, { $set: { password_hash: passwordHash } }).exec()).matchedCount === 1;
      }
      if (whileEmail === undefined) throw new TypeError('replacePasswordHash: markVerified needs the address to verify');
      return Boolean(await changes.apply(userId, { $set: { password_hash: passwordHash, email_verified: true, updated_at: new Date() } }, { kind: 'change', where }));
    },
  };
}

/** Whether `user` holds every identity of `other` (by provider and id). */
const holdsAll = (user: UserDoc, other: UserDoc) => other.identities.every((o) => user.identities.some(sameIdentity(o)));

/** A database user's own id (the part after `auth0|`): an ObjectId's 24 hex digits, as Auth0's. */
export function newUserObjectId(): string {
  return new mongoose.Types.ObjectId().toHexString();
}
