import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { CONNECTION_LABELS } from '../../auth/passport-setup.ts';
import type { SocialConnection } from '../../auth/profile-mapping.ts';
import type { SentPage, SocialEmailStep } from '../../auth/social-email-step.ts';
import type { SocialSigninService } from '../../auth/social-signin.service.ts';
import { emailForm, parseForm, typedEmail } from '../forms.ts';
import type { Interaction, InteractionPages } from '../interaction-pages.ts';
import type { SocialOutcomePages } from '../social-outcome-pages.ts';
import type { RenderView } from '../views.ts';

interface Deps {
  socialSignin: SocialSigninService;
  pages: InteractionPages;
  outcomes: SocialOutcomePages;
  emailStep: SocialEmailStep;
  renderView: RenderView;
}

const sendAgainForm = z.object({ _csrf: z.string().max(512) }).strict();

/**
 * The email step of a social sign-in whose provider shared no address (auth/social-email-step.ts):
 * the address typed, and the mailed link that continues the sign-in in the browser that typed it.
 */
export function socialEmailRoutes({ socialSignin, pages, outcomes, emailStep, renderView }: Deps): Router {
  const router = Router();
  const form = [express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), pages.checkCsrf];

  // The form again ("Use another address" on "Check your inbox"), with the address mailed last.
  router.get('/interaction/:uid/social/:pending/email', async (req, res) => {
    const details = await pages.load(req, res);
    const pending = await emailStep.pending(details.uid, String(req.params.pending));
    if (!pending) return stepExpired(req, res, details);
    return outcomes.askEmail(req, res, details, pending._id, pending.connection as SocialConnection, pending.data.typed);
  });

  router.post('/interaction/:uid/social/:pending/email', ...form, async (req, res) => {
    const details = await pages.load(req, res);
    const pending = await emailStep.pending(details.uid, String(req.params.pending));
    if (!pending) return stepExpired(req, res, details);
    let email: string;
    try {
      email = parseForm(emailForm, req.body).email;
    } catch (err) {
      const connectionLabel = CONNECTION_LABELS[pending.connection as SocialConnection];
      return pages.show(req, res, 'social-email', { pendingId: pending._id, connectionLabel, email: typedEmail(req.body), error: (err as Error).message }, 400);
    }
    // The same answer whether or not the address has an account; the mail differs (social-email-step.ts).
    const handle = await emailStep.send(details.uid, pending._id, email, await pages.requestContext(req, details.params.client_id));
    if (!handle) return stepExpired(req, res, details);
    // Post/Redirect/Get, as a sign-up's: reloading "Check your inbox" mails nothing again.
    res.redirect(303, `/interaction/${details.uid}/email-sent/${handle}`);
  });

  // Its own address, not the sign-up's check-inbox: once the step is over (its records live 15
  // minutes, as the link does), a reload says so rather than showing the sign-up's wording.
  router.get('/interaction/:uid/email-sent/:handle', async (req, res) => {
    const details = await pages.load(req, res);
    const sent = await emailStep.sentPage(details.uid, String(req.params.handle));
    if (!sent) return stepExpired(req, res, details);
    await showSent(req, res, details, sent, String(req.params.handle));
  });

  // "Send again": the same mail to the same address, a new link (the earlier ones still work), the
  // same answer with or without an account; counted against the account-mail limits as any mail.
  // Within connections.email_step.send_again_after_seconds (a minute) of the last mail: the page
  // again, saying to wait, with 429 and Retry-After (RFC 6585 §4), and nothing sent.
  router.post('/interaction/:uid/email-sent/:handle/again', ...form, async (req, res) => {
    parseForm(sendAgainForm, req.body);
    const details = await pages.load(req, res);
    const sent = await emailStep.sentPage(details.uid, String(req.params.handle));
    const ctx = await pages.requestContext(req, details.params.client_id);
    const handle = sent && await emailStep.send(details.uid, sent.pendingId, sent.email, ctx, { again: true });
    if (!handle) return stepExpired(req, res, details);
    if (typeof handle === 'string') return res.redirect(303, `/interaction/${details.uid}/email-sent/${handle}`);
    res.setHeader('Retry-After', String(handle.retryAfter));
    await showSent(req, res, details, sent, String(req.params.handle), { tooSoon: emailStep.sendAgainWait }, 429);
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
    if (!signin) {
      // Used already: reloading the offer to sign in to the account shows it again; else the step is over.
      if (await outcomes.offerAgain(req, res, details)) return;
      return stepExpired(req, res, details);
    }
    const profile = { ...signin.profile, email_verified: true };
    const ctx = await pages.requestContext(req, details.params.client_id);
    return outcomes.respond(req, res, details, signin.connection, profile, signin.sealed, await socialSignin.complete(profile, signin.sealed, ctx), ctx);
  });

  /** "Check your inbox" for the mail `handle` names. */
  function showSent(req: Request, res: Response, details: Interaction, sent: SentPage, handle: string, extra: Record<string, unknown> = {}, status = 200) {
    const connectionLabel = CONNECTION_LABELS[sent.connection];
    return pages.show(req, res, 'check-inbox', { ...sent, handle, connectionLabel, minutes: emailStep.minutes, ...extra }, status, details);
  }

  /** The interaction lives on (its cookie was checked) but not this step: a fresh start from its first page, or back to the store. */
  function stepExpired(req: Request, res: Response, interaction: Interaction) {
    return pages.show(req, res, 'email-step-expired', { minutes: emailStep.minutes }, 400, interaction);
  }

  async function otherBrowser(res: Response) {
    res.status(400).type('html').send(await renderView('message', {
      title: 'Open this link where you signed in',
      message: 'This link works only in the browser where you started signing in, while that sign-in lasts. Open it there, or go back to the store and sign in again.',
    }));
  }

  return router;
}
