import type { UserDoc, UserModel } from './user.model.ts';

export type UserRepository = ReturnType<typeof createUserRepository>;

// Query values arrive already parsed as strings; mongoose's sanitizeFilter guards operator injection as well.
export function createUserRepository(users: UserModel) {
  return {
    findByUserId(userId: string): Promise<UserDoc | null> {
      return users.findOne({ user_id: userId }).lean<UserDoc>().exec();
    },

    findByEmailWithSecret(email: string): Promise<UserDoc | null> {
      return users.findOne({ email }).select('+password_hash').lean<UserDoc>().exec();
    },

    /** One insert of the complete profile: a crash cannot leave a half-made user. */
    async insert(user: UserDoc): Promise<UserDoc> {
      const created = await users.create(user);
      return created.toObject({ versionKey: false });
    },

    /** Atomic, so concurrent logins on several instances all count. */
    recordLogin(userId: string, ip: string | undefined, at: Date): Promise<UserDoc | null> {
      return users.findOneAndUpdate(
        { user_id: userId },
        { $set: { last_login: at, last_ip: ip, updated_at: at }, $inc: { logins_count: 1 } },
        { returnDocument: 'after' },
      ).lean<UserDoc>().exec();
    },

    async replacePasswordHash(userId: string, passwordHash: string): Promise<void> {
      await users.updateOne({ user_id: userId }, { $set: { password_hash: passwordHash } }).exec();
    },
  };
}

export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === 11000;
}
