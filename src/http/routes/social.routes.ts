import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { HandshakeStore } from '../../auth/handshake.store.ts';
import { CONNECTION_LABELS } from '../../auth/passport-setup.ts';
import type { SocialProfile, SocialConnection } from '../../auth/profile-mapping.ts';
import type { SocialCallbacks } from '../../auth/social-callback.ts';
import type { SocialEmailStep } from '../../auth/social-email-step.ts';
import { linkNotice } from '../../auth/link-notice.ts';
import type { SocialOutcome, SocialSigninService } from '../../auth/social-signin.service.ts';
import { AppError, NotFoundError } from '../../errors/app-error.ts';
import type { Identity } from '../../users/user.model.ts';
import type { CallbackCookie } from '../callback-cookie.ts';
import { emailField, parseForm } from '../forms.ts';
import type { createCsrf } from '../middleware/csrf.ts';
import type { Interaction, InteractionPages } from '../interaction-pages.ts';
import { runStrategy, type Authenticator } from './run-strategy.ts';
import type { RenderView } from '../views.ts';
import type { CurrentProvider } from '../../oidc/live-provider.ts';
import { socialPrompt } from '../../oidc/select-account.ts';
type Sealed = Identity['sealed_tokens'];

interface Deps {
  provider: CurrentProvider;
  passport: Authenticator;
  connections: SocialConnection[];
  handshakes: HandshakeStore;
  socialSignin: SocialSigninService;
  socialCallbacks: SocialCallbacks;
  callbackCookie: CallbackCookie;
  pages: InteractionPages;
  csrf: ReturnType<typeof createCsrf>;
  emailStep: SocialEmailStep;
  renderView: RenderView;
  timeoutMs: number;
}

const emailForm = z.object({ email: emailField, _csrf: z.string().max(512) }).strict();
const expired = () => new AppError('invalid_request', 400, 'This sign-in has expired or was already used. Go back to the store and start again.');

/**
 * Social sign-in inside an OIDC interaction: /interaction/:uid/connect/:connection goes to the
 * provider; the provider returns to the fixed /login/callback/:connection (what operators register),
 * which hands the outcome back to the interaction's own URL, where the interaction cookie proves
 * the browser that finishes is the one that started.
 */
