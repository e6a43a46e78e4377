import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeProvider, Expiring, HttpError, consentPage, errorPage, randomToken, readBody, readForm, redirect, send, sendHtml, withParams,
  type FakeOptionsBase,
} from './fake-common.ts';
import { readSignedRequest, signatureMatches, type SignedRequest } from './oauth1-signature.ts';

/** A Twitter (X) user as API v1.1 describes it. */
export interface TwitterAccount {
  /** 64-bit ids exceed 2^53: served as a JSON number literal (`id`) and as a string (`id_str`). */
  id_str: string;
  name: string;
  screen_name: string;
  location: string;
  description: string;
  profile_image_url_https: string;
  /** Returned by verify_credentials only with include_email=true; many accounts have none. */
  email?: string;
  created_at?: string;
}

export const DEFAULT_TWITTER_ACCOUNT: TwitterAccount = {
  id_str: '1456789012345678901', name: 'Alan Turing', screen_name: 'alan_turing', location: 'Manchester, England',
  description: 'Computable numbers, mostly.', profile_image_url_https: 'https://pbs.twimg.com/profile_images/1456789012345678901/AbCdEf_normal.jpg',
  email: 'alan.turing@example.com', created_at: 'Wed Nov 03 12:00:00 +0000 2021',
};

export interface FakeTwitterOptions extends FakeOptionsBase<TwitterAccount> {
  consumerKey: string;
  consumerSecret: string;
  /** How far oauth_timestamp may be from the fake's clock. Default 300 s. */
  timestampSkewSeconds?: number;
}

interface RequestToken { secret: string; callback: string; verifier?: string; account?: TwitterAccount }

const twitterError = (status: number, code: number, message: string) => new HttpError(status, { errors: [{ code, message }] });
const couldNotAuthenticate = () => twitterError(401, 32, 'Could not authenticate you.');
const FORM_TYPE = 'text/html; charset=utf-8'; // what api.twitter.com labels its form-encoded token responses

export class FakeTwitter extends FakeProvider<TwitterAccount> {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  timestampSkewSeconds: number;
  private readonly requestTokens = new Expiring<RequestToken>(15 * 60_000);
  private readonly accessTokens = new Map<string, { secret: string; account: TwitterAccount }>();
  private readonly nonces = new Expiring<true>(30 * 60_000);

  constructor(options: FakeTwitterOptions) {
    super(options.account ?? DEFAULT_TWITTER_ACCOUNT, options.redirectUris, options.pathPrefix);
    this.consumerKey = options.consumerKey;
    this.consumerSecret = options.consumerSecret;
    this.timestampSkewSeconds = options.timestampSkewSeconds ?? 300;
  }

  get endpoints() {
    return {
      requestTokenURL: `${this.url}/oauth/request_token`,
      userAuthorizationURL: `${this.url}/oauth/authenticate`,
      accessTokenURL: `${this.url}/oauth/access_token`,
      userProfileURL: `${this.url}/1.1/account/verify_credentials.json`,
    };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /oauth/request_token') return this.requestToken(req, res);
    if (route === 'GET /oauth/authenticate' || route === 'GET /oauth/authorize') return this.authorizePage(res, url.searchParams.get('oauth_token'));
    if (route === 'POST /oauth/authenticate/approve') return this.decide(res, await readForm(req));
    if (route === 'POST /oauth/access_token') return this.accessToken(req, res);
    if (route === 'GET /1.1/account/verify_credentials.json') return this.verifyCredentials(req, res, url.searchParams);
    throw twitterError(404, 34, 'Sorry, that page does not exist.');
  }

  /** Parses and checks everything but the signature, which needs the token secret. */
  private async signed(req: IncomingMessage, kind: 'token' | 'profile', res: ServerResponse): Promise<SignedRequest | undefined> {
    const body = await readBody(req);
    if (await this.degrade(res, kind, ['application/json', '{"errors":[{"message":"Internal error","code":131}]}'], ['text/html', '<<<>>> ¿¿ not = a & response'])) return undefined;
    let signed: SignedRequest;
    try {
      signed = readSignedRequest(req, body);
    } catch {
      throw twitterError(400, 215, 'Bad Authentication data.');
    }
    const o = signed.oauth;
    if (!o.oauth_consumer_key || !o.oauth_signature || !o.oauth_nonce || !o.oauth_timestamp) throw twitterError(400, 215, 'Bad Authentication data.');
    if (o.oauth_consumer_key !== this.consumerKey || o.oauth_signature_method !== 'HMAC-SHA1') throw couldNotAuthenticate();
    // RFC 5849 wants '1.0'; Twitter also took node-oauth's '1.0A' (its README's Twitter example).
    if (o.oauth_version !== undefined && !/^1\.0a?$/i.test(o.oauth_version)) throw couldNotAuthenticate();
    if (Math.abs(Number(o.oauth_timestamp) - Date.now() / 1000) > this.timestampSkewSeconds) throw twitterError(401, 135, 'Timestamp out of bounds.');
    const nonceKey = `${o.oauth_timestamp}:${o.oauth_nonce}:${o.oauth_token ?? ''}`;
    if (this.nonces.get(nonceKey)) throw couldNotAuthenticate();
    this.nonces.set(nonceKey, true);
    return signed;
  }

