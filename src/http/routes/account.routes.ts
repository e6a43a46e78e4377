import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, BadRequestError } from '../../errors/app-error.ts';
import { InvalidLinkError, type AccountService } from '../../users/account.service.ts';
import { PASSWORD_CONNECTION } from '../../users/password-user.ts';
import type { HandshakeStore } from '../../auth/handshake.store.ts';
import { emailForm, parseForm, RESET_REQUEST, typedEmail } from '../forms.ts';
import type { createCsrf } from '../middleware/csrf.ts';
import type { RenderView } from '../views.ts';

interface Deps { account: AccountService; renderView: RenderView; csrf: ReturnType<typeof createCsrf>; handshakes: HandshakeStore }

// A missing, doubled or overlong ticket is a damaged link (cut by a mail client, or pasted twice):
// no ticket, so the shopper gets the dead-link page, not a message about a field they never saw.
const ticketField = z.string().max(100).catch('');

/** What a dead link's page offers instead, by the link's kind: a way forward, never a dead end. */
const DEAD_LINKS = {
  verify: { hint: 'If you confirmed your email already, go back to the store and sign in. If not,', href: '/email/verify/resend', label: 'get a new link' },
  reset: { hint: 'Reset links work once, for a short time.', href: '/password/reset', label: 'Ask for a new one' },
  unblock: { hint: 'Still cannot sign in? Resetting your password lifts the block as well:', href: '/password/reset', label: 'reset your password' },
} as const;
const ticketForm = z.object({ ticket: ticketField, _csrf: z.string().max(512) }).strict();
const newPasswordForm = z.object({ ticket: ticketField, password: z.string().min(1, 'Enter a new password.').max(1024, 'That password is too long.'), _csrf: z.string().max(512) }).strict();

/**
 * Pages behind emailed links. Opening a link only shows a page; the action (which uses the link up)
 * is a POST, so mail scanners that prefetch links cannot use them.
 */
