import * as oidc from 'openid-client';
import { STOREFRONT } from './insole.ts';
import { readForm, UserAgent } from './user-agent.ts';

/** The storefront's side of the protocol, done by openid-client (a certified RP library). */
export async function discoverStorefront(issuer: string, client = STOREFRONT) {
  return oidc.discovery(new URL(issuer), client.client_id, client.client_secret, undefined, {
    execute: [oidc.allowInsecureRequests], // loopback http in tests only
  });
}

export interface AuthorizationRequest {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

export async function buildAuthorization(config: oidc.Configuration, extra: Record<string, string> = {}): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: STOREFRONT.redirect_uri,
    scope: 'openid email profile offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state, nonce, ...extra,
  });
  return { url: url.href, verifier, state, nonce };
}

/**
 * Drives the hosted page like a shopper: opens the authorization URL, fills the sign-in (or sign-up)
 * form, and returns the callback URL insole redirected to.
 */
export async function completeAuthorization(issuer: string, request: AuthorizationRequest, credentials: { email: string; password: string }, screen: 'login' | 'signup' = 'login', agent = new UserAgent(issuer)) {
  const page = await agent.get(request.url);
  if (page.left) return { callback: page.left, agent }; // already signed in: no page shown
  let html = await page.res.text();
  if (screen === 'signup') {
    const signupLink = /href="(\/interaction\/[^"]+\/signup)"/.exec(html)?.[1];
    html = await (await agent.get(new URL(signupLink!, issuer).href)).res.text();
  }
  const form = readForm(html);
  const submitted = await agent.postForm(new URL(form.action, issuer).href, { ...credentials, _csrf: form.csrf });
  if (!submitted.left) {
    throw new Error(`sign-in did not complete (HTTP ${submitted.res.status}): ${(await submitted.res.text()).slice(0, 400)}`);
  }
  return { callback: submitted.left, agent };
}

export async function exchangeCode(config: oidc.Configuration, callback: string, request: AuthorizationRequest) {
  return oidc.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
  });
}

/** Sign up (or in) and get tokens, in one call, for tests that need a signed-in user. */
export async function signInForTokens(issuer: string, credentials: { email: string; password: string }, screen: 'login' | 'signup' = 'login', extra: Record<string, string> = {}) {
  const config = await discoverStorefront(issuer);
  const request = await buildAuthorization(config, extra);
  const { callback, agent } = await completeAuthorization(issuer, request, credentials, screen);
  const tokens = await exchangeCode(config, callback, request);
  return { config, tokens, agent };
}

export { oidc };
