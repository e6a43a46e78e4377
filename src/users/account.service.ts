import { AppError } from '../errors/app-error.ts';
import type { LogEventInput, LogService } from '../logs/log.service.ts';
import type { EndSessions } from '../oidc/revoke-account.ts';
import type { AccountMails } from './account-mails.ts';
import type { AttackProtection } from './attack-protection.ts';
import type { EmailTickets, Ticket, TicketKind } from './email-tickets.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkPasswordPolicy, type PasswordPolicy } from './password-policy.ts';
import type { RequestContext } from './password-signin.service.ts';
import { PASSWORD_CONNECTION, PASSWORD_STRATEGY as STRATEGY } from './password-user.ts';
import type { UserDoc } from './user.model.ts';
import type { UserRepository } from './user.repository.ts';
import type { SignupConfirmation, VerifyFirstSignup } from './verify-first-signup.service.ts';
import { ticketResultRedirect } from './ticket-result.ts';

export class InvalidLinkError extends AppError {
  constructor() { super('invalid_ticket', 400, 'This link has expired or was already used. Please ask for a new one.'); }
}

/** What confirming an email did; `uid` names a sign-in waiting for it, `redirect` the result_url of an API ticket. */
export type EmailConfirmation = SignupConfirmation | { kind: 'verified'; user_id: string; uid?: string; redirect?: string };

export type AccountService = ReturnType<typeof createAccountService>;

