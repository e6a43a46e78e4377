import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import type { RenderView } from '../http/views.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { databaseUnavailableGuard, unavailableDescription } from './database-unavailable.ts';
import { createFindAccount, SCOPE_CLAIMS } from './account.ts';
import { loadExistingGrant } from './first-party-grant.ts';
import { createMongoStorage } from './mongo-adapter.ts';
import { clientSecretsBox } from './client-secrets.ts';
import { accessTokenRuleClaims, createRuleClaimsStore, releaseRuleClaimsInIdTokens, rememberRuleClaims } from './rule-claims.ts';
import { CookieKeys } from './cookie-keys.ts';
import type { PrivateJwk } from './signing-keys.ts';
import { createResourceServerInfo, defaultResource } from './resource-servers.ts';
import { dashboardClient } from './dashboard-client.ts';
import { rolesOf, scopesOfRoles } from '../users/roles.ts';
import { createClientCors } from './client-cors.ts';
import { createApiTokenScope } from './api-token-scope.ts';
import { frameWebMessageOnlyForItsOrigin } from './web-message-framing.ts';
import { keepOpenerOfPopupSignIn } from './popup-opener-policy.ts';
import { interactionPolicyWithSelectAccount } from './select-account.ts';
import { includeSidInEveryIdToken } from './session-id-claim.ts';

// Auth0's endpoint paths, so Auth0 SDKs work unchanged (discovery advertises them).
export const ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  end_session: '/oidc/logout',
};

export interface ProviderDeps {
  config: Config;
  connection: Connection;
  users: UserRepository;
  signingKeys: PrivateJwk[];
  renderView: RenderView;
  /** Told of each request answered 503 because the database went away under it. */
  onDatabaseUnavailable: (err: Error) => void;
  /** How logout tokens go out (backchannel-logout.ts): insole's dispatcher and deadline. */
  fetch: NonNullable<Configuration['fetch']>;
  /** The dashboard's client secret (dashboard-client.ts); unset when the dashboard is off. */
  dashboardSecret?: string;
}

export function createProvider({ config, connection, users, signingKeys, renderView, onDatabaseUnavailable, fetch, dashboardSecret }: ProviderDeps): Provider {
  const apis = new Map(config.apis.map((api) => [api.identifier, api]));
  const { ttl } = config;
  const ruleClaims = createRuleClaimsStore(connection, Math.max(ttl.session, ttl.refresh_token));
  const storage = createMongoStorage(connection, clientSecretsBox(config));

  const configuration: Configuration = {
    adapter: storage.Adapter,
    clients: [
      ...config.clients.map(({ client_secret, ...client }) => (client_secret ? { ...client, client_secret } : client)),
      ...(dashboardSecret ? [dashboardClient(config, dashboardSecret)] : []),
    ],
    jwks: { keys: signingKeys },
    findAccount: createFindAccount(users),
    claims: SCOPE_CLAIMS,
    // Auth0 puts the profile claims in the ID token of the code flow too; storefronts rely on it.
    conformIdTokenClaims: false,
    routes: ROUTES,
    responseTypes: ['code'], // no implicit or hybrid flows (RFC 9700 §2.1.2)
    pkce: { required: () => true }, // every client, public or confidential (RFC 9700 §2.1.1)
    // Auth0's names: API audience, "show sign-up first", and the connection to go straight to.
    extraParams: ['audience', 'screen_hint', 'connection'],
    extraClientMetadata: { properties: ['first_party', 'grants', 'management_delegation'] },
    clientBasedCORS: createClientCors(config.issuer),
    cookies: {
      keys: new CookieKeys(config.secrets.cookie_keys),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    ttl: {
      AuthorizationCode: ttl.authorization_code,
      AccessToken: (_ctx, token) => (token.aud && apis.get(String(token.aud))?.access_token_ttl) || ttl.access_token,
      IdToken: ttl.id_token,
      RefreshToken: ttl.refresh_token,
      Session: ttl.session,
      Grant: ttl.refresh_token,
      Interaction: ttl.interaction,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.access_token,
    },
    rotateRefreshToken: true, // reuse of a rotated token revokes the whole grant (oidc-provider does it)
    // Auth0 issues refresh tokens for offline_access without forcing prompt=consent; here every
    // client allowed the refresh_token grant gets one.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    loadExistingGrant: async (ctx) => {
      await rememberRuleClaims(ctx, ruleClaims);
      return loadExistingGrant(ctx);
    },
    // Rules' `context.accessToken` claims (namespaced, Auth0-style) in the JWT access tokens of the sign-in.
    extraTokenClaims: (ctx, token) => accessTokenRuleClaims(ctx, token, ruleClaims),
    formats: { customizers: { jwt: createApiTokenScope([...apis.keys()]) } },
    interactions: { policy: interactionPolicyWithSelectAccount(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    fetch,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.body = await renderView('logout', { form, clientName: ctx.oidc.client?.clientName }); },
        postLogoutSuccessSource: async (ctx) => { ctx.body = await renderView('logged-out', { clientName: ctx.oidc.client?.clientName }); },
      },
      // Clients with a backchannel_logout_uri get a logout token when the session ends (OpenID
      // Connect Back-Channel Logout 1.0; README "Back-channel logout"); every client gets `sid`
      // in its ID tokens (session-id-claim.ts).
      backchannelLogout: { enabled: true },
      // auth0-spa-js's getTokenSilently without refresh tokens: prompt=none in a hidden iframe,
      // answered by postMessage to the redirect_uri's origin (framing: web-message-framing.ts).
      webMessageResponseMode: { enabled: true, ack: 'individual-draft-01' },
      resourceIndicators: {
        enabled: true,
        defaultResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: createResourceServerInfo(config, async (accountId) => {
          const user = await users.findByUserId(accountId);
          return user ? scopesOfRoles(rolesOf(user, config.dashboard), config.dashboard) : [];
        }),
      },
    },
    renderError: async (ctx: KoaContextWithOIDC, out, err) => {
      const shown = unavailableDescription(err) ?? { error: out.error, description: out.error_description };
      ctx.type = 'html';
      ctx.body = await renderView('error', { title: 'Something went wrong', ...shown });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  // Behind a TLS-terminating proxy, trust X-Forwarded-Proto for Secure cookies exactly when Express does.
  provider.proxy = config.trust_proxy !== false;
  // With `proxy` on, koa's ctx.ip is the left-most X-Forwarded-For entry, which the client writes
  // (TRUST_PROXY=1 or addresses are not understood). Express has already worked the address out
  // with trust_proxy: the sign-out log (slo) records that one, as every other log does.
  provider.use(async (ctx, next) => {
    const ip = (ctx.req as { ip?: string }).ip;
    if (ip) ctx.request.ip = ip;
    await next();
  });
  releaseRuleClaimsInIdTokens(provider, ruleClaims);
  includeSidInEveryIdToken(provider);
  provider.use(frameWebMessageOnlyForItsOrigin());
  provider.use(keepOpenerOfPopupSignIn());
  // Outermost, so a database lost while a request's held writes are sent is still a 503; then the
  // middleware that sends them once the route is done.
  provider.use(databaseUnavailableGuard(renderView, onDatabaseUnavailable));
  provider.use(storage.holdWrites);
  return provider;
}
