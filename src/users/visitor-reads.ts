import type { Logger } from '../lib/logger.ts';
import type { UserDoc, UserModel } from './user.model.ts';
import { dateFromObjectId, StoredUserError, withProfileDefaults } from './stored-user.ts';

/**
 * Reads of a user for a visitor, who could be anyone: a hosted page (sign-in, password reset, a
 * sign-up of a taken email) or oidc-provider's findAccount (a token, /userinfo). The Management API
 * refuses a stored user it cannot read (500 invalid_stored_user, naming it, for the operator); here
 * that would be a 500 for a shopper, or oidc-provider would send StoredUserError's message (exposed)
 * to the client as the OAuth `error`. So:
 * - a user a migration stored without `created_at` is dated by its ObjectId `_id` (stored-user.ts),
 *   and that date is stored, once and only where there is still none: it signs in, and every reader
 *   (paging, reports, exports) sees it from then on;
 * - one that cannot be read even so (no user_id, a created_at that is no date) is read as no user:
 *   the visitor gets the answer for an unknown email (wrong password, the same reset page), and the
 *   operator a warning naming the document.
 */
export function createVisitorReads(users: UserModel, logger?: Logger) {
  return async function readForVisitor(read: Promise<UserDoc | null> | UserDoc | null): Promise<UserDoc | null> {
    const stored = await read;
    if (!stored) return null;
    const created_at = dateFromObjectId(stored);
    try {
      if (!created_at) return withProfileDefaults(stored);
      const user = withProfileDefaults({ ...stored, created_at });
      await users.updateOne({ user_id: user.user_id, created_at: null }, { $set: { created_at } }).exec();
      logger?.warn({ user_id: user.user_id, created_at }, 'a stored user had no created_at: dated by its ObjectId _id, and the date stored');
      return user;
    } catch (err) {
      if (!(err instanceof StoredUserError)) throw err;
      logger?.warn({ err: { message: err.message } }, 'a stored user that cannot be read was met by a visitor: answered as no user');
      return null;
    }
  };
}
