import { AsyncLocalStorage } from 'node:async_hooks';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { UserAgent } from '../support/user-agent.ts';

/**
 * The storefront's side: openid-client for the code flow (discovery, PKCE, the code exchange), and
 * the storefront backend's offline verification of every token it gets, with jose and the JWKS
 * (as examples/storefront does), fetched through the load balancer like everything else.
 */
export const STOREFRONT = {
  client_id: 'faults-storefront',
  client_secret: 'faults-storefront-secret-0123456789',
  redirect_uri: 'http://127.0.0.1:4999/callback',
};
export const SHOP_API = 'https://api.faults.example/';

export interface Step { at: number; method: string; path: string; status: number; upstream?: string; balancerError?: string; requestId?: number }

/** The steps of the sign-in being run (the token exchange is made by openid-client, outside our agent). */
const currentSteps = new AsyncLocalStorage<Step[]>();

export function traced<T>(steps: Step[], run: () => Promise<T>): Promise<T> {
  return currentSteps.run(steps, run);
}

function record(method: string, url: string, res: Response): void {
  currentSteps.getStore()?.push({
    at: Date.now(), method, path: new URL(url).pathname, status: res.status,
    upstream: res.headers.get('x-upstream') ?? undefined, balancerError: res.headers.get('x-balancer-error') ?? undefined,
    requestId: Number(res.headers.get('x-balancer-request')) || undefined,
  });
}

/** A shopper's browser: cookies, redirects by hand, what a browser sends, and its own client address. */
export class ShopperBrowser extends UserAgent {
  constructor(origin: string, ip: string) {
    super(origin, { 'x-forwarded-for': ip, accept: 'text/html,application/xhtml+xml', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) insole-faults/1.0' });
  }

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await super.request(url, init);
    record(init.method ?? 'GET', url, res);
    return res;
  }
}

export interface Storefront {
  config: oidc.Configuration;
  verify(tokens: { id_token?: string; access_token: string }): Promise<{ kid: string; sub: string; idToken: string }>;
}

export async function connectStorefront(issuer: string, { jwksCooldownMs = 1_000 } = {}): Promise<Storefront> {
  const config = await oidc.discovery(new URL(issuer), STOREFRONT.client_id, STOREFRONT.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  config[oidc.customFetch] = async (url, options) => {
    const res = await fetch(url, options as RequestInit);
    record(String(options.method ?? 'GET'), url, res);
    return res;
  };
  // A relying party's JWKS cache: refetched on an unknown kid, at most once per cooldown. The
  // cooldown must be shorter than insole's signing_keys.activate_after_seconds (README "Signing keys").
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!), { cooldownDuration: jwksCooldownMs });
  return {
    config,
    async verify({ id_token, access_token }) {
      if (!id_token) throw new Error('no ID token');
      const id = await jwtVerify(id_token, jwks, { issuer, audience: STOREFRONT.client_id, algorithms: ['RS256'] });
      const access = await jwtVerify(access_token, jwks, { issuer, audience: SHOP_API, algorithms: ['RS256'] });
      if (access.payload.sub !== id.payload.sub) throw new Error('the access token is for someone else');
      return { kid: String(decodeProtectedHeader(id_token).kid), sub: String(id.payload.sub), idToken: id_token };
    },
  };
}

export async function buildRequest(storefront: Storefront) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(storefront.config, {
    redirect_uri: STOREFRONT.redirect_uri, scope: 'openid email profile offline_access', audience: SHOP_API,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
  });
  return { url: url.href, verifier, state, nonce };
}

export function exchange(storefront: Storefront, callback: string, request: Awaited<ReturnType<typeof buildRequest>>) {
  return oidc.authorizationCodeGrant(storefront.config, new URL(callback), {
    pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
  });
}
