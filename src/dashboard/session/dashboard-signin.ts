import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import type { Config } from '../../config/schema.ts';
import { AppError } from '../../errors/app-error.ts';
import { managementAudience } from '../../admin/management-api.ts';
import { dashboardClient } from '../../oidc/dashboard-client.ts';
import type { DashboardSession, SignInFlow } from './session-cookie.ts';

export type DashboardSignIn = ReturnType<typeof createDashboardSignIn>;

/** The callback did not complete a sign-in: a code used, expired or made up, or a response that fails a check. */
export class SignInRefusedError extends AppError {
  constructor(cause: unknown) { super('sign_in_refused', 400, 'This sign-in could not be completed: its code was already used, has expired, or was not issued for it.', { cause }); }
}

/**
 * The token endpoint refused the dashboard's own client (RFC 6749 §5.2 `invalid_client`): the secret
 * this instance holds is not the one the answering instance registered (a secret replaced by
 * `keys dashboard-secret` while older instances still serve). Nothing the admin did: a server fault,
 * told to the operator in the log and to the admin plainly, never as an expired code.
 */
export class DashboardClientRefusedError extends AppError {
  readonly tokenEndpointSaid: string;
  /** What the operator reads in the log, after what failed (a sign-in's callback, a session's renewal). */
  static readonly forTheOperator = 'the token endpoint refused the dashboard client (insole-dashboard): the instance answering it holds another dashboard client secret (dashboard_client) than this one; restart the instances started before it was last replaced (README "Replacing the dashboard\'s client secret")';
  constructor(tokenEndpointSaid: string, cause: unknown) {
    super('dashboard_client_refused', 500, 'The dashboard could not sign you in: insole refused the dashboard\'s own client credentials. This is a server configuration problem, not something you did; the operator has been told in the server log. Try again in a few minutes.', { cause });
    this.tokenEndpointSaid = tokenEndpointSaid;
  }
}

/**
 * What the token endpoint said refusing the client, if it did: in the WWW-Authenticate challenge of
 * its 401 when the client authenticated by HTTP Basic (§5.2; oidc-provider answers so), else in the body.
 */
function clientRefusal(err: unknown): string | undefined {
  const said = ({ error, error_description }: { error?: string; error_description?: string }) =>
    error === 'invalid_client' ? `${error}${error_description ? `: ${error_description}` : ''}`.slice(0, 300) : undefined;
  if (err instanceof oidc.WWWAuthenticateChallengeError) return err.cause.map((challenge) => said(challenge.parameters)).find(Boolean);
  return err instanceof oidc.ResponseBodyError ? said(err) : undefined;
}

function clientRefusedError(err: unknown): DashboardClientRefusedError | undefined {
  const refusal = clientRefusal(err);
  return refusal ? new DashboardClientRefusedError(refusal, err) : undefined;
}

