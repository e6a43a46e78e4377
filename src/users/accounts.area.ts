import type { Core } from '../core.ts';
import type { EndSessions } from '../oidc/revoke-account.ts';
import { createAccountMails } from './account-mails.ts';
import { createAccountService } from './account.service.ts';
import { createAttackProtection } from './attack-protection.ts';
import { createEmailTickets } from './email-tickets.ts';
import { createPasswordHasher } from './password-hasher.ts';
import { createPasswordSigninService } from './password-signin.service.ts';
import { createPendingSignupRepository } from './pending-signup.repository.ts';
import { createSignupAttemptNotice } from './signup-attempt.ts';
import type { UserDoc } from './user.model.ts';
import { createVerifyFirstSignup } from './verify-first-signup.service.ts';

export type AccountsArea = ReturnType<typeof createAccountsArea>;

/** Password accounts: sign-up and sign-in, the mails with single-use links, attack protection. */
/** `queueVerifiedHooks`: the durable hooks' queueing for a newly verified address, which the mailed link awaits. */
export function createAccountsArea({ config, connection, users, logs, mailer, renderView }: Core, { endSessions, queueVerifiedHooks }: { endSessions: EndSessions; queueVerifiedHooks: (user: UserDoc) => Promise<void> }) {
  const tickets = createEmailTickets(connection);
  const mails = createAccountMails({ config, mailer, tickets, render: renderView });
  const protection = createAttackProtection(connection, config);
  const hasher = createPasswordHasher(config.argon2);
  const policy = config.password_policy;
  const pendingSignups = createPendingSignupRepository(connection);
  const noticeSignupAttempt = createSignupAttemptNotice({ protection, logs, mails });
  const verifyFirstSignup = createVerifyFirstSignup({ pending: pendingSignups, users, logs, mails, noticeSignupAttempt, ttlSeconds: config.email_links.verification_ttl });
  return {
    mails, protection, hasher, pendingSignups, endSessions,
    passwordSignin: createPasswordSigninService({ users, logs, policy, hasher, protection, mails, verifyFirstSignup, noticeSignupAttempt }),
    account: createAccountService({ endSessions, users, tickets, mails, logs, hasher, policy, protection, verifyFirstSignup, queueVerifiedHooks }),
  };
}
