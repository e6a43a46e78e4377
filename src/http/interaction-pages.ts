import type { Request, Response } from 'express';
import type { HandshakeStore } from '../auth/handshake.store.ts';
import { CONNECTION_LABELS } from '../auth/passport-setup.ts';
import type { SocialConnection, SocialProfile } from '../auth/profile-mapping.ts';
import type { SocialSigninService } from '../auth/social-signin.service.ts';
import type { Identity, UserDoc } from '../users/user.model.ts';
import type { RequestContext } from '../users/password-signin.service.ts';
import type { createCsrf } from './middleware/csrf.ts';
import type { PostLogin } from '../hooks/post-login.ts';
import type { RenderView } from './views.ts';
import type { CurrentProvider } from '../oidc/live-provider.ts';

type InteractionDetails = Awaited<ReturnType<ReturnType<CurrentProvider>['interactionDetails']>>;

export type Screen = 'login' | 'signup' | 'consent' | 'social-email' | 'check-inbox';

const TITLES: Record<Screen, string> = {
  login: 'Sign in', signup: 'Create your account', consent: 'Allow access', 'social-email': 'One more step', 'check-inbox': 'Check your inbox',
};

export interface InteractionPagesDeps {
  provider: CurrentProvider;
  renderView: RenderView;
  csrf: ReturnType<typeof createCsrf>;
  connections: SocialConnection[];
  handshakes: HandshakeStore;
  socialSignin: SocialSigninService;
  postLogin: PostLogin;
}

export type InteractionPages = ReturnType<typeof createInteractionPages>;

/** What every hosted page of an interaction shares: rendering with brand, CSRF and connections, and finishing the login. */
export function createInteractionPages({ provider, renderView, csrf, connections, handshakes, socialSignin, postLogin }: InteractionPagesDeps) {
  async function clientOf(clientId: unknown) {
    return provider().Client.find(String(clientId));
  }

  return {
    /** `loaded`: the interaction, when the caller has already read it (saves a database read). */
    async show(req: Request, res: Response, screen: Screen, extra: Record<string, unknown> = {}, status = 200, loaded?: InteractionDetails): Promise<void> {
      const details = loaded ?? await provider().interactionDetails(req, res);
      const client = await clientOf(details.params.client_id);
      res.status(status).type('html').send(await renderView(screen, {
        title: TITLES[screen],
        uid: details.uid,
        csrfToken: csrf.generateCsrfToken(req, res, { overwrite: true }),
        clientName: client?.clientName ?? client?.clientId,
        scopes: String(details.params.scope ?? '').split(' ').filter(Boolean),
        connections: connections.map((id) => ({ id, label: CONNECTION_LABELS[id] })),
        email: '',
        notice: undefined,
        ...extra,
      }));
    },

    async requestContext(req: Request, clientId: unknown): Promise<RequestContext> {
      const client = await clientOf(clientId);
      return { ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512), client_id: String(clientId), client_name: client?.clientName };
    },

    /**
     * Ends the login step of the interaction. If a social identity waits to be linked to this very
     * account (the shopper was asked to prove they own it first), it is linked now. Then the
     * post-login steps run (rules, durable hooks); a rule may still refuse the sign-in.
     */
    async finishLogin(req: Request, res: Response, user: UserDoc, ctx: RequestContext, connection: string): Promise<void> {
      const uid = String(req.params.uid);
      const pending = await handshakes.takeFor(uid, 'pending_link');
      if (pending && pending.data.target_user_id === user.user_id) {
        await socialSignin.link(user, pending.data.profile as SocialProfile, pending.data.sealed as Identity['sealed_tokens'], ctx);
      }
      const outcome = await postLogin.run(user, { ...ctx, connection, uid });
      if (outcome.denied) {
        await provider().interactionFinished(req, res, { error: 'access_denied', error_description: outcome.denied }, { mergeWithLastSubmission: false });
        return;
      }
      await provider().interactionFinished(req, res, { login: { accountId: user.user_id }, postLogin: outcome }, { mergeWithLastSubmission: false });
    },
  };
}