// openid-client's codes for a callback (or the token answer to its code) that fails a check, as
// opposed to insole being unreachable or answering nonsense, which stays a server error.
const REFUSED_CALLBACK = new Set(['OAUTH_INVALID_RESPONSE', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED']);
const isRefusedCallback = (err: unknown) => err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError
  || (err instanceof oidc.ClientError && REFUSED_CALLBACK.has(String(err.code)));

/** Where a sign-in may return to: a dashboard page of this server, never another origin (no open redirect). */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/admin(?:[/?#]|$)/.test(value) && !/[\\\s]|\/\//.test(value) && value.length <= 1000 ? value : '/admin';
}

/** Who an ID token names, as the pages show them: a name cut to 100 characters, so any profile fits the session cookie. */
function whoOf(idToken: string): DashboardSession['who'] {
  const { sub, email, name } = decodeJwt(idToken);
  return {
    sub: String(sub),
    ...(typeof email === 'string' ? { email: email.slice(0, 320) } : {}),
    ...(typeof name === 'string' ? { name: [...name].slice(0, 100).join('') } : {}),
  };
}

/** insole's session the ID token was issued in (its `sid`, sent to clients with a back-channel logout URI). */
function insoleSidOf(idToken: string | undefined): string | undefined {
  const sid = idToken ? decodeJwt(idToken).sid : undefined;
  return typeof sid === 'string' && sid.length <= 200 ? sid : undefined;
}

/**
 * The dashboard as a relying party of insole (its built-in client insole-dashboard), with
 * openid-client as any RP would: discovery of ISSUER over HTTP, authorization code + PKCE S256,
 * state and nonce, the client secret by HTTP Basic, RP-initiated logout with id_token_hint. It
 * asks for every scope a role can give; insole cuts the token down to the user's roles.
 */
export function createDashboardSignIn(config: Config, secret: string) {
  const client = dashboardClient(config, secret);
  const audience = managementAudience(config.issuer);
  const scopes = [...new Set(Object.values(config.dashboard.roles).flat())];
  let discovered: Promise<oidc.Configuration> | undefined;

  /** Discovered on first use (the server is listening by then) and kept; a failure is retried next time. */
  function configuration(): Promise<oidc.Configuration> {
    discovered ??= oidc.discovery(new URL(config.issuer), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret), {
      // Development and tests run on http://localhost; production insists on an https issuer (config check).
      execute: config.issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
    }).catch((err: unknown) => {
      discovered = undefined;
      throw err;
    });
    return discovered;
  }

  function toSession(tokens: oidc.TokenEndpointResponse, previous?: DashboardSession): DashboardSession {
    const now = Math.floor(Date.now() / 1000);
    const exp = decodeJwt(tokens.access_token).exp ?? now + (tokens.expires_in ?? 0);
    const idToken = tokens.id_token ?? previous?.id_token;
    const insoleSid = insoleSidOf(tokens.id_token) ?? previous?.insole_sid;
    return {
      sid: previous?.sid ?? randomBytes(16).toString('base64url'),
      ...(insoleSid ? { insole_sid: insoleSid } : {}),
      signed_in_at: previous ? previous.signed_in_at ?? 0 : now,
      access_token: tokens.access_token,
      who: tokens.id_token ? whoOf(tokens.id_token) : previous!.who,
      ...(idToken ? { id_token: idToken } : {}),
      ...(tokens.refresh_token ?? previous?.refresh_token ? { refresh_token: tokens.refresh_token ?? previous!.refresh_token } : {}),
      expires_at: exp,
    };
  }

  return {
    async start(returnTo: string): Promise<{ url: string; flow: SignInFlow }> {
      const flow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), return_to: safeReturnTo(returnTo), started_at: Date.now() };
      const url = oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: client.redirect_uris[0], response_type: 'code', scope: ['openid', 'profile', 'email', ...scopes].join(' '), audience,
        code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier), code_challenge_method: 'S256', state: flow.state, nonce: flow.nonce,
      });
      return { url: url.href, flow };
    },

    /** The callback: the code for tokens, every check done by openid-client. A new session (new sid): rotated at sign-in. */
    async finish(callbackUrl: URL, flow: SignInFlow): Promise<DashboardSession> {
      const tokens = await oidc.authorizationCodeGrant(await configuration(), callbackUrl, {
        pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true,
      }).catch((err: unknown) => {
        throw clientRefusedError(err) ?? (isRefusedCallback(err) ? new SignInRefusedError(err) : err);
      });
      return toSession(tokens);
    },

    /** A fresh access token from the refresh token (which rotates: the new one replaces it). */
    async refresh(session: DashboardSession): Promise<DashboardSession> {
      if (!session.refresh_token) throw new Error('no refresh token');
      const tokens = await oidc.refreshTokenGrant(await configuration(), session.refresh_token, { audience }).catch((err: unknown) => {
        throw clientRefusedError(err) ?? err;
      });
      return toSession(tokens, session);
    },

    /**
     * At sign-out: the refresh token revoked (RFC 7009), which oidc-provider follows by revoking its
     * grant, so no copy of the session renews. The access token is a JWT (resource-servers.ts), which
     * no revocation recalls (oidc-provider answers unsupported_token_type, RFC 7009 §2.2.1): it holds
     * at the Management API until it expires (ttl.access_token); the dashboard refuses the session itself.
     */
    async revoke(session: DashboardSession): Promise<void> {
      if (session.refresh_token) await oidc.tokenRevocation(await configuration(), session.refresh_token, { token_type_hint: 'refresh_token' });
    },

    async logoutUrl(session: DashboardSession | undefined): Promise<string> {
      return oidc.buildEndSessionUrl(await configuration(), {
        post_logout_redirect_uri: client.post_logout_redirect_uris[0],
        ...(session?.id_token ? { id_token_hint: session.id_token } : { client_id: client.client_id }),
      }).href;
    },
  };
}
