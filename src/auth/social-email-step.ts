import type { LogService } from '../logs/log.service.ts';
import type { AccountMails } from '../users/account-mails.ts';
import type { AttackProtection } from '../users/attack-protection.ts';
import { linkDigest, newLinkToken } from '../users/email-tickets.ts';
import type { RequestContext } from '../users/password-signin.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { Identity } from '../users/user.model.ts';
import { HANDSHAKE_LIFETIME_MS, type Handshake, type HandshakeStore } from './handshake.store.ts';
import { CONNECTION_LABELS } from './passport-setup.ts';
import type { SocialConnection, SocialProfile } from './profile-mapping.ts';

type Sealed = Identity['sealed_tokens'];
export interface EmailedSignin { connection: SocialConnection; profile: SocialProfile; sealed: Sealed }
/** What "Check your inbox" shows: the address typed, the pending sign-in its links post again, whether it was "Send again". */
export interface SentPage { email: string; pendingId: string; connection: SocialConnection; again: boolean }

export type SocialEmailStep = ReturnType<typeof createSocialEmailStep>;

/** "Send again" within connections.email_step.send_again_after_seconds of the last mail: nothing sent; `retryAfter` in whole seconds. */
export interface TooSoon { retryAfter: number }

/** The wait as "Check your inbox" says it: "a minute", "2 minutes", "90 seconds". */
function spanInWords(seconds: number): string {
  if (seconds % 60 !== 0) return seconds === 1 ? 'a second' : `${seconds} seconds`;
  return seconds === 60 ? 'a minute' : `${seconds / 60} minutes`;
}

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
 *
 * The step goes on after a mail: "Use another address" posts the same pending sign-in again, and
 * only the links mailed to the last address typed work (a mistyped address's link, should its
 * stranger click it, continues nothing). "Send again" mails that address a new link, counted as
 * any mail, and its earlier links still work. The first link used ends the step: the others die with it.
 *
 * "Send again" mails at most once per `sendAgainAfterSeconds` (a minute by default) per pending
 * sign-in, its first mail included: a shopper who clicks before the mail could arrive gets a page
 * saying to wait instead of another mail (the account-mail limits count per address and IP over
 * hours, and let a few clicks in a row through).
 */
export function createSocialEmailStep({ users, handshakes, protection, mails, logs, issuer, sendAgainAfterSeconds }: {
  users: Pick<UserRepository, 'findByEmailForVisitor'>; handshakes: HandshakeStore; protection: Pick<AttackProtection, 'refuseAccountMail'>;
  mails: Pick<AccountMails, 'socialEmailLink'>; logs: LogService; issuer: string; sendAgainAfterSeconds: number;
}) {
  const minutes = Math.round(HANDSHAKE_LIFETIME_MS / 60_000);
  const sendAgainAfterMs = sendAgainAfterSeconds * 1000;

  /** Mails the link for `signin`, whose profile carries the typed address; past a limit only the log says so. */
  async function mailLink(uid: string, signin: EmailedSignin, ctx: RequestContext): Promise<void> {
    const email = signin.profile.email!;
    const { connection } = signin;
    // Before the limits: the shopper moved on from the other address whether or not this mail goes.
    await handshakes.dropFor(uid, 'emailed_link', { 'data.profile.email': { $ne: email } });
    const refused = await protection.refuseAccountMail(email, ctx.ip);
    if (refused) {
      await logs.record({ type: 'f', ...ctx, connection, strategy: connection, strategy_type: 'social', user_name: email, details: { error: refused } });
      return;
    }
    const owner = await users.findByEmailForVisitor(email);
    const { token, digest } = newLinkToken(); // only the digest is stored: a database leak holds no working link
    await handshakes.put({ _id: digest, kind: 'emailed_link', uid, connection, data: { profile: signin.profile, sealed: signin.sealed } });
    const url = `${issuer}/interaction/${encodeURIComponent(uid)}/email-link?ticket=${token}`;
    await mails.socialEmailLink(email, { url, existing: Boolean(owner), connectionLabel: CONNECTION_LABELS[connection], minutes });
  }

  /** Why "Send again" wrote nothing: the sign-in mailed too recently (TooSoon), or it is over (null). */
  async function tooSoon(uid: string, pendingId: string, now: number): Promise<TooSoon | null> {
    const pending = await handshakes.peek(pendingId, 'pending_email');
    const sentAt = pending?.uid === uid ? pending.data.sent_at : undefined;
    if (!(sentAt instanceof Date)) return null;
    return { retryAfter: Math.max(1, Math.ceil((sentAt.getTime() + sendAgainAfterMs - now) / 1000)) };
  }

  return {
    minutes,
    /** How long "Send again" waits after a mail, in words for its page. */
    sendAgainWait: spanInWords(sendAgainAfterSeconds),

    /** The sign-in waiting for an address, when it is this interaction's and has not expired. */
    async pending(uid: string, pendingId: string): Promise<Handshake | null> {
      const pending = await handshakes.peek(pendingId, 'pending_email');
      return pending?.uid === uid ? pending : null;
    },

    /**
     * Mails the link for `email` and returns the handle of its "Check your inbox" page; null when
     * the pending sign-in is over. The pending sign-in stays, with the address typed and when it
     * was mailed, for 15 more minutes: "Use another address" and "Send again" post it again. "Send
     * again" sooner than `sendAgainAfterSeconds` after the last mail is TooSoon and sends nothing: the
     * same for every address (it is the sign-in's clock, not the address's), and one conditional
     * write, so of two clicks at once one mails.
     */
    async send(uid: string, pendingId: string, email: string, ctx: RequestContext, { again = false } = {}): Promise<string | TooSoon | null> {
      const now = Date.now();
      // $not $gt: a record without sent_at (made before it was kept) may send again.
      const due = again ? { 'data.sent_at': { $not: { $gt: new Date(now - sendAgainAfterMs) } } } : {};
      const pending = await handshakes.renew(pendingId, 'pending_email', uid, { 'data.typed': email, 'data.sent_at': new Date(now) }, due);
      if (!pending) return again ? tooSoon(uid, pendingId, now) : null;
      const connection = pending.connection as SocialConnection;
      const { profile, sealed } = pending.data as { profile: SocialProfile; sealed: Sealed };
      await mailLink(uid, { connection, profile: { ...profile, email, email_verified: false }, sealed }, ctx);
      return handshakes.put({ kind: 'check_inbox', uid, connection, data: { email, pending: pendingId, again } });
    },

    async sentPage(uid: string, handle: string): Promise<SentPage | null> {
      const record = await handshakes.peek(handle, 'check_inbox');
      if (record?.uid !== uid) return null;
      return { email: String(record.data.email), pendingId: String(record.data.pending), connection: record.connection as SocialConnection, again: record.data.again === true };
    },

    /** Uses the link once, in the interaction it was mailed for; null when it is not (any more) that interaction's. */
    async redeem(uid: string, token: string): Promise<EmailedSignin | null> {
      if (token.length === 0 || token.length > 100) return null;
      const record = await handshakes.take(linkDigest(token), 'emailed_link', uid);
      if (!record) return null;
      await Promise.all([handshakes.dropFor(uid, 'emailed_link'), handshakes.dropFor(uid, 'pending_email')]);
      return { connection: record.connection as SocialConnection, profile: record.data.profile as SocialProfile, sealed: record.data.sealed as Sealed };
    },
  };
}
