import type { LogService } from '../logs/log.service.ts';
import type { AccountMails } from './account-mails.ts';
import type { RequestContext } from './password-signin.service.ts';
import { displayNamesOf, newPasswordUser, PASSWORD_STRATEGY } from './password-user.ts';
import type { PendingSignup, PendingSignupRepository } from './pending-signup.repository.ts';
import type { SignupAttemptNotice } from './signup-attempt.ts';
import type { UserRepository } from './user.repository.ts';
import { isDuplicateKeyError } from '../db/duplicate-keys.ts';

/** The sign-in a sign-up was made in, and its "Check your inbox" page there (PendingSignup). */
export type SignupSignin = Pick<PendingSignup, 'uid' | 'check_inbox'>;

export type SignupConfirmation =
  /** The user now exists; `uid` names the sign-in to finish if the confirming browser is still in it. */
  | ({ kind: 'created'; user_id: string } & SignupSignin)
  /** The address got an account meanwhile (a social sign-in, say): nothing was created. */
  | { kind: 'taken'; email: string };

export type VerifyFirstSignup = ReturnType<typeof createVerifyFirstSignup>;

/**
 * Sign-ups that wait for the emailed link (`signup.verify_email_first`). Until the link is confirmed
 * there is no user, only a pending sign-up, so a sign-in with its email and password takes the
 * unknown-user path: the same answer, and the same one Argon2 verification (of the dummy hash), as a
 * wrong password for an existing account. That is what makes a sign-up followed by a sign-in unable
 * to tell which emails have accounts.
 */
export function createVerifyFirstSignup(deps: {
  pending: PendingSignupRepository; users: UserRepository; logs: LogService; mails: AccountMails;
  noticeSignupAttempt: SignupAttemptNotice; ttlSeconds: number;
}) {
  const { pending, users, logs, mails, noticeSignupAttempt, ttlSeconds } = deps;
  const created = (user_id: string, { uid, check_inbox }: PendingSignup): SignupConfirmation => ({ kind: 'created', user_id, uid, check_inbox });

  /** The sign-up's user; when the address has one already, it is this sign-up's own (made by an earlier try of the link) or another's: taken. */
  async function createUser(signup: PendingSignup, ctx: RequestContext): Promise<SignupConfirmation> {
    const { email } = signup;
    const user = newPasswordUser({
      email, password_hash: signup.password_hash, email_verified: true, now: new Date(), names: { name: signup.name, nickname: signup.nickname },
    });
    // The sign-up happens now, and the same click proved the mailbox: both logs travel in the insert, so
    // a crash right after it loses neither (the retry finds the user and logs nothing more).
    // Not a sign-in yet: the `s` follows when the browser that signed up finishes (daily stats count logins by it).
    const signedUp = logs.prepare({ type: 'ss', ...ctx, ...PASSWORD_STRATEGY, user_id: user.user_id, user_name: email, details: { signed_in: false } });
    const verified = logs.prepare({ type: 'sv', ...ctx, ...PASSWORD_STRATEGY, user_id: user.user_id, user_name: email });
    try {
      await users.insert(user, { log: [signedUp, verified] });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // The Argon2 hash (with its own random salt) names the sign-up: the same one means this link made the user already.
      const holder = await users.findByEmailWithSecret(email);
      if (holder?.password_hash === signup.password_hash) return created(holder.user_id, signup);
      await logs.record({ type: 'fs', ...ctx, ...PASSWORD_STRATEGY, user_name: email, details: { error: 'user_exists' } });
      return { kind: 'taken', email };
    }
    logs.write(signedUp);
    logs.write(verified);
    return created(user.user_id, signup);
  }

  return {
    /**
     * Keeps the sign-up and mails its link; a newer sign-up for the email replaces it. An address
     * with an account changes nothing: its owner is told (within the account-mail limits), and the
     * visitor gets the same answer.
     */
    async start({ email, password_hash }: { email: string; password_hash: string }, ctx: RequestContext, signin: SignupSignin = {}): Promise<void> {
      const owner = await users.findByEmailForVisitor(email);
      if (owner) return noticeSignupAttempt(email, owner, ctx);
      const { uid, check_inbox } = signin;
      const token = await pending.save({ email, password_hash, ...displayNamesOf(email), ...(uid ? { uid } : {}), ...(check_inbox ? { check_inbox } : {}) }, ttlSeconds);
      await mails.signupConfirmation(email, token);
    },

    /**
     * The link was confirmed: the user is created, verified, in one insert. Null: no live sign-up
     * has this link. The link is used up after the insert, so a crash or a lost database in between
     * leaves it working: the retry finds the user it made (as does a second click at once).
     */
    async confirm(token: string, ctx: RequestContext): Promise<SignupConfirmation | null> {
      const signup = await pending.peek(token);
      if (!signup) return null;
      const confirmation = await createUser(signup, ctx);
      await pending.done(signup);
      return confirmation;
    },

    /** Mails a fresh link (the older one stops working) when a sign-up for the email is pending. */
    async resend(email: string): Promise<void> {
      const token = await pending.renew(email, ttlSeconds);
      if (token) await mails.signupConfirmation(email, token);
    },
  };
}
