import express, { Router, type Request, type Response } from 'express';
import { BadRequestError } from '../../errors/app-error.ts';
import type { AccountService } from '../../users/account.service.ts';
import { emailForm, parseForm, RESET_REQUEST, typedEmail } from '../forms.ts';
import type { InteractionPages } from '../interaction-pages.ts';
import type { createCsrf } from '../middleware/csrf.ts';
import type { RenderView } from '../views.ts';

interface Deps { account: AccountService; pages: InteractionPages; csrf: ReturnType<typeof createCsrf>; renderView: RenderView }


/**
 * "Forgot your password?" on a sign-in page: the reset mail is asked for inside the sign-in, so a
 * popup sign-in (loginWithPopup()) keeps its opener on these pages too (pages.load sends the popup's
 * Cross-Origin-Opener-Policy, popup-opener-policy.ts) and "Back to sign in" returns to the same
 * interaction. What the mail's link opens, /password/reset/new, is not part of the sign-in (it opens
 * in another tab, from the mail) and keeps account.routes.ts's pages and `same-origin`. The answers
 * are those of /password/reset: the same redirect and page whether or not the address has an account.
 */
export function interactionResetRoutes({ account, pages, csrf, renderView }: Deps): Router {
  const router = Router();
  const form = [express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), pages.checkCsrf];
  const back = (uid: string) => ({ href: `/interaction/${uid}/login`, label: 'Back to sign in' });
  /** The interaction, or undefined when it is over or not this browser's: the reset itself does not need it. */
  const live = (req: Request, res: Response) => pages.load(req, res).catch((err: unknown) => {
    if ((err as { name?: unknown })?.name === 'SessionNotFound') return undefined; // a database outage still answers 503
    throw err;
  });

  const showForm = async (req: Request, res: Response, locals: { email?: string; error?: string } = {}, status = 200) => {
    const interaction = await live(req, res);
    if (!interaction) return res.redirect(303, '/password/reset'); // a sign-in page left open too long: the plain reset page
    const { uid } = interaction;
    res.status(status).type('html').send(await renderView('email-request', {
      ...RESET_REQUEST, action: `/interaction/${uid}/password/reset`, email: '', csrfToken: csrf.generateCsrfToken(req, res), back: back(uid), ...locals,
    }));
  };

  router.get('/interaction/:uid/password/reset', (req, res) => showForm(req, res));
  router.post('/interaction/:uid/password/reset', ...form, async (req, res) => {
    let email: string;
    try {
      email = parseForm(emailForm, req.body).email;
    } catch (err) {
      if (!(err instanceof BadRequestError)) throw err;
      return showForm(req, res, { email: typedEmail(req.body), error: err.message }, 400);
    }
    const interaction = await live(req, res);
    const ctx = interaction ? await pages.requestContext(req, interaction.params.client_id) : { ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512) };
    await account.requestPasswordReset(email, ctx);
    // Post/Redirect/Get, as /password/reset (whose page it is when the sign-in is over).
    res.redirect(303, interaction ? `/interaction/${interaction.uid}/password/reset/sent` : '/password/reset/sent');
  });
  router.get('/interaction/:uid/password/reset/sent', async (req, res) => {
    const interaction = await live(req, res);
    if (!interaction) return res.redirect(303, '/password/reset/sent');
    const { uid } = interaction;
    res.type('html').send(await renderView('message', {
      title: 'Check your inbox', message: 'If that address has an account, we have sent it a link to reset the password. Choose the new password there, then come back here and sign in.', back: back(uid),
    }));
  });

  return router;
}
