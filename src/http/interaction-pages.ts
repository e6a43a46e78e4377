import type { NextFunction, Request, Response } from 'express';
import type { HandshakeStore } from '../auth/handshake.store.ts';
import { CONNECTION_LABELS } from '../auth/passport-setup.ts';
import type { SocialConnection, SocialProfile } from '../auth/profile-mapping.ts';
import type { SocialSigninService } from '../auth/social-signin.service.ts';
import type { Identity, UserDoc } from '../users/user.model.ts';
import type { RequestContext } from '../users/password-signin.service.ts';
import type { createCsrf } from './middleware/csrf.ts';
import { emailField } from './forms.ts';
import type { PostLogin } from '../hooks/post-login.ts';
import type { RenderView } from './views.ts';
import type { CurrentProvider } from '../oidc/live-provider.ts';
import type { PendingLinkCookie } from './pending-link-cookie.ts';
import type { PopupCookie } from './popup-cookie.ts';
import { isPopupSignIn, POPUP_OPENER_POLICY } from '../oidc/popup-opener-policy.ts';
import type { ResumeHere } from '../oidc/resume-here.ts';

/** The interaction as the route loaded it (oidc-provider checked its cookie and session). */
export type Interaction = Awaited<ReturnType<ReturnType<CurrentProvider>['interactionDetails']>>;
type InteractionDetails = Interaction;

/** What a blocked account's sign-in is told (a social one, or one blocked while it was being linked). */
export const ACCOUNT_BLOCKED = 'This account cannot sign in. Please contact the store.';

export type Screen = 'login' | 'signup' | 'consent' | 'social-email' | 'check-inbox' | 'email-step-expired';

/** The page an interaction opens on: consent when that is what it asks, else sign-in or (screen_hint) sign-up. */
export function firstScreenOf(interaction: Interaction): Screen {
  if (interaction.prompt.name === 'consent') return 'consent';
  return interaction.params.screen_hint === 'signup' ? 'signup' : 'login';
}

/**
 * The email a sign-in or sign-up form starts with: the request's `login_hint` (OpenID Connect Core
 * §3.1.2.1; Auth0's Universal Login fills it in too) when it is an email, as the form would take it.
 */
function hintedEmail(screen: Screen, interaction: Interaction): string {
  if (screen !== 'login' && screen !== 'signup') return '';
  const hint = emailField.safeParse(interaction.params.login_hint);
  return hint.success ? hint.data : '';
}

const TITLES: Record<Screen, string> = {
  login: 'Sign in', signup: 'Create your account', consent: 'Allow access', 'social-email': 'One more step', 'check-inbox': 'Check your inbox',
  'email-step-expired': 'This step has expired',
};

export interface InteractionPagesDeps {
  provider: CurrentProvider;
  renderView: RenderView;
  csrf: ReturnType<typeof createCsrf>;
  connections: SocialConnection[];
  handshakes: HandshakeStore;
  socialSignin: SocialSigninService;
  postLogin: PostLogin;
  pendingLink: PendingLinkCookie;
  /** Tells a popup sign-in's pages once its interaction is gone (popup-cookie.ts). */
  popupCookie: PopupCookie;
  /** Finishes the interaction and answers with its resume (src/oidc/resume-here.ts). */
  resume: ResumeHere;
}

export type InteractionPages = ReturnType<typeof createInteractionPages>;

