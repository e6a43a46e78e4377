import { BadRequestError } from '../errors/app-error.ts';
import type { AccountMails } from '../users/account-mails.ts';
import { identitiesOf, sameIdentity } from '../users/main-identity.ts';
import { PASSWORD_CONNECTION } from '../users/password-user.ts';
import type { UserDoc } from '../users/user.model.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { ResultUrls } from './result-urls.ts';
import { UserNotFoundError } from './user-admin.service.ts';

/** Auth0: "If unspecified or set to 0, this value defaults to 432000 seconds (5 days)". */
export const TICKET_DEFAULT_TTL = 432_000;
/** Auth0 documents no maximum; insole refuses more than 30 days, the longest URL lifetime Auth0's email templates offer. */
export const TICKET_MAX_TTL = 2_592_000;

interface TicketOptions { result_url?: string; client_id?: string; ttl_sec?: number; includeEmailInRedirect?: boolean; identity?: { provider: string; user_id: string } }
export interface PasswordChangeInput extends TicketOptions { user_id?: string; email?: string; connection_id?: string; mark_email_as_verified?: boolean }
export interface EmailVerificationInput extends TicketOptions { user_id: string }

export type UserTickets = ReturnType<typeof createUserTickets>;

/**
 * Auth0's tickets (POST /api/v2/tickets/...): the link of a password reset or of an email
 * verification, handed to the store to send in its own mail; nobody mails it here. Each is the
 * very ticket the mailed link carries (single use, expiring), opening the same page.
 */
export function createUserTickets({ users, mails, resultUrls }: { users: UserRepository; mails: AccountMails; resultUrls: ResultUrls }) {
  async function findUser(input: PasswordChangeInput): Promise<UserDoc> {
    const user = input.user_id !== undefined ? await users.findByUserId(input.user_id) : await users.findByEmail(input.email!);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  function assertHasIdentity(user: UserDoc, identity: TicketOptions['identity']): void {
    if (identity && !identitiesOf(user).some(sameIdentity(identity))) {
      throw new BadRequestError(`The user has no ${identity.provider} identity ${identity.user_id}.`, 'invalid_body');
    }
  }

  /** What every ticket checks and stores besides its user. */
  async function optionsOf(input: TicketOptions) {
    await resultUrls.check(input.result_url, input.client_id);
    return { ttl: input.ttl_sec || TICKET_DEFAULT_TTL, extra: { result_url: input.result_url, email_in_result: input.includeEmailInRedirect } };
  }

  return {
    async passwordChange(input: PasswordChangeInput): Promise<string> {
      const user = await findUser(input);
      assertHasIdentity(user, input.identity);
      if (!identitiesOf(user).some((identity) => identity.connection === PASSWORD_CONNECTION) || !user.email) {
        throw new BadRequestError(`The user has no password to change: only users of the ${PASSWORD_CONNECTION} connection have one.`, 'invalid_body');
      }
      const { ttl, extra } = await optionsOf(input);
      return mails.unmailedLink('reset_password', { user_id: user.user_id, email: user.email }, ttl, { ...extra, mark_email_verified: input.mark_email_as_verified });
    },

    async emailVerification(input: EmailVerificationInput): Promise<string> {
      const user = await users.findByUserId(input.user_id);
      if (!user) throw new UserNotFoundError();
      assertHasIdentity(user, input.identity);
      if (!user.email) throw new BadRequestError('The user has no email address to verify.', 'invalid_body');
      const { ttl, extra } = await optionsOf(input);
      return mails.unmailedLink('verify_email', { user_id: user.user_id, email: user.email }, ttl, extra);
    },
  };
}
