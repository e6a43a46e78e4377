import type { LogService } from '../logs/log.service.ts';
import type { AccountMails } from '../users/account-mails.ts';
import type { AttackProtection } from '../users/attack-protection.ts';
import { linkDigest, newLinkToken } from '../users/email-tickets.ts';
import type { RequestContext } from '../users/password-signin.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { Identity } from '../users/user.model.ts';
import { HANDSHAKE_LIFETIME_MS, type HandshakeStore } from './handshake.store.ts';
import { CONNECTION_LABELS } from './passport-setup.ts';
import type { SocialConnection, SocialProfile } from './profile-mapping.ts';

type Sealed = Identity['sealed_tokens'];
export interface EmailedSignin { connection: SocialConnection; profile: SocialProfile; sealed: Sealed }

export type SocialEmailStep = ReturnType<typeof createSocialEmailStep>;

/**
 * The address a shopper types when the provider shared none (X, a Facebook account made with a phone
 * number). Whether it has an account must not show (STANDARDS: no account enumeration), so the page
 * answers "check your inbox" either way and the difference goes into the mail, which only the
 * mailbox's owner reads: a new address gets a link that finishes the sign-in; an address with an
 * account, a link to sign in to that account and connect the provider. One lookup, one record and
 * one mail either way, within the account-mail limits.
 *
 * The link works only in the browser that started: it continues the OIDC interaction, whose cookie
 * (scoped to /interaction/<uid>) oidc-provider checks, and its record is bound to that uid. A link
 * forwarded elsewhere does nothing; followed in the right browser it still links nothing until the
 * account is signed in to (interaction-pages.ts finishLogin).
 */
export function createSocialEmailStep({ users, handshakes, protection, mails, logs, issuer }: {
  users: Pick<UserRepository, 'findByEmail'>; handshakes: HandshakeStore; protection: Pick<AttackProtection, 'refuseAccountMail'>;
  mails: Pick<AccountMails, 'socialEmailLink'>; logs: LogService; issuer: string;
}) {
  const minutes = Math.round(HANDSHAKE_LIFETIME_MS / 60_000);

  return {
    /** Mails the link for `signin`, whose profile carries the typed address; past a limit only the log says so. */
    async start(uid: string, signin: EmailedSignin, ctx: RequestContext): Promise<void> {
      const email = signin.profile.email!;
      const { connection } = signin;
      const refused = await protection.refuseAccountMail(email, ctx.ip);
      if (refused) {
        await logs.record({ type: 'f', ...ctx, connection, strategy: connection, strategy_type: 'social', user_name: email, details: { error: refused } });
        return;
      }
      const owner = await users.findByEmail(email);
      const { token, digest } = newLinkToken(); // only the digest is stored: a database leak holds no working link
      await handshakes.put({ _id: digest, kind: 'emailed_link', uid, connection, data: { profile: signin.profile, sealed: signin.sealed } });
      const url = `${issuer}/interaction/${encodeURIComponent(uid)}/email-link?ticket=${token}`;
      await mails.socialEmailLink(email, { url, existing: Boolean(owner), connectionLabel: CONNECTION_LABELS[connection], minutes });
    },

    /** Uses the link once, in the interaction it was mailed for; null when it is not (any more) that interaction's. */
    async redeem(uid: string, token: string): Promise<EmailedSignin | null> {
      if (token.length === 0 || token.length > 100) return null;
      const record = await handshakes.take(linkDigest(token), 'emailed_link', uid);
      if (!record) return null;
      return { connection: record.connection as SocialConnection, profile: record.data.profile as SocialProfile, sealed: record.data.sealed as Sealed };
    },
  };
}
