import express, { Router, type Response } from 'express';
import { z } from 'zod';
import type { HandshakeStore } from '../../auth/handshake.store.ts';
import { CONNECTION_LABELS } from '../../auth/passport-setup.ts';
import type { SocialConnection, SocialProfile } from '../../auth/profile-mapping.ts';
import type { SocialEmailStep } from '../../auth/social-email-step.ts';
import type { SocialSigninService } from '../../auth/social-signin.service.ts';
import { emailField, parseForm } from '../forms.ts';
import type { InteractionPages } from '../interaction-pages.ts';
import type { createCsrf } from '../middleware/csrf.ts';
import { signInExpired, type Sealed, type SocialOutcomePages } from '../social-outcome-pages.ts';
import type { RenderView } from '../views.ts';

interface Deps {
  handshakes: HandshakeStore;
  socialSignin: SocialSigninService;
  pages: InteractionPages;
  outcomes: SocialOutcomePages;
  csrf: ReturnType<typeof createCsrf>;
  emailStep: SocialEmailStep;
  renderView: RenderView;
}

const emailForm = z.object({ email: emailField, _csrf: z.string().max(512) }).strict();

/**
 * The email step of a social sign-in whose provider shared no address (auth/social-email-step.ts):
 * the address typed, and the mailed link that continues the sign-in in the browser that typed it.
 */
export function socialEmailRoutes({ handshakes, socialSignin, pages, outcomes, csrf, emailStep, renderView }: Deps): Router {
  const router = Router();
  const form = [express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), csrf.doubleCsrfProtection];

  router.post('/interaction/:uid/social/:pending/email', ...form, async (req, res) => {
    const details = await pages.load(req, res);
    const pendingId = String(req.params.pending);
    const pending = await handshakes.peek(pendingId, 'pending_email');
    if (!pending || pending.uid !== details.uid) throw signInExpired();
    const connection = pending.connection as SocialConnection;
    let email: string;
    try {
      email = parseForm(emailForm, req.body).email;
    } catch (err) {
      // Shown again with what was typed, so a typo is fixed rather than retyped.
      const typed = typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '';
      return pages.show(req, res, 'social-email', { pendingId, connectionLabel: CONNECTION_LABELS[connection], email: typed, error: (err as Error).message }, 400);
    }
    if (!(await handshakes.take(pendingId, 'pending_email', details.uid))) throw signInExpired();
    // The same answer whether or not the address has an account; the mail differs (social-email-step.ts).
    const profile = { ...(pending.data.profile as SocialProfile), email, email_verified: false };
    const ctx = await pages.requestContext(req, details.params.client_id);
    await emailStep.start(details.uid, { connection, profile, sealed: pending.data.sealed as Sealed }, ctx);
    // Post/Redirect/Get, as a sign-up's: reloading "Check your inbox" mails nothing again.
    const handle = await handshakes.put({ kind: 'check_inbox', uid: details.uid, connection, data: { email } });
    res.redirect(303, `/interaction/${details.uid}/check-inbox/${handle}`);
  });

  // The emailed link, opened in the browser that typed the address (the interaction cookie says so):
  // the mailbox is proven now, and the sign-in goes on as if the provider had sent the address.
  router.get('/interaction/:uid/email-link', async (req, res) => {
    const details = await pages.load(req, res).catch((err: unknown) => {
      if ((err as { name?: unknown })?.name === 'SessionNotFound') return undefined; // no sign-in of this browser; a database outage still answers 503
      throw err;
    });
    if (!details) return otherBrowser(res);
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : '';
    const signin = await emailStep.redeem(details.uid, ticket);
    if (!signin) return outcomes.showAgain(req, res, details); // used already (a reload) or expired: where this sign-in stands
    const profile = { ...signin.profile, email_verified: true };
    const ctx = await pages.requestContext(req, details.params.client_id);
    return outcomes.respond(req, res, details, signin.connection, profile, signin.sealed, await socialSignin.complete(profile, signin.sealed, ctx), ctx);
  });

  async function otherBrowser(res: Response) {
    res.status(400).type('html').send(await renderView('message', {
      title: 'Open this link where you signed in',
      message: 'This link works only in the browser where you started signing in, while that sign-in lasts. Open it there, or go back to the store and sign in again.',
    }));
  }

  return router;
}
