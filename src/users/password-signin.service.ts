import { AppError, ConflictError } from '../errors/app-error.ts';
import type { LogService } from '../logs/log.service.ts';
import type { AccountMails } from './account-mails.ts';
import type { AttackProtection } from './attack-protection.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkPasswordPolicy, type PasswordPolicy } from './password-policy.ts';
import { newPasswordUser, PASSWORD_CONNECTION, PASSWORD_STRATEGY as STRATEGY } from './password-user.ts';
import type { SignupAttemptNotice } from './signup-attempt.ts';
import type { UserDoc } from './user.model.ts';
import type { UserRepository } from './user.repository.ts';
import { isDuplicateKeyError } from '../db/duplicate-keys.ts';
import type { SignupSignin, VerifyFirstSignup } from './verify-first-signup.service.ts';

export { PASSWORD_CONNECTION };

/** Who is asking, for logs and `last_ip`. */
export interface RequestContext { ip?: string; user_agent?: string; client_id?: string; client_name?: string }

export interface Credentials { email: string; password: string }

/** A failed sign-in is an outcome, not a crash: one message whatever the cause, so accounts cannot be enumerated. */
export class LoginFailedError extends AppError {
  constructor() { super('invalid_grant', 401, 'Wrong email or password.'); }
}

export type PasswordSigninService = ReturnType<typeof createPasswordSigninService>;

export type SignupResult = { kind: 'signed_up'; user: UserDoc } | { kind: 'check_inbox'; email: string };

export function createPasswordSigninService(deps: {
  users: UserRepository; hasher: PasswordHasher; logs: LogService; policy: PasswordPolicy;
  protection: AttackProtection; mails: AccountMails; verifyFirstSignup: VerifyFirstSignup; noticeSignupAttempt: SignupAttemptNotice;
}) {
  const { users, hasher, logs, policy, protection, mails, verifyFirstSignup, noticeSignupAttempt } = deps;

  /** Counts the failure; at the brute-force limit, blocks this IP for this user and tells the owner. */
  async function recordLoginFailure(user: UserDoc | null, email: string, ctx: RequestContext): Promise<void> {
    const reachedLimit = await protection.recordFailure(user?.user_id, ctx.ip);
    if (!reachedLimit || !user || !ctx.ip) return;
    await users.addBlockedFor(user.user_id, { identifier: email, ip: ctx.ip });
    await logs.record({ type: 'limit_wc', ...ctx, ...STRATEGY, user_id: user.user_id, user_name: email, details: { error: 'too many failed sign-ins from this IP' } });
    await mails.blocked({ user_id: user.user_id, email }, ctx.ip);
  }

  /** Auth0's behaviour: the user exists at once, unverified, and the sign-up is its first login. */
  async function signUpNow(email: string, password_hash: string, ctx: RequestContext): Promise<UserDoc> {
    try {
      const fresh = newPasswordUser({ email, password_hash, email_verified: false, now: new Date(), login: { ip: ctx.ip } });
      const log = logs.prepare({ type: 'ss', ...ctx, ...STRATEGY, user_id: fresh.user_id, user_name: email });
      const user = await users.insert(fresh, { log });
      logs.write(log);
      await mails.verification({ user_id: user.user_id, email }, { newUser: true });
      return user;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      await noticeSignupAttempt(email, await users.findByEmailForVisitor(email), ctx);
      throw new ConflictError('We could not create an account with that email. If you already have one, sign in instead.', 'user_exists');
    }
  }

  return {
    /**
     * With `verifyFirst`, nothing is created until the emailed link is confirmed (see
     * verify-first-signup.service.ts), and an existing email gets the very same answer after the
     * same hashing work; otherwise the user is created and signed in at once, as in Auth0.
     */
    async signUp({ email, password }: Credentials, ctx: RequestContext, { verifyFirst = false, signin }: { verifyFirst?: boolean; signin?: SignupSignin } = {}): Promise<SignupResult> {
      await protection.countSignup(ctx.ip);
      try {
        checkPasswordPolicy(password, policy);
      } catch (err) {
        await logs.record({ type: 'fs', ...ctx, ...STRATEGY, user_name: email, details: { error: (err as AppError).code } });
        throw err;
      }
      const password_hash = await hasher.hash(password);
      if (!verifyFirst) return { kind: 'signed_up', user: await signUpNow(email, password_hash, ctx) };
      await verifyFirstSignup.start({ email, password_hash }, ctx, signin);
      return { kind: 'check_inbox', email };
    },

    /** The first login of a verify-first sign-up, once its link was used in the browser that signed up. */
    async completeVerifiedSignup(userId: string, ctx: RequestContext): Promise<UserDoc | null> {
      const before = await users.findByUserId(userId);
      if (!before) return null;
      const log = logs.prepare({ type: 's', ...ctx, ...STRATEGY, user_id: userId, user_name: before.email });
      const user = await users.recordLogin(userId, ctx.ip, new Date(), log, before);
      if (user) logs.write(log);
      return user;
    },

    async signIn({ email, password }: Credentials, ctx: RequestContext): Promise<UserDoc> {
      const user = await users.findByEmailWithSecret(email);
      // Throws when this IP is throttled, before any password is checked.
      const failures = await protection.loginState(user?.user_id, ctx.ip);
      // verify() hashes even for an unknown user, so every failure takes the same time.
      const ok = await hasher.verify(user?.password_hash ?? undefined, password);
      const ipBlocked = failures.blocked;
      if (!user || !ok || user.blocked || ipBlocked) {
        // A blocked user sees the same answer as a wrong password (STANDARDS: no enumeration).
        const type = !user ? 'fu' : ok ? 'f' : 'fp';
        const reason = !user ? 'unknown user' : user.blocked ? 'user is blocked' : ipBlocked ? 'blocked after too many failed sign-ins from this IP' : 'wrong password';
        await logs.record({ type, ...ctx, ...STRATEGY, user_id: user?.user_id, user_name: email, details: { error: reason } });
        if (!ok) await recordLoginFailure(user, email, ctx);
        throw new LoginFailedError();
      }
      if (failures.count > 0) await protection.recordSuccess(user.user_id, ctx.ip); // end the run of failures
      if (hasher.needsRehash(user.password_hash!)) {
        // Only over the hash just verified: a reset that lands while this one is made keeps its password.
        await users.replacePasswordHash(user.user_id, await hasher.hash(password), { whileHash: user.password_hash! });
      }
      const log = logs.prepare({ type: 's', ...ctx, ...STRATEGY, user_id: user.user_id, user_name: email });
      const updated = await users.recordLogin(user.user_id, ctx.ip, new Date(), log, user);
      if (!updated) throw new LoginFailedError(); // deleted between the two reads
      logs.write(log);
      return updated;
    },
  };
}
