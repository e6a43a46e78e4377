import mongoose from 'mongoose';
import { AppError } from '../errors/app-error.ts';
import type { UserDoc } from './user.model.ts';

/**
 * A stored user a reader cannot use: it lacks a field every user must have. Not the caller's fault,
 * but the message is safe (a user id and a field name) and tells the operator what to mend.
 */
export class StoredUserError extends AppError {
  constructor(id: string, field: string, expected: string) {
    super('invalid_stored_user', 500, `The stored user ${id} has no ${field} (${expected}): mend the document in MongoDB's users collection.`, { expose: true });
  }
}

/**
 * A user as every reader may assume it, from a document as stored. insole writes every field, but a
 * store's own migration script may write only some (DESIGN: the Auth0-shaped profile in MongoDB is a
 * contract other programs write to): a missing optional array or object reads as empty, a missing
 * count as 0, a missing flag as false, `updated_at` as `created_at`. `user_id` (a string) and
 * `created_at` (a BSON date) cannot be made up: without them the user cannot be named, paged
 * (created_at is a cursor field) or aged, so a reader meeting one refuses with StoredUserError
 * (a visitor's read dates it by its ObjectId instead: visitor-reads.ts).
 * The document itself is returned when it is complete (exports call this once per user).
 */
export function withProfileDefaults<T extends UserDoc>(stored: T): T {
  const user = stored as Partial<UserDoc> & { _id?: unknown };
  if (typeof user.user_id !== 'string') throw new StoredUserError(`with _id ${String(user._id)}`, 'user_id', 'a string');
  if (!(user.created_at instanceof Date)) throw new StoredUserError(user.user_id, 'created_at', 'a BSON date');
  if (isComplete(user)) return stored;
  return {
    ...stored,
    email_verified: user.email_verified ?? false,
    identities: user.identities ?? [],
    updated_at: user.updated_at ?? user.created_at,
    logins_count: user.logins_count ?? 0,
    blocked: user.blocked ?? false,
    blocked_for: user.blocked_for ?? [],
    user_metadata: user.user_metadata ?? {},
    app_metadata: user.app_metadata ?? {},
  };
}

function isComplete(user: Partial<UserDoc>): boolean {
  return user.email_verified != null && Array.isArray(user.identities) && user.updated_at instanceof Date && user.logins_count != null
    && user.blocked != null && Array.isArray(user.blocked_for) && user.user_metadata != null && user.app_metadata != null;
}

/** A read's user as readers may assume it (above); no user stays null. Every repository read goes through it. */
export async function completeUser(read: Promise<UserDoc | null>): Promise<UserDoc | null> {
  const user = await read;
  return user && withProfileDefaults(user);
}

/**
 * The date a user a migration stored without `created_at` is read with where a visitor is met (a
 * hosted page, a token: see the repository's visitor reads): the second its ObjectId `_id` was made,
 * which is when the document was inserted, as Auth0 dates a user it imports. Undefined when the user
 * has a created_at (of any type: a wrong one is not overwritten) or an `_id` that is no ObjectId.
 */
export function dateFromObjectId(stored: Partial<UserDoc> & { _id?: unknown }): Date | undefined {
  if (stored.created_at != null || !(stored._id instanceof mongoose.Types.ObjectId)) return undefined;
  return stored._id.getTimestamp();
}
