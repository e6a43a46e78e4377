import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeProvider, Expiring, HttpError, basicCredentials, bearerToken, consentPage, errorPage, randomToken, readForm, redirect, safeEqual, sendHtml, sendJson, withParams,
  type FakeOptionsBase,
} from './fake-common.ts';

/** Google's OpenID Connect userinfo claims (what /v3/userinfo returns, scope permitting). */
export interface GoogleAccount {
  sub: string;
  name: string;
  given_name: string;
  family_name: string;
  picture: string;
  email: string;
  email_verified: boolean;
  locale: string;
  /** Google Workspace domain, only for Workspace accounts. */
  hd?: string;
}

export const DEFAULT_GOOGLE_ACCOUNT: GoogleAccount = {
  sub: '109876543210987654321', name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace',
  picture: 'https://lh3.googleusercontent.com/a/ACg8ocFakeAdaLovelace=s96-c', email: 'ada.lovelace@gmail.com', email_verified: true, locale: 'en',
};

export interface FakeGoogleOptions extends FakeOptionsBase<GoogleAccount> {
  clientId: string;
  clientSecret: string;
  /** Google itself accepts 'email profile' without openid; insole always asks for openid, so by default this fake insists. */
  requireOpenidScope?: boolean;
}

interface Grant { clientId: string; redirectUri: string; scopes: string[]; state?: string; nonce?: string; account: GoogleAccount; challenge?: string; method?: string; offline: boolean }

const clientError = (status: number, error: string, description: string) => new HttpError(status, { error, error_description: description });

export class FakeGoogle extends FakeProvider<GoogleAccount> {
  readonly clientId: string;
  readonly clientSecret: string;
  requireOpenidScope: boolean;
  private readonly pending = new Expiring<Grant>(30 * 60_000);
  private readonly codes = new Expiring<Grant & { used?: boolean; accessToken?: string }>(10 * 60_000);
  private readonly tokens = new Expiring<{ account: GoogleAccount; scopes: string[] }>(3599_000);

  constructor(options: FakeGoogleOptions) {
    super(options.account ?? DEFAULT_GOOGLE_ACCOUNT, options.redirectUris, options.pathPrefix);
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret;
    this.requireOpenidScope = options.requireOpenidScope ?? true;
  }

  get endpoints() {
    return {
      authorizationURL: `${this.url}/o/oauth2/v2/auth`,
      tokenURL: `${this.url}/token`,
      userProfileURL: `${this.url}/v3/userinfo`,
    };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /o/oauth2/v2/auth') return this.authorize(res, url.searchParams);
    if (route === 'POST /o/oauth2/v2/auth/approve') return this.decide(res, await readForm(req));
    if (route === 'POST /token') return this.token(req, res);
    if (url.pathname === '/v3/userinfo' || url.pathname === '/v1/userinfo' || url.pathname === '/oauth2/v3/userinfo') return this.userinfo(req, res, url);
    errorPage(res, 404, 'Google', 'Error 404 (Not Found)', `${req.method} ${url.pathname} is not a Google endpoint.`);
  }

