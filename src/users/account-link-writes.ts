import type { RecentSignins } from './recent-signins.ts';
import { trusted, type UserChanges } from './user-changes.ts';
import type { Identity, UserDoc, UserModel } from './user.model.ts';
import { completeUser as complete } from './stored-user.ts';

/**
 * The writes of an account link (src/admin/account-linking.ts): claim the secondary, add its
 * identities to the primary, delete it as it was read. Part of the user repository (spread into it),
 * kept apart because each is a step of that one ordered move.
 */
export function accountLinkWrites(users: UserModel, changes: UserChanges, recent: RecentSignins) {
  return {
    /** The user with its identities' sealed provider tokens, which a link moves along (never shown). */
    findWithIdentityTokens(userId: string): Promise<UserDoc | null> {
      return complete(users.findOne({ user_id: userId }).select('+identities.sealed_tokens').lean<UserDoc>().exec());
    },

    /**
     * Claims the user for a link into `primaryId`: false while a link into another existing user
     * holds it. A claim whose primary was deleted before its link finished (a crash, a 503 not sent
     * again) holds nothing, the identities being still on this user: else it would refuse every
     * later link of the user for good.
     */
    async claimForLink(userId: string, primaryId: string): Promise<boolean> {
      recent.forget(userId);
      const claim = async (held: string | ReturnType<typeof trusted>) => (await users.updateOne({ user_id: userId, linked_to: held }, { $set: { linked_to: primaryId } }).exec()).matchedCount === 1;
      if (await claim(trusted({ $in: [null, primaryId] }))) return true;
      const held = (await users.findOne({ user_id: userId }, { linked_to: 1 }).lean<Pick<UserDoc, 'linked_to'>>().exec())?.linked_to;
      if (typeof held !== 'string' || await users.exists({ user_id: held })) return false;
      return claim(held); // conditional: of two links taking the stale claim over, one wins
    },

    /** Gives the user up after a refused link (its secondary got blocked): later links of it are not held off. */
    async releaseLinkClaim(userId: string, primaryId: string): Promise<void> {
      recent.forget(userId);
      await users.updateOne({ user_id: userId, linked_to: primaryId }, { $unset: { linked_to: '' } }).exec();
    },

    /**
     * Adds identities another user holds (a link), unless the user already holds one of them.
     * `unblocked`: only while the user is not blocked (the hosted pages' link into the signed-in account).
     */
    async addIdentities(userId: string, identities: Identity[], at: Date, { first = false, unblocked = false } = {}): Promise<UserDoc | null> {
      const held = identities.map((i) => ({ identities: trusted({ $elemMatch: { provider: String(i.provider), user_id: String(i.user_id) } }) }));
      // first: the user holds none yet, so the first of these is its main identity (identities[0]).
      const empty = first ? { 'identities.0': trusted({ $exists: false }) } : {};
      const notBlocked = unblocked ? { blocked: trusted({ $ne: true }) } : {};
      return changes.apply(userId, { $push: { identities: { $each: identities } }, $set: { updated_at: at } }, { kind: 'change', where: { $nor: held, ...empty, ...notBlocked } });
    },

    /**
     * Deletes the secondary user of a link, only as it was read (`rev`), not blocked (a brute-force
     * block does not change `rev`) and with no sign-in log or insight event still waiting in it to
     * be moved (they would be lost with it).
     */
    async removeLinked(userId: string, rev: number | null): Promise<boolean> {
      recent.forget(userId);
      const none = trusted({ $exists: false });
      const unblocked = { blocked: trusted({ $ne: true }), 'blocked_for.0': none };
      return (await users.deleteOne({ user_id: userId, 'facts.rev': rev, ...unblocked, 'pending_logs.0': none, 'pending_events.0': none }).exec()).deletedCount === 1;
    }
  };
}
