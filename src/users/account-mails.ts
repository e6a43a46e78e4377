import type { Config } from '../config/schema.ts';
import type { Mailer } from '../integrations/mailer.ts';
import type { EmailTickets, TicketExtra } from './email-tickets.ts';

type Render = (name: string, locals?: Record<string, unknown>) => Promise<string>;
interface Recipient { user_id: string; email: string }

export type AccountMails = ReturnType<typeof createAccountMails>;

/** The mails of an account's life: each carries a single-use link and is sent in the background. */
export function createAccountMails({ config, mailer, tickets, render }: { config: Config; mailer: Mailer; tickets: EmailTickets; render: Render }) {
  const ttl = config.email_links;
  const link = (path: string, token: string) => `${config.issuer}${path}?ticket=${encodeURIComponent(token)}`;
  /** The page each kind of link opens. */
  const pages = { verify_email: '/email/verify', reset_password: '/password/reset/new' } as const;

  async function send(template: string, to: string, subject: string, locals: Record<string, unknown>): Promise<void> {
    const data = { subject, ...locals };
    const [html, text] = await Promise.all([render(`emails/${template}`, data), render(`emails/${template}.txt`, data)]);
    mailer.sendInBackground({ to, subject, html, text });
  }

  const sendVerifyLink = (to: string, token: string) =>
    send('verify-email', to, `Confirm your email for ${config.brand.name}`, { url: link(pages.verify_email, token), days: Math.round(ttl.verification_ttl / 86400) });

  return {
    /** Confirms the address of an existing user; `newUser`: one just made, whose first link this is. */
    async verification(user: Recipient, { newUser = false } = {}): Promise<void> {
      await sendVerifyLink(user.email, await tickets.issue('verify_email', user, ttl.verification_ttl, {}, { newUser }));
    },

    /** The link that turns a pending (verify-first) sign-up into an account; the same mail to the shopper. */
    async signupConfirmation(email: string, token: string): Promise<void> {
      await sendVerifyLink(email, token);
    },

    async passwordReset(user: Recipient): Promise<void> {
      const token = await tickets.issue('reset_password', user, ttl.password_reset_ttl);
      await send('reset-password', user.email, `Reset your ${config.brand.name} password`, { url: link(pages.reset_password, token), minutes: Math.round(ttl.password_reset_ttl / 60) });
    },

    /**
     * The link alone, mailed by nobody: a Management API ticket, which the store sends in its own
     * mail. The same page and the same single-use, expiring ticket as the mailed link of its kind.
     */
    async unmailedLink(kind: keyof typeof pages, user: Recipient, ttlSeconds: number, extra: TicketExtra): Promise<string> {
      return link(pages[kind], await tickets.issue(kind, user, ttlSeconds, extra));
    },

    async blocked(user: Recipient, ip: string): Promise<void> {
      const token = await tickets.issue('unblock', user, ttl.unblock_ttl, { ip });
      await send('blocked', user.email, `We blocked sign-ins to your ${config.brand.name} account from one device`, { url: link('/account/unblock', token), ip });
    },

    /**
     * The link of a social sign-in's email step (auth/social-email-step.ts): for a new address it
     * finishes the sign-in; for an address with an account it asks its owner to sign in to connect.
     */
    async socialEmailLink(to: string, { url, existing, connectionLabel, minutes }: { url: string; existing: boolean; connectionLabel: string; minutes: number }): Promise<void> {
      const subject = existing ? `Connect ${connectionLabel} to your ${config.brand.name} account?` : `Confirm your email for ${config.brand.name}`;
      await send(existing ? 'social-link-request' : 'social-email-confirm', to, subject, { url, connectionLabel, minutes });
    },

    /** Sign-up with an address that already has an account: tell its owner, show the visitor nothing new. */
    async signupAttempt(user: Recipient): Promise<void> {
      await send('signup-attempt', user.email, `Someone tried to create a ${config.brand.name} account with your email`, { url: `${config.issuer}/password/reset` });
    },
  };
}