/** What every hosted page of an interaction shares: rendering with brand, CSRF and connections, and finishing the login. */
export function createInteractionPages({ provider, renderView, csrf, connections, handshakes, socialSignin, postLogin, pendingLink, popupCookie, resume }: InteractionPagesDeps) {
  async function clientOf(clientId: unknown) {
    return provider().Client.find(String(clientId));
  }

  /** A page of the interaction, with a fresh CSRF token for its form (set as a cookie on `res`). */
  async function render(req: Request, res: Response, screen: Screen, details: InteractionDetails, extra: Record<string, unknown> = {}): Promise<string> {
    const client = await clientOf(details.params.client_id);
    return renderView(screen, {
      title: TITLES[screen],
      uid: details.uid,
      csrfToken: csrf.generateCsrfToken(req, res),
      clientName: client?.clientName ?? client?.clientId,
      scopes: String(details.params.scope ?? '').split(' ').filter(Boolean),
      connections: connections.map((id) => ({ id, label: CONNECTION_LABELS[id] })),
      email: hintedEmail(screen, details),
      notice: undefined,
      ...extra,
    });
  }

  /** Whether the interaction is a popup sign-in's (loginWithPopup(); popup-opener-policy.ts). */
  async function isPopup(interaction: Pick<Interaction, 'params'>): Promise<boolean> {
    if (interaction.params.response_mode !== 'web_message') return false; // no client look-up on an ordinary sign-in's pages
    return isPopupSignIn(interaction.params, await clientOf(interaction.params.client_id));
  }

  /** A popup sign-in's pages, redirects and errors keep their opener (popup-opener-policy.ts); the others keep helmet's `same-origin`. */
  async function keepOpenerOfPopup(res: Response, interaction: Pick<Interaction, 'params'>): Promise<void> {
    if (await isPopup(interaction)) res.setHeader('Cross-Origin-Opener-Policy', POPUP_OPENER_POLICY);
  }

  /**
   * The interaction of the route's `:uid`, which oidc-provider checks belongs to this browser (its
   * cookie). One that is over (SessionNotFound) notes whether it was a popup's, whose page saying so tells the app (popup-cookie.ts).
   */
  async function load(req: Request, res: Response): Promise<InteractionDetails> {
    const details = await provider().interactionDetails(req, res).catch((err: unknown) => {
      if ((err as { name?: unknown })?.name === 'SessionNotFound') popupCookie.over(req, res);
      throw err;
    });
    await keepOpenerOfPopup(res, details);
    return details;
  }

  function withPopupPolicy(check: (req: Request, res: Response, next: NextFunction) => void) {
    return (req: Request, res: Response, next: NextFunction): void => check(req, res, (refused?: unknown) => {
      if (!refused) return next();
      load(req, res).then(() => next(refused), () => next(refused));
    });
  }

  /** `loaded`: the interaction, when the caller has already read it (saves a database read). */
  async function show(req: Request, res: Response, screen: Screen, extra: Record<string, unknown> = {}, status = 200, loaded?: InteractionDetails): Promise<void> {
    const details = loaded ?? await load(req, res);
    res.status(status).type('html').send(await render(req, res, screen, details, extra));
  }

  return {
    load,
    isPopup,
    keepOpenerOfPopup,

    /**
     * The CSRF check (middleware/csrf.ts) of the interaction's forms. A refusal inside a popup sign-in
     * answers with the popup's policy, as its pages do: a `same-origin` error page severs the popup
     * from the app for good. The interaction is read only then, one read per refusal; one that
     * cannot be read (over, another browser's) leaves the refusal `same-origin`.
     */
    checkCsrf: withPopupPolicy(csrf.doubleCsrfProtection),

    /** checkCsrf for the sign-in and sign-up forms, where a form left stale by a page loaded at the same time is shown again (`reshow`; csrf.ts). */
    checkFormCsrf: (reshow: (req: Request, res: Response) => Promise<void>) => withPopupPolicy(csrf.interactionFormProtection(reshow)),

    show,

    /**
     * The first page of a sign-in, answered by `/authorize` itself (sign-in-page-at-authorize.ts).
     * Its form's CSRF token is bound to the interaction as on the interaction's own URL, where the
     * token's binding reads the uid from the route's parameters.
     */
    async firstPage(req: Request, res: Response, interaction: InteractionDetails): Promise<string> {
      req.params = { ...req.params, uid: interaction.uid };
      return render(req, res, firstScreenOf(interaction), interaction);
    },

    /** The shopper is asked to sign in to link a social identity waiting under this interaction. */
    offerLink(res: Response, uid: string): void {
      pendingLink.offered(res, uid);
    },

    linkOffered(req: Request, uid: string): boolean {
      return pendingLink.wasOffered(req, uid);
    },

    async requestContext(req: Request, clientId: unknown): Promise<RequestContext> {
      const client = await clientOf(clientId);
      return { ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512), client_id: String(clientId), client_name: client?.clientName };
    },

    /**
     * Ends the login step of the interaction. If a social identity waits to be linked to this very
     * account (the shopper was asked to prove they own it first), it is linked now. Then the
     * post-login steps run (rules, durable hooks); a rule may still refuse the sign-in. The answer is
     * the authorization request's resume, in this same request: the redirect to the client with the
     * code (or the error a rule gave), or the next prompt's page.
     */
    async finishLogin(req: Request, res: Response, interaction: Interaction, user: UserDoc, ctx: RequestContext, connection: string): Promise<void> {
      const { uid } = interaction;
      const pending = pendingLink.wasOffered(req, uid) ? await handshakes.takeFor(uid, 'pending_link') : null;
      if (pending && pending.data.target_user_id === user.user_id) {
        const linked = await socialSignin.link(user, pending.data.profile as SocialProfile, pending.data.sealed as Identity['sealed_tokens'], ctx);
        if (!linked) return show(req, res, 'login', { error: ACCOUNT_BLOCKED }, 403, interaction); // blocked since its sign-in was checked
      }
      const outcome = await postLogin.run(user, { ...ctx, connection, uid, query: interaction.params });
      if (outcome.denied) return resume(req, res, interaction, { error: 'access_denied', error_description: outcome.denied });
      await resume(req, res, interaction, { login: { accountId: user.user_id }, postLogin: outcome });
    },
  };
}