/** Email verification, password reset and unblocking: everything a mailed link can do. */
export function createAccountService(deps: {
  endSessions: EndSessions; users: UserRepository; tickets: EmailTickets; mails: AccountMails; logs: LogService;
  hasher: PasswordHasher; policy: PasswordPolicy; protection: AttackProtection; verifyFirstSignup: VerifyFirstSignup;
  /** Queues (awaited, idempotent by job key) what a verified address now allows: the durable hooks' queueing (README "Hooks"). */
  queueVerifiedHooks: (user: UserDoc) => Promise<void>;
}) {
  const { endSessions, users, tickets, mails, logs, hasher, policy, protection, verifyFirstSignup, queueVerifiedHooks } = deps;

  /**
   * A reset link works only while the account still has the address it was mailed to: once the
   * email changed (the old mailbox lost or taken over, say), whoever reads the old one must not set
   * the password. Django's reset tokens stop working on an email change for the same reason.
   */
  async function stillAddressedTo(ticket: Ticket): Promise<boolean> {
    return (await users.findByUserId(ticket.user_id))?.email === ticket.email;
  }

  /**
   * A link's success event, written before the link is spent, so a crash after the spend cannot lose
   * it; the ticket keeps the first try's event, so a retry or a second click at once writes no other.
   */
  async function recordOnce(kind: TicketKind, token: string, event: LogEventInput): Promise<void> {
    await logs.recordOnce(await tickets.eventOnce(kind, token, logs.prepare(event)));
  }

  return {
    /**
     * The link of a pending sign-up creates its user; the link of an existing user verifies its email.
     * The link is spent last, after the verification and its hooks' queueing are written, so a crash or
     * a lost database at any step leaves it working for a retry that completes (each step is
     * idempotent). The `sv` is written before the spend, once (recordOnce). Two clicks at once both
     * verify (the same write) and both get the confirmation; one `sv`.
     */
    async verifyEmail(token: string, ctx: RequestContext): Promise<EmailConfirmation> {
      const signup = await verifyFirstSignup.confirm(token, ctx);
      if (signup) return signup;
      const ticket = await tickets.peek('verify_email', token);
      const user = ticket && await users.markEmailVerified(ticket.user_id, ticket.email);
      if (!user) {
        if (ticket) await tickets.redeem('verify_email', token); // the address changed: the link is void, as before
        await logs.record({ type: 'fv', ...ctx, ...STRATEGY, user_id: ticket?.user_id, user_name: ticket?.email, details: { error: ticket ? 'the email changed since the link was sent' : 'invalid or used link' } });
        throw new InvalidLinkError();
      }
      await queueVerifiedHooks(user);
      await recordOnce('verify_email', token, { type: 'sv', ...ctx, ...STRATEGY, user_id: ticket.user_id, user_name: ticket.email });
      await tickets.redeem('verify_email', token);
      return { kind: 'verified', user_id: ticket.user_id, uid: ticket.uid, redirect: ticketResultRedirect(ticket, 'Your email was verified. You can continue using the application.') };
    },

    /**
     * Same answer whether or not the address has an account or a pending sign-up (the caller cannot
     * tell), and whether or not it asked too often: then only the log knows that no mail went.
     */
    async resendVerification(email: string, ctx: RequestContext): Promise<void> {
      const refused = await protection.refuseAccountMail(email, ctx.ip);
      if (refused) {
        await logs.record({ type: 'fvr', ...ctx, ...STRATEGY, user_name: email, details: { error: refused } });
        return;
      }
      const user = await users.findByEmailForVisitor(email);
      if (!user) return verifyFirstSignup.resend(email);
      if (user.email && !user.email_verified) await mails.verification({ user_id: user.user_id, email: user.email });
    },

    /** Same answer and the same work whether or not the address has an account; the same answer when it asked too often. */
    async requestPasswordReset(email: string, ctx: RequestContext): Promise<void> {
      const refused = await protection.refuseAccountMail(email, ctx.ip);
      if (refused) {
        await logs.record({ type: 'fcpr', ...ctx, ...STRATEGY, user_name: email, details: { error: refused } });
        return;
      }
      const user = await users.findByEmailForVisitor(email);
      const hasPassword = user?.identities.some((i) => i.connection === PASSWORD_CONNECTION);
      if (user && hasPassword) {
        await mails.passwordReset({ user_id: user.user_id, email });
        await logs.record({ type: 'scpr', ...ctx, ...STRATEGY, user_id: user.user_id, user_name: email });
      } else {
        await logs.record({ type: 'fcpr', ...ctx, ...STRATEGY, user_name: email, details: { error: user ? 'no password connection' : 'unknown user' } });
      }
    },

    async isResetLinkValid(token: string): Promise<boolean> {
      const ticket = await tickets.peek('reset_password', token);
      return Boolean(ticket && await stillAddressedTo(ticket));
    },

    /**
     * A new password ends every session and revokes every refresh token of the user, lifts brute-force
     * blocks, and voids other reset links. The policy is checked before the link is looked at. The
     * password is written only while the account has the link's address, in that one write; a ticket
     * made with mark_email_as_verified verifies the address in it too; one with a result_url answers
     * where to send the shopper. The link is used up last, as the verification link is: a crash or a
     * lost database once the password is written but before the sessions are ended leaves it working,
     * and the retry ends them (each step may run again). The `scp` is written before the spend, once
     * (recordOnce), so a crash after the spend cannot lose it.
     */
    async resetPassword(token: string, password: string, ctx: RequestContext): Promise<{ redirect?: string }> {
      checkPasswordPolicy(password, policy);
      const ticket = await tickets.peek('reset_password', token);
      // One conditional write (stillAddressedTo's rule): an address changed while the password hashed sets nothing.
      const written = ticket && await users.replacePasswordHash(ticket.user_id, await hasher.hash(password), { whileEmail: ticket.email, markVerified: Boolean(ticket.mark_email_verified) });
      if (!written) {
        if (ticket) await tickets.redeem('reset_password', token); // the address changed: the link is void, as before
        const error = ticket ? 'the email changed since the link was sent' : 'invalid or used link';
        await logs.record({ type: 'fcp', ...ctx, ...STRATEGY, user_id: ticket?.user_id, user_name: ticket?.email, details: { error } });
        throw new InvalidLinkError();
      }
      await endSessions(ticket.user_id);
      const user = await users.findByUserId(ticket.user_id);
      for (const block of user?.blocked_for ?? []) if (block.ip) await protection.unblock(ticket.user_id, block.ip);
      await users.clearBlockedFor(ticket.user_id);
      await recordOnce('reset_password', token, { type: 'scp', ...ctx, ...STRATEGY, user_id: ticket.user_id, user_name: ticket.email });
      await tickets.redeem('reset_password', token);
      await tickets.voidAll(ticket.user_id, 'reset_password');
      return { redirect: ticketResultRedirect(ticket, 'You can now login to the application with the new password.') };
    },

    /** The link is used up last, as the others are: a crash before the block is lifted leaves it working (each step may run again). */
    async unblock(token: string): Promise<void> {
      const ticket = await tickets.peek('unblock', token);
      if (!ticket?.ip) throw new InvalidLinkError();
      await protection.unblock(ticket.user_id, ticket.ip);
      await users.clearBlockedFor(ticket.user_id, ticket.ip);
      await tickets.redeem('unblock', token);
    },
  };
}
