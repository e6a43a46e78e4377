import type { LogService } from '../logs/log.service.ts';
import type { AccountMails } from './account-mails.ts';
import type { AttackProtection } from './attack-protection.ts';
import type { RequestContext } from './password-signin.service.ts';
import { PASSWORD_STRATEGY } from './password-user.ts';

export type SignupAttemptNotice = ReturnType<typeof createSignupAttemptNotice>;

/**
 * A sign-up with an email that has an account: logged `fs`, and its owner told. Anyone can type
 * anyone's address into the sign-up form, so this mail shares the account-mail limits (and
 * counters) of reset and resend requests: past one, the visitor's answer is unchanged and only
 * the log, naming the limit, says that no mail went.
 */
export function createSignupAttemptNotice({ protection, logs, mails }: { protection: AttackProtection; logs: LogService; mails: AccountMails }) {
  /** `owner`: null when the account went away meanwhile; there is nobody to tell then. */
  return async function noticeSignupAttempt(email: string, owner: { user_id: string } | null, ctx: RequestContext): Promise<void> {
    const refused = owner ? await protection.refuseAccountMail(email, ctx.ip) : undefined;
    await logs.record({ type: 'fs', ...ctx, ...PASSWORD_STRATEGY, user_name: email, details: { error: refused ?? 'user_exists' } });
    if (owner && !refused) await mails.signupAttempt({ user_id: owner.user_id, email });
  };
}