export function accountRoutes({ account, renderView, csrf, handshakes }: Deps): Router {
  const router = Router();
  const form = [express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), csrf.doubleCsrfProtection];
  const context = (req: Request) => ({ ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512) });
  const page = async (req: Request, res: Response, view: string, locals: Record<string, unknown>, status = 200) => {
    res.status(status).type('html').send(await renderView(view, { error: undefined, csrfToken: csrf.generateCsrfToken(req, res), ...locals }));
  };
  const message = (req: Request, res: Response, title: string, text: string, status = 200) => page(req, res, 'message', { title, message: text }, status);
  const deadLink = (req: Request, res: Response, kind: keyof typeof DEAD_LINKS) => page(req, res, 'dead-link', { title: 'Link expired', ...DEAD_LINKS[kind] }, 400);
  /** The service's answer, or undefined once the dead-link page is sent (the link was used, expired or never existed). */
  const unlessDead = async <T>(req: Request, res: Response, kind: keyof typeof DEAD_LINKS, use: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await use();
    } catch (err) {
      if (!(err instanceof InvalidLinkError)) throw err;
      await deadLink(req, res, kind);
      return undefined;
    }
  };
  const ticketOf = (req: Request) => (typeof req.query.ticket === 'string' && req.query.ticket.length <= 100 ? req.query.ticket : '');

  // Post/Redirect/Get: each POST that mails or sets something answers with a 303 to a page of its own, so
  // reloading the answer is a GET (no second mail killing the first link, no second count against the
  // account-mail limits, no "Link expired" after a password change). The pages are fixed text and carry
  // nothing from the request, so the redirect and the page are the same whether or not an account exists.

  /**
   * A page asking for an email, and the reader of its form: a mistyped address shows the form again
   * (400) with the message and what was typed, so the shopper can correct it; undefined then.
   */
  const emailPage = (path: string, title: string, lead: string, button: string) => {
    const show = (req: Request, res: Response, locals: { email?: string; error?: string } = {}, status = 200) =>
      page(req, res, 'email-request', { title, lead, button, action: path, email: '', ...locals }, status);
    router.get(path, (req, res) => show(req, res));
    return async (req: Request, res: Response): Promise<string | undefined> => {
      try {
        return parseForm(emailForm, req.body).email;
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        await show(req, res, { email: typedEmail(req.body), error: err.message }, 400);
        return undefined;
      }
    };
  };

  const resendEmail = emailPage('/email/verify/resend', 'Confirm your email', 'Enter your email and we will send you a new confirmation link.', 'Send link');
  router.post('/email/verify/resend', ...form, async (req, res) => {
    const email = await resendEmail(req, res);
    if (email === undefined) return;
    await account.resendVerification(email, context(req));
    res.redirect(303, '/email/verify/resend/sent');
  });
  router.get('/email/verify/resend/sent', (req, res) => message(req, res, 'Check your inbox', 'If that address has an account or a sign-up waiting to be confirmed, we have sent it a new link.'));

  router.get('/email/verify', (req, res) => page(req, res, 'confirm-action', {
    title: 'Confirm your email', lead: 'One click and your email is confirmed.', action: '/email/verify', button: 'Confirm my email', ticket: ticketOf(req),
  }));
  router.post('/email/verify', ...form, async (req, res) => {
    const { ticket } = parseForm(ticketForm, req.body);
    const confirmed = await unlessDead(req, res, 'verify', () => account.verifyEmail(ticket, context(req)));
    if (!confirmed) return;
    if (confirmed.kind === 'taken') {
      return message(req, res, 'You already have an account', 'This email got an account in the meantime, so we did not create another one. Go back to the store and sign in the way you did then, or reset your password.');
    }
    // An API ticket's result_url, checked when the ticket was made (src/admin/result-urls.ts): never one from the request.
    if (confirmed.kind === 'verified' && confirmed.redirect) return res.redirect(303, confirmed.redirect);
    if (confirmed.uid) {
      // A sign-up waits for this: hand over to its interaction, which finishes the sign-in if this browser is in it.
      // A popup's: for the "Check your inbox" page of this very sign-up (interaction.routes.ts).
      const check_inbox = confirmed.kind === 'created' ? confirmed.check_inbox ?? null : null;
      const handle = await handshakes.put({ kind: 'verified_signup', uid: confirmed.uid, connection: PASSWORD_CONNECTION, data: { user_id: confirmed.user_id, check_inbox } });
      return res.redirect(303, `/interaction/${confirmed.uid}/verified/${handle}`);
    }
    await message(req, res, 'Email confirmed', 'Thank you! Your email is confirmed. You can close this page and go back to the store.');
  });

  const resetEmail = emailPage('/password/reset', RESET_REQUEST.title, RESET_REQUEST.lead, RESET_REQUEST.button);
  router.post('/password/reset', ...form, async (req, res) => {
    const email = await resetEmail(req, res);
    if (email === undefined) return;
    await account.requestPasswordReset(email, context(req));
    res.redirect(303, '/password/reset/sent');
  });
  router.get('/password/reset/sent', (req, res) => message(req, res, 'Check your inbox', 'If that address has an account, we have sent it a link to reset the password.'));

  router.get('/password/reset/new', async (req, res) => {
    const ticket = ticketOf(req);
    if (!(await account.isResetLinkValid(ticket))) return deadLink(req, res, 'reset');
    await page(req, res, 'new-password', { title: 'Choose a new password', ticket });
  });
  router.post('/password/reset/new', ...form, async (req, res) => {
    const ticket = typeof req.body?.ticket === 'string' ? req.body.ticket.slice(0, 100) : '';
    let done: { redirect?: string };
    try {
      const input = parseForm(newPasswordForm, req.body);
      done = await account.resetPassword(input.ticket, input.password, context(req));
    } catch (err) {
      if (err instanceof InvalidLinkError) return deadLink(req, res, 'reset');
      if (!(err instanceof AppError) || !err.expose || err.status >= 500) throw err;
      return page(req, res, 'new-password', { title: 'Choose a new password', ticket, error: err.message }, err.status);
    }
    // An API ticket's result_url, as for /email/verify; else our own page.
    res.redirect(303, done.redirect ?? '/password/reset/done');
  });
  router.get('/password/reset/done', (req, res) => message(req, res, 'Password changed', 'Your password has been changed and you were signed out everywhere. Go back to the store and sign in with your new password.'));

  router.get('/account/unblock', (req, res) => page(req, res, 'confirm-action', {
    title: 'Unblock sign-ins', lead: 'Allow sign-ins to your account from the network that was blocked.', action: '/account/unblock', button: 'Unblock', ticket: ticketOf(req),
  }));
  router.post('/account/unblock', ...form, async (req, res) => {
    const { ticket } = parseForm(ticketForm, req.body);
    const unblocked = await unlessDead(req, res, 'unblock', async () => { await account.unblock(ticket); return true; });
    if (!unblocked) return;
    await message(req, res, 'Sign-ins unblocked', 'You can sign in again from that network.');
  });

  return router;
}