  private authorize(res: ServerResponse, q: URLSearchParams): void {
    const fail = (status: number, title: string, detail: string) => errorPage(res, status, 'Google', title, detail);
    if (q.get('client_id') !== this.clientId) return fail(401, 'Error 401: invalid_client', 'The OAuth client was not found.');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!this.redirectUris.has(redirectUri)) {
      return fail(400, 'Error 400: redirect_uri_mismatch', `redirect_uri=${redirectUri} is not registered for this client.`);
    }
    if (q.get('response_type') !== 'code') return fail(400, 'Error 400: unsupported_response_type', `response_type=${q.get('response_type')} (expected code).`);
    const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (!scopes.length) return fail(400, 'Error 400: invalid_request', 'Missing required parameter: scope');
    if (this.requireOpenidScope && !scopes.includes('openid')) return fail(400, 'Error 400: invalid_scope', 'The scope must include openid.');
    const method = q.get('code_challenge_method') ?? (q.get('code_challenge') ? 'plain' : undefined);
    if (method && method !== 'S256' && method !== 'plain') return fail(400, 'Error 400: invalid_request', 'Invalid code_challenge_method.');
    const id = randomToken('consent_');
    this.pending.set(id, {
      clientId: this.clientId, redirectUri, scopes, state: q.get('state') ?? undefined, nonce: q.get('nonce') ?? undefined, account: this.account,
      challenge: q.get('code_challenge') ?? undefined, method, offline: q.get('access_type') === 'offline',
    });
    const a = this.account;
    sendHtml(res, 200, consentPage({
      provider: 'Google', brand: '#1a73e8', accountLines: [a.name, a.email], clientLabel: new URL(redirectUri).host,
      permissions: scopes, action: `${this.pathPrefix}/o/oauth2/v2/auth/approve`, hidden: { consent: id },
    }));
  }

  private decide(res: ServerResponse, form: Record<string, string>): void {
    const grant = this.pending.take(form.consent);
    if (!grant) return errorPage(res, 400, 'Google', 'Error 400: invalid_request', 'This sign-in request expired or was already answered.');
    const state = { state: grant.state };
    if (form.decision !== 'allow') return redirect(res, withParams(grant.redirectUri, { error: 'access_denied', ...state }));
    const code = randomToken('4/0A');
    this.codes.set(code, grant);
    redirect(res, withParams(grant.redirectUri, { ...state, code, scope: grant.scopes.join(' '), authuser: '0', prompt: 'consent' }));
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    if (await this.degrade(res, 'token', ['text/html', '<h1>Error 500 (Server Error)</h1>'], ['application/json', '{"access_token": "ya29.'])) return;
    const basic = basicCredentials(req);
    const id = basic?.id ?? form.client_id;
    const secret = basic?.secret ?? form.client_secret;
    if (id !== this.clientId) throw clientError(401, 'invalid_client', 'The OAuth client was not found.');
    if (!secret || !safeEqual(secret, this.clientSecret)) throw clientError(401, 'invalid_client', 'Unauthorized');
    if (form.grant_type !== 'authorization_code') throw clientError(400, 'unsupported_grant_type', `Invalid grant_type: ${form.grant_type ?? ''}`);
    if (!form.code) throw clientError(400, 'invalid_request', 'Missing required parameter: code');
    const grant = this.codes.get(form.code);
    if (!grant || grant.clientId !== id) throw clientError(400, 'invalid_grant', 'Malformed auth code.');
    if (grant.used) {
      if (grant.accessToken) this.tokens.take(grant.accessToken); // RFC 6749 §4.1.2: revoke what the code gave
      throw clientError(400, 'invalid_grant', 'Bad Request');
    }
    grant.used = true;
    if (form.redirect_uri !== grant.redirectUri) throw clientError(400, 'redirect_uri_mismatch', 'Bad Request');
    if (grant.challenge) {
      const verifier = form.code_verifier ?? '';
      const computed = grant.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || computed !== grant.challenge) throw clientError(400, 'invalid_grant', 'Invalid code verifier.');
    } else if (form.code_verifier) throw clientError(400, 'invalid_grant', 'code_verifier or verifier is not needed.');
    const accessToken = randomToken('ya29.a0');
    grant.accessToken = accessToken;
    this.tokens.set(accessToken, { account: grant.account, scopes: grant.scopes });
    const body: Record<string, unknown> = { access_token: accessToken, expires_in: 3599, scope: grant.scopes.join(' '), token_type: 'Bearer' };
    if (grant.offline) body.refresh_token = randomToken('1//0g');
    if (grant.scopes.includes('openid')) body.id_token = this.idToken(grant);
    sendJson(res, 200, body);
  }

  /** Shaped like Google's (RS256 header, real claims) but not signed: passport never verifies it. */
  private idToken(grant: Grant): string {
    const a = grant.account;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { iss: 'https://accounts.google.com', azp: this.clientId, aud: this.clientId, sub: a.sub, iat: now, exp: now + 3600 };
    if (grant.scopes.includes('email')) Object.assign(claims, { email: a.email, email_verified: a.email_verified });
    if (grant.scopes.includes('profile')) Object.assign(claims, { name: a.name, picture: a.picture, given_name: a.given_name, family_name: a.family_name });
    if (a.hd) claims.hd = a.hd;
    if (grant.nonce) claims.nonce = grant.nonce;
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${part({ alg: 'RS256', kid: 'fake-google-key', typ: 'JWT' })}.${part(claims)}.${Buffer.from('not-a-real-signature').toString('base64url')}`;
  }

  private async userinfo(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (await this.degrade(res, 'profile', ['text/html', '<h1>Error 500 (Server Error)</h1>'], ['application/json', '<html>{"sub": </html>'])) return;
    const token = bearerToken(req) ?? url.searchParams.get('access_token') ?? undefined;
    const challenge = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' };
    if (!token) return sendJson(res, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' }, challenge);
    const grant = this.tokens.get(token);
    if (!grant) return sendJson(res, 401, { error: 'invalid_token', error_description: 'Invalid Credentials' }, challenge);
    const a = grant.account;
    const info: Record<string, unknown> = { sub: a.sub };
    if (grant.scopes.includes('profile')) Object.assign(info, { name: a.name, given_name: a.given_name, family_name: a.family_name, picture: a.picture, locale: a.locale });
    if (grant.scopes.includes('email')) Object.assign(info, { email: a.email, email_verified: a.email_verified });
    if (a.hd) info.hd = a.hd;
    sendJson(res, 200, info);
  }
}

export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  return new FakeGoogle(options).listen();
}
