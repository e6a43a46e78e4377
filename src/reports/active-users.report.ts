import mongoose from 'mongoose';
import type { UserModel } from '../users/user.model.ts';

/**
 * Users who signed in at or after `since`: each profile is one user, and last_login is its latest
 * sign-in, so counting profiles counts distinct users (through the last_login index).
 */
export function countActiveUsers(users: UserModel, since: Date): Promise<number> {
  return users.countDocuments({ last_login: mongoose.trusted({ $gte: since }) }).exec();
}