  private async requestToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signed = await this.signed(req, 'token', res);
    if (!signed) return;
    if (!signatureMatches(signed, this.consumerSecret)) throw couldNotAuthenticate();
    const callback = signed.oauth.oauth_callback;
    if (!callback) throw twitterError(400, 215, 'oauth_callback is required.');
    if (!this.redirectUris.has(callback)) {
      throw twitterError(403, 415, 'Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings');
    }
    const token = randomToken('', 24);
    const secret = randomToken('', 24);
    this.requestTokens.set(token, { secret, callback });
    send(res, 200, new URLSearchParams({ oauth_token: token, oauth_token_secret: secret, oauth_callback_confirmed: 'true' }).toString(), FORM_TYPE);
  }

  private authorizePage(res: ServerResponse, token: string | null): void {
    const pending = this.requestTokens.get(token ?? undefined);
    if (!token || !pending || pending.verifier) {
      return errorPage(res, 403, 'X (Twitter)', 'This page is no longer valid.', 'It looks like someone already used the token information you provided.');
    }
    const a = this.account;
    sendHtml(res, 200, consentPage({
      provider: 'X (Twitter)', brand: '#0f1419', accountLines: [a.name, `@${a.screen_name}`], clientLabel: new URL(pending.callback).host,
      permissions: ['Read your profile information', ...(a.email ? ['See your email address'] : [])],
      action: `${this.pathPrefix}/oauth/authenticate/approve`, hidden: { oauth_token: token },
    }));
  }

  private decide(res: ServerResponse, form: Record<string, string>): void {
    const token = form.oauth_token;
    const pending = this.requestTokens.get(token);
    if (!token || !pending || pending.verifier) return errorPage(res, 403, 'X (Twitter)', 'This page is no longer valid.', 'The request token was already used.');
    if (form.decision !== 'allow') {
      this.requestTokens.take(token);
      return redirect(res, withParams(pending.callback, { denied: token }));
    }
    pending.verifier = randomToken('', 24);
    pending.account = this.account;
    redirect(res, withParams(pending.callback, { oauth_token: token, oauth_verifier: pending.verifier }));
  }

  private async accessToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const signed = await this.signed(req, 'token', res);
    if (!signed) return;
    const pending = this.requestTokens.get(signed.oauth.oauth_token);
    if (!pending) throw twitterError(401, 89, 'Invalid or expired token.');
    if (!signatureMatches(signed, this.consumerSecret, pending.secret)) throw couldNotAuthenticate();
    if (!pending.verifier || !pending.account || signed.oauth.oauth_verifier !== pending.verifier) {
      throw new HttpError(401, 'Error processing your OAuth request: Invalid oauth_verifier parameter', 'text/plain; charset=utf-8');
    }
    this.requestTokens.take(signed.oauth.oauth_token);
    const account = pending.account;
    const token = `${account.id_str}-${randomToken('', 24)}`;
    const secret = randomToken('', 30);
    this.accessTokens.set(token, { secret, account });
    const body = new URLSearchParams({ oauth_token: token, oauth_token_secret: secret, user_id: account.id_str, screen_name: account.screen_name });
    send(res, 200, body.toString(), FORM_TYPE);
  }

  private async verifyCredentials(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const signed = await this.signed(req, 'profile', res);
    if (!signed) return;
    const granted = this.accessTokens.get(signed.oauth.oauth_token ?? '');
    if (!granted) throw twitterError(401, 89, 'Invalid or expired token.');
    if (!signatureMatches(signed, this.consumerSecret, granted.secret)) throw couldNotAuthenticate();
    const a = granted.account;
    const user: Record<string, unknown> = {
      id: '@@ID@@', id_str: a.id_str, name: a.name, screen_name: a.screen_name, location: a.location, description: a.description,
      url: null, protected: false, followers_count: 42, friends_count: 17, listed_count: 0, created_at: a.created_at ?? 'Wed Nov 03 12:00:00 +0000 2021',
      favourites_count: 3, verified: false, statuses_count: 12, lang: null,
      profile_image_url: a.profile_image_url_https.replace(/^https:/, 'http:'), profile_image_url_https: a.profile_image_url_https,
      default_profile: true, default_profile_image: false,
    };
    if (q.get('include_email') === 'true' && a.email) user.email = a.email;
    // JSON.stringify cannot write a 64-bit integer literal; Twitter's JSON has one.
    const json = JSON.stringify(user).replace('"@@ID@@"', /^\d+$/.test(a.id_str) ? a.id_str : JSON.stringify(a.id_str));
    send(res, 200, json, 'application/json; charset=utf-8', { 'x-access-level': 'read' });
  }
}

export async function startFakeTwitter(options: FakeTwitterOptions): Promise<FakeTwitter> {
  return new FakeTwitter(options).listen();
}
