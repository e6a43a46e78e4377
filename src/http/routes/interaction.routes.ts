import express, { Router, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import { AppError } from '../../errors/app-error.ts';
import type { PasswordSigninService, RequestContext } from '../../users/password-signin.service.ts';
import { consentForm, credentialsForm, parseForm } from '../forms.ts';
import type { createCsrf } from '../middleware/csrf.ts';
import type { RenderView } from '../views.ts';

interface Deps {
  provider: Provider;
  passwordSignin: PasswordSigninService;
  renderView: RenderView;
  csrf: ReturnType<typeof createCsrf>;
}

type Screen = 'login' | 'signup';

/** The hosted pages inside an OIDC interaction: sign in, sign up, consent for third-party apps. */
export function interactionRoutes({ provider, passwordSignin, renderView, csrf }: Deps): Router {
  const router = Router();
  const form = [express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }), csrf.doubleCsrfProtection];

  async function show(req: Request, res: Response, screen: Screen | 'consent', extra: Record<string, unknown> = {}, status = 200) {
    const details = await provider.interactionDetails(req, res);
    const client = await provider.Client.find(String(details.params.client_id));
    res.status(status).type('html').send(await renderView(screen, {
      title: screen === 'signup' ? 'Create your account' : screen === 'login' ? 'Sign in' : 'Allow access',
      uid: details.uid,
      csrfToken: csrf.generateCsrfToken(req, res, { overwrite: true }),
      clientName: client?.clientName ?? client?.clientId,
      scopes: String(details.params.scope ?? '').split(' ').filter(Boolean),
      email: '',
      ...extra,
    }));
  }

  router.get('/interaction/:uid', async (req, res) => {
    const { prompt, params } = await provider.interactionDetails(req, res);
    if (prompt.name === 'consent') return show(req, res, 'consent');
    return show(req, res, params.screen_hint === 'signup' ? 'signup' : 'login');
  });

  router.get('/interaction/:uid/signup', (req, res) => show(req, res, 'signup'));

  for (const screen of ['login', 'signup'] as const) {
    router.post(`/interaction/:uid/${screen}`, ...form, async (req, res) => {
      const details = await provider.interactionDetails(req, res);
      let email = typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '';
      try {
        const credentials = parseForm(credentialsForm, req.body);
        email = credentials.email;
        const ctx = await requestContextOf(req, provider, String(details.params.client_id));
        const user = screen === 'login'
          ? await passwordSignin.signIn(credentials, ctx)
          : await passwordSignin.signUp(credentials, ctx);
        await provider.interactionFinished(req, res, { login: { accountId: user.user_id } }, { mergeWithLastSubmission: false });
      } catch (err) {
        // Expected refusals are shown in the form; anything else goes to the error handler.
        if (!(err instanceof AppError) || !err.expose || err.status === 503) throw err;
        await show(req, res, screen, { error: err.message, email }, err.status);
      }
    });
  }

  router.post('/interaction/:uid/consent', ...form, async (req, res) => {
    parseForm(consentForm, req.body);
    const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
    if (prompt.name !== 'consent' || !session) throw new AppError('invalid_request', 400, 'There is nothing to approve here.');
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
    if (!grant) throw new AppError('invalid_request', 400, 'This approval has expired. Please start again.');
    const details = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  });

  router.get('/interaction/:uid/abort', async (req, res) => {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The user cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
  });

  return router;
}

async function requestContextOf(req: Request, provider: Provider, clientId: string): Promise<RequestContext> {
  const client = await provider.Client.find(clientId);
  return { ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512), client_id: clientId, client_name: client?.clientName };
}
