import express, { Router } from 'express';
import { AppError } from '../../errors/app-error.ts';
import { PASSWORD_CONNECTION, type PasswordSigninService } from '../../users/password-signin.service.ts';
import { TooManyAttemptsError } from '../../users/attack-protection.ts';
import { consentForm, credentialsForm, parseForm, typedEmail } from '../forms.ts';
import { firstScreenOf, type InteractionPages } from '../interaction-pages.ts';
import type { HandshakeStore } from '../../auth/handshake.store.ts';
import { overPage } from '../popup-cookie.ts';
import type { RenderView } from '../views.ts';
import type { CurrentProvider } from '../../oidc/live-provider.ts';

interface Deps {
  provider: CurrentProvider;
  handshakes: HandshakeStore;
  renderView: RenderView;
  verifyEmailFirst: boolean;
  passwordSignin: PasswordSigninService;
  pages: InteractionPages;
}

const SIGN_IN_OVER_AFTER_SIGNUP = 'This sign-in has expired or was already used. If you confirmed your email, your account is ready: go back to the store and sign in with your email and password.';
const STALE_FORM = 'This page was opened at the same time as another one of this site, so its form was out of date. Nothing was done: please try again.';

/** The hosted pages inside an OIDC interaction: sign in, sign up, consent for third-party apps. */
export function interactionRoutes({ provider, passwordSignin, pages, handshakes, renderView, verifyEmailFirst }: Deps): Router {
  const router = Router();
  const bodyParser = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const form = [bodyParser, pages.checkCsrf];

  router.get('/interaction/:uid', async (req, res) => {
    const details = await pages.load(req, res);
    return pages.show(req, res, firstScreenOf(details), {}, 200, details);
  });

  // Each form has its own address, so "Sign in" on a sign-up opened with screen_hint=signup (whose
  // /interaction/<uid> is the sign-up page again) reaches the sign-in form.
  router.get('/interaction/:uid/signup', (req, res) => pages.show(req, res, 'signup'));
  router.get('/interaction/:uid/login', (req, res) => pages.show(req, res, 'login'));

  for (const screen of ['login', 'signup'] as const) {
    // A form left behind by a page loaded at the same time on a first visit (csrf.ts): shown again, fresh.
    const stale = pages.checkFormCsrf((req, res) => pages.show(req, res, screen, { error: STALE_FORM, email: typedEmail(req.body) }, 400));
    router.post(`/interaction/:uid/${screen}`, bodyParser, stale, async (req, res) => {
      const details = await pages.load(req, res);
      let email = typedEmail(req.body);
      try {
        const credentials = parseForm(credentialsForm, req.body);
        email = credentials.email;
        const ctx = await pages.requestContext(req, details.params.client_id);
        if (screen === 'login') return await pages.finishLogin(req, res, details, await passwordSignin.signIn(credentials, ctx), ctx, PASSWORD_CONNECTION);
        // The sign-up knows its "Check your inbox" page: a popup's Continue there finishes it and no other.
        const check_inbox = handshakes.newId();
        const result = await passwordSignin.signUp(credentials, ctx, { verifyFirst: verifyEmailFirst, signin: { uid: details.uid, check_inbox } });
        if (result.kind === 'signed_up') return await pages.finishLogin(req, res, details, result.user, ctx, PASSWORD_CONNECTION);
        // Post/Redirect/Get: reloading "Check your inbox" must not sign up again (a new mail, and the first link dead).
        const handle = await handshakes.put({ _id: check_inbox, kind: 'check_inbox', uid: details.uid, connection: PASSWORD_CONNECTION, data: { email: result.email } });
        return res.redirect(303, `/interaction/${details.uid}/check-inbox/${handle}`);
      } catch (err) {
        // Expected refusals are shown in the form; anything else goes to the error handler.
        if (!(err instanceof AppError) || !err.expose || err.status === 503) throw err;
        if (err instanceof TooManyAttemptsError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
        await pages.show(req, res, screen, { error: err.message, email }, err.status);
      }
    });
  }

  // Shown again on reload for as long as the sign-in lives; the address only while its record does.
  // (A social sign-in's email step has its own page: social-email.routes.ts.)
  router.get('/interaction/:uid/check-inbox/:handle', async (req, res) => {
    const details = await pages.load(req, res);
    const found = await handshakes.peek(String(req.params.handle), 'check_inbox');
    const record = found?.uid === details.uid ? found : null;
    await pages.show(req, res, 'check-inbox', { email: record ? String(record.data.email) : '', handle: String(req.params.handle), popup: await pages.isPopup(details) }, 200, details);
  });

  // A popup sign-up's "Continue" (its check-inbox page): the sign-in finishes here, in the popup,
  // once its link was confirmed in this browser (the handover the mail's tab left, below), exactly
  // once (take). Only this page's sign-up: a popup may hold several (back to the sign-up, another
  // address), and another one's link must not sign this one in. Anything else, a link not used
  // yet or used on another device, is the same page saying so: the same whether or not the address
  // has an account (nothing was confirmed either way).
  router.post('/interaction/:uid/check-inbox/:handle/continue', ...form, async (req, res) => {
    const details = await pages.load(req, res).catch((err) => signInOver(res, err));
    if (!details) return;
    const handover = await handshakes.takeFor(details.uid, 'popup_handover', { 'data.check_inbox': String(req.params.handle) });
    const ctx = await pages.requestContext(req, details.params.client_id);
    const user = handover && await passwordSignin.completeVerifiedSignup(String(handover.data.user_id), ctx);
    if (user) return pages.finishLogin(req, res, details, user, ctx, PASSWORD_CONNECTION);
    const found = await handshakes.peek(String(req.params.handle), 'check_inbox');
    const email = found?.uid === details.uid ? String(found.data.email) : '';
    await pages.show(req, res, 'check-inbox', { email, handle: String(req.params.handle), popup: true, notConfirmed: true }, 409, details);
  });

  /** The popup's sign-in is over (expired, finished): the account, if the link was confirmed, is there all the same. */
  async function signInOver(res: express.Response, err: unknown): Promise<undefined> {
    if ((err as { name?: unknown })?.name !== 'SessionNotFound') throw err;
    res.status(400).type('html').send(await renderView('message', { title: 'This sign-in is over', message: SIGN_IN_OVER_AFTER_SIGNUP, ...overPage(res) }));
    return undefined;
  }

  router.post('/interaction/:uid/consent', ...form, async (req, res) => {
    parseForm(consentForm, req.body);
    const oidc = provider();
    const { prompt, params, session, grantId } = await pages.load(req, res);
    if (prompt.name !== 'consent' || !session) throw new AppError('invalid_request', 400, 'There is nothing to approve here.');
    const grant = grantId ? await oidc.Grant.find(grantId) : new oidc.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
    if (!grant) throw new AppError('invalid_request', 400, 'This approval has expired. Please start again.');
    const details = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    await oidc.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  });

  // A verify-first sign-up resumes here once its emailed link was used; only in the browser that
  // signed up (the interaction cookie proves it). Elsewhere the shopper is told to sign in. Not a
  // popup's (loginWithPopup()): this is the mail's tab, whose web_message answer would have no
  // opener to post the code to (a blank page, and the popup's sign-in used up), so it leaves a
  // handover the popup's "Continue" takes (above), and says so. This page is never the popup's: it
  // is not loaded through pages.load and keeps `same-origin`.
  router.get('/interaction/:uid/verified/:handle', async (req, res) => {
    const details = await provider().interactionDetails(req, res).catch(() => undefined);
    const record = details && await handshakes.take(String(req.params.handle), 'verified_signup', details.uid);
    if (record && await pages.isPopup(details)) {
      // This browser holds the popup's interaction (its cookie, checked above): the popup may go on.
      const { user_id, check_inbox } = record.data;
      await handshakes.dropFor(details.uid, 'popup_handover', { 'data.check_inbox': check_inbox });
      await handshakes.put({ kind: 'popup_handover', uid: details.uid, connection: PASSWORD_CONNECTION, data: { user_id, check_inbox } });
      return res.type('html').send(await renderView('message', { title: 'Email confirmed', message: 'Your email is confirmed and your account is ready. Go back to the window where you signed up and press Continue there.' }));
    }
    const ctx = details && await pages.requestContext(req, details.params.client_id);
    const user = record && ctx && await passwordSignin.completeVerifiedSignup(String(record.data.user_id), ctx);
    if (!user || !ctx) {
      return res.type('html').send(await renderView('message', { title: 'Email confirmed', message: 'Your email is confirmed. Go back to the store and sign in.' }));
    }
    await pages.finishLogin(req, res, details, user, ctx, PASSWORD_CONNECTION);
  });

  // Cancel leaves nothing behind: a social identity waiting to be linked (and its provider tokens)
  // is dropped now rather than when its record expires.
  router.get('/interaction/:uid/abort', async (req, res) => {
    await handshakes.dropAllFor((await pages.load(req, res)).uid);
    await provider().interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The user cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
  });

  return router;
}
