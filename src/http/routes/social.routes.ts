import { Router, type Request, type Response } from 'express';
import type { HandshakeStore } from '../../auth/handshake.store.ts';
import { CONNECTION_LABELS } from '../../auth/passport-setup.ts';
import type { SocialProfile, SocialConnection } from '../../auth/profile-mapping.ts';
import type { SocialCallbacks } from '../../auth/social-callback.ts';
import type { SocialSigninService } from '../../auth/social-signin.service.ts';
import { NotFoundError } from '../../errors/app-error.ts';
import type { CallbackCookie } from '../callback-cookie.ts';
import type { Interaction, InteractionPages } from '../interaction-pages.ts';
import { signInExpired, type Sealed, type SocialOutcomePages } from '../social-outcome-pages.ts';
import { runStrategy, type Authenticator } from './run-strategy.ts';
import type { CurrentProvider } from '../../oidc/live-provider.ts';
import { socialPrompt } from '../../oidc/select-account.ts';

interface Deps {
  provider: CurrentProvider;
  passport: Authenticator;
  connections: SocialConnection[];
  handshakes: HandshakeStore;
  socialSignin: SocialSigninService;
  socialCallbacks: SocialCallbacks;
  callbackCookie: CallbackCookie;
  pages: InteractionPages;
  outcomes: SocialOutcomePages;
  timeoutMs: number;
}

/**
 * Social sign-in inside an OIDC interaction: /interaction/:uid/connect/:connection goes to the
 * provider; the provider returns to the fixed /login/callback/:connection (what operators register),
 * which hands the outcome back to the interaction's own URL, where the interaction cookie proves
 * the browser that finishes is the one that started.
 */
export function socialRoutes(deps: Deps): Router {
  const { provider, passport, connections, handshakes, socialSignin, socialCallbacks, callbackCookie, pages, outcomes, timeoutMs } = deps;
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
    throw signInExpired();
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
    if (!interaction) throw signInExpired();
    return handBack(res, interaction, connection, socialCallbacks.resultOf(connection, outcome));
  });

  router.get('/interaction/:uid/social/:result', async (req, res) => {
    const details = await pages.load(req, res);
    const record = await handshakes.take(String(req.params.result), 'result', details.uid);
    if (!record) return outcomes.showAgain(req, res, details);
    const connection = record.connection as SocialConnection;
    const ctx = await pages.requestContext(req, details.params.client_id);
    if (record.data.error) {
      await socialSignin.recordFailure(connection, String(record.data.reason ?? record.data.error), ctx);
      return pages.show(req, res, 'login', { error: record.data.error }, 400);
    }
    const profile = record.data.profile as SocialProfile;
    const sealed = record.data.sealed as Sealed;
    return outcomes.respond(req, res, details, connection, profile, sealed, await socialSignin.complete(profile, sealed, ctx), ctx);
  });

  return router;
}
