import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { AppError, ConflictError } from '../errors/app-error.ts';
import type { LogService } from '../logs/log.service.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkPasswordPolicy, type PasswordPolicy } from './password-policy.ts';
import type { UserDoc } from './user.model.ts';
import { isDuplicateKeyError, type UserRepository } from './user.repository.ts';

export const PASSWORD_CONNECTION = 'Username-Password-Authentication';
const STRATEGY = { connection: PASSWORD_CONNECTION, strategy: 'auth0', strategy_type: 'database' } as const;

/** Who is asking, for logs and `last_ip`. */
export interface RequestContext { ip?: string; user_agent?: string; client_id?: string; client_name?: string }

export interface Credentials { email: string; password: string }

/** A failed sign-in is an outcome, not a crash: one message whatever the cause, so accounts cannot be enumerated. */
export class LoginFailedError extends AppError {
  constructor() { super('invalid_grant', 401, 'Wrong email or password.'); }
}

export type PasswordSigninService = ReturnType<typeof createPasswordSigninService>;

export function createPasswordSigninService(deps: {
  users: UserRepository; hasher: PasswordHasher; logs: LogService; policy: PasswordPolicy;
}) {
  const { users, hasher, logs, policy } = deps;

  return {
    /** Creates the user and counts the sign-up as their first login, as Auth0 does. */
    async signUp({ email, password }: Credentials, ctx: RequestContext): Promise<UserDoc> {
      try {
        checkPasswordPolicy(password, policy);
      } catch (err) {
        await logs.record({ type: 'fs', ...ctx, ...STRATEGY, user_name: email, details: { error: (err as AppError).code } });
        throw err;
      }
      const now = new Date();
      const id = new Types.ObjectId().toHexString();
      const user_id = `auth0|${id}`;
      const nickname = email.split('@')[0];
      try {
        const user = await users.insert({
          user_id, email, email_verified: false, name: email, nickname,
          picture: gravatarUrl(email),
          identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
          created_at: now, updated_at: now, last_login: now, last_ip: ctx.ip, logins_count: 1,
          blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
          password_hash: await hasher.hash(password),
        });
        await logs.record({ type: 'ss', ...ctx, ...STRATEGY, user_id, user_name: email });
        return user;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        await logs.record({ type: 'fs', ...ctx, ...STRATEGY, user_name: email, details: { error: 'user_exists' } });
        throw new ConflictError('We could not create an account with that email. If you already have one, sign in instead.', 'user_exists');
      }
    },

    async signIn({ email, password }: Credentials, ctx: RequestContext): Promise<UserDoc> {
      const user = await users.findByEmailWithSecret(email);
      // verify() hashes even for an unknown user, so both failures take the same time.
      const ok = await hasher.verify(user?.password_hash ?? undefined, password);
      if (!user || !ok || user.blocked) {
        const type = !user ? 'fu' : 'fp';
        const reason = !user ? 'unknown user' : user.blocked ? 'user is blocked' : 'wrong password';
        await logs.record({ type, ...ctx, ...STRATEGY, user_id: user?.user_id, user_name: email, details: { error: reason } });
        throw new LoginFailedError();
      }
      if (hasher.needsRehash(user.password_hash!)) {
        await users.replacePasswordHash(user.user_id, await hasher.hash(password));
      }
      const updated = await users.recordLogin(user.user_id, ctx.ip, new Date());
      if (!updated) throw new LoginFailedError(); // deleted between the two reads
      await logs.record({ type: 's', ...ctx, ...STRATEGY, user_id: user.user_id, user_name: email });
      return updated;
    },
  };
}

// As Auth0 does for database users: the Gravatar URL of the email (the browser fetches it, not us).
function gravatarUrl(email: string): string {
  return `https://s.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}?s=480&r=pg&d=identicon`;
}