export function socialRoutes(deps: Deps): Router {
  const { provider, passport, connections, handshakes, socialSignin, socialCallbacks, callbackCookie, pages, csrf, emailStep, renderView, timeoutMs } = deps;
  const router = Router();
  const connectionOf = (req: Request): SocialConnection => {
    const name = String(req.params.connection) as SocialConnection;
    if (!connections.includes(name)) throw new NotFoundError('This sign-in method is not available.');
    return name;
  };
  // The callback is not under the interaction's path (nor its cookie), so its redirect back reads the
  // interaction to know whether it is a popup's, whose opener even a `same-origin` redirect severs
  // (popup-opener-policy.ts). One read per provider round trip.
  const handBack = async (res: Response, interaction: Pick<Interaction, 'uid' | 'params'>, connection: SocialConnection, data: Record<string, unknown>) => {
    await pages.keepOpenerOfPopup(res, interaction);
    const id = await handshakes.put({ kind: 'result', uid: interaction.uid, connection, data });
    res.redirect(303, `/interaction/${interaction.uid}/social/${id}`);
  };

  /**
   * A callback that answers no sign-in of this browser: back to this browser's own sign-in page
   * with a message when it is still in one, else a page saying to start again from the store.
   */
  async function refuse(req: Request, res: Response, connection: SocialConnection, reason: string) {
    for (const uid of callbackCookie.uidsOf(req)) {
      const interaction = await provider().Interaction.find(uid);
      if (interaction) return handBack(res, interaction, connection, { error: socialCallbacks.refusedMessage(connection), reason });
    }
    await socialSignin.recordFailure(connection, reason, { ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512) });
    throw expired();
  }

  router.get('/interaction/:uid/connect/:connection', async (req, res) => {
    const connection = connectionOf(req);
    const details = await pages.load(req, res); // the interaction must exist and belong to this browser
    callbackCookie.remember(res, details.uid);
    const outcome = await runStrategy(passport, connection, req, res, timeoutMs, socialPrompt(connection, details.params));
    if (outcome.kind === 'redirected') return;
    const ctx = await pages.requestContext(req, details.params.client_id);
    await socialSignin.recordFailure(connection, outcome.kind === 'success' ? 'unexpected result' : outcome.reason, ctx);
    await pages.show(req, res, 'login', { error: `${CONNECTION_LABELS[connection]} is not answering right now. Please try again, or use another way to sign in.` }, 502, details);
  });

  // The state and its binding to this browser are checked before passport runs: a callback that is
  // not ours never spends a code at the provider.
  router.get('/login/callback/:connection', async (req, res) => {
    const connection = connectionOf(req);
    const admission = await socialCallbacks.admit(connection, req.query, (uid) => callbackCookie.startedHere(req, uid));
    if (admission.kind === 'refused') return refuse(req, res, connection, admission.reason);
    const outcome = await runStrategy(passport, connection, req, res, timeoutMs);
    await handshakes.drop(admission.key); // single use whatever happened (the strategy consumed it on success)
    if (outcome.kind === 'redirected') return;
    const interaction = await provider().Interaction.find(admission.uid);
    if (!interaction) throw expired();
    return handBack(res, interaction, connection, socialCallbacks.resultOf(connection, outcome));
  });

  async function respond(req: Request, res: Response, interaction: Interaction, connection: SocialConnection, profile: SocialProfile, sealed: Sealed, outcome: SocialOutcome, ctx: Awaited<ReturnType<InteractionPages['requestContext']>>) {
    const { uid } = interaction;
    if (outcome.kind === 'signed_in') return pages.finishLogin(req, res, interaction, outcome.user, ctx, connection);
    if (outcome.kind === 'blocked') return pages.show(req, res, 'login', { error: 'This account cannot sign in. Please contact the store.' }, 403);
    if (outcome.kind === 'needs_email') {
      const id = await handshakes.put({ kind: 'pending_email', uid, connection, data: { profile, sealed } });
      return askEmail(req, res, interaction, id, connection);
    }
    const { user_id, email } = outcome.existing;
    // How the account signs in is told only to a shopper who proved the address (the provider vouched
    // for it, or its owner followed the email step's link): Google's unverified one is anyone's word,
    // and would tell whoever types it which providers that person uses.
    const targetConnections = profile.email_verified ? outcome.existing.connections : [];
    // One offer at a time: the sign-in links what the notice on screen names, not an earlier offer
    // of this interaction (another provider, or another account), whose tokens would wait unused.
    await handshakes.dropFor(uid, 'pending_link');
    await handshakes.put({ kind: 'pending_link', uid, connection, data: { profile, sealed, target_user_id: user_id, target_email: email, target_connections: targetConnections } });
    return offerLink(req, res, interaction, connection, email, targetConnections);
  }

  function offerLink(req: Request, res: Response, interaction: Interaction, connection: SocialConnection, email: string, targetConnections: string[]) {
    pages.offerLink(res, interaction.uid);
    return pages.show(req, res, 'login', { email, notice: linkNotice(email, connection, targetConnections) }, 200, interaction);
  }

  /**
   * The outcome was shown already and this is the page reloaded: the interaction is alive (its
   * cookie was checked), so the shopper sees its page again, the offer to link when one waits, the
   * email step while its pending sign-in is unanswered (the provider's answer is spent: going back
   * to the first screen would make the shopper ask it again), else the first screen, rather than
   * being told to start again from the store.
   */
  async function showAgain(req: Request, res: Response, interaction: Interaction) {
    const pending = pages.linkOffered(req, interaction.uid) ? await handshakes.peekFor(interaction.uid, 'pending_link') : null;
    if (typeof pending?.data.target_email === 'string') {
      const targetConnections = Array.isArray(pending.data.target_connections) ? pending.data.target_connections.map(String) : [];
      return offerLink(req, res, interaction, pending.connection as SocialConnection, pending.data.target_email, targetConnections);
    }
    const askingEmail = await handshakes.peekFor(interaction.uid, 'pending_email');
    if (askingEmail) return askEmail(req, res, interaction, askingEmail._id, askingEmail.connection as SocialConnection);
    res.redirect(303, `/interaction/${interaction.uid}`);
  }

  function askEmail(req: Request, res: Response, interaction: Interaction, pendingId: string, connection: SocialConnection) {
    return pages.show(req, res, 'social-email', { pendingId, connectionLabel: CONNECTION_LABELS[connection] }, 200, interaction);
  }

  router.get('/interaction/:uid/social/:result', async (req, res) => {
    const details = await pages.load(req, res);
    const record = await handshakes.take(String(req.params.result), 'result', details.uid);
    if (!record) return showAgain(req, res, details);
    const connection = record.connection as SocialConnection;
    const ctx = await pages.requestContext(req, details.params.client_id);
    if (record.data.error) {
      await socialSignin.recordFailure(connection, String(record.data.reason ?? record.data.error), ctx);
      return pages.show(req, res, 'login', { error: record.data.error }, 400);
    }
    const profile = record.data.profile as SocialProfile;
    const sealed = record.data.sealed as Sealed;
    return respond(req, res, details, connection, profile, sealed, await socialSignin.complete(profile, sealed, ctx), ctx);
  });

  const form = [express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 }), csrf.doubleCsrfProtection];
  router.post('/interaction/:uid/social/:pending/email', ...form, async (req, res) => {
    const details = await pages.load(req, res);
    const pendingId = String(req.params.pending);
    const pending = await handshakes.peek(pendingId, 'pending_email');
    if (!pending || pending.uid !== details.uid) throw expired();
    const connection = pending.connection as SocialConnection;
    let email: string;
    try {
      email = parseForm(emailForm, req.body).email;
    } catch (err) {
      // Shown again with what was typed, so a typo is fixed rather than retyped.
      const typed = typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '';
      return pages.show(req, res, 'social-email', { pendingId, connectionLabel: CONNECTION_LABELS[connection], email: typed, error: (err as Error).message }, 400);
    }
    if (!(await handshakes.take(pendingId, 'pending_email', details.uid))) throw expired();
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
    if (!signin) return showAgain(req, res, details); // used already (a reload) or expired: where this sign-in stands
    const profile = { ...signin.profile, email_verified: true };
    const ctx = await pages.requestContext(req, details.params.client_id);
    return respond(req, res, details, signin.connection, profile, signin.sealed, await socialSignin.complete(profile, signin.sealed, ctx), ctx);
  });

  async function otherBrowser(res: Response) {
    res.status(400).type('html').send(await renderView('message', {
      title: 'Open this link where you signed in',
      message: 'This link works only in the browser where you started signing in, while that sign-in lasts. Open it there, or go back to the store and sign in again.',
    }));
  }

  return router;
}
