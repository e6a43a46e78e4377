import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  FakeProvider, Expiring, HttpError, bearerToken, consentPage, errorPage, randomToken, readForm, redirect, safeEqual, sendHtml, sendJson, withParams,
  type FakeOptionsBase,
} from './fake-common.ts';

/** A Facebook user as the Graph API knows it. Optional fields are omitted from /me when unset. */
export interface FacebookAccount {
  id: string;
  name: string;
  first_name: string;
  last_name: string;
  middle_name?: string;
  /** Absent for accounts registered with a phone number. Graph never says whether it is verified. */
  email?: string;
  /** Served as picture: { data: { height, is_silhouette, url, width } }. */
  picture?: string;
  /** MM/DD/YYYY, as Graph returns it. */
  birthday?: string;
  gender?: string;
  location?: { id: string; name: string };
  likes?: { id: string; name: string; category: string; created_time?: string }[];
}

export const DEFAULT_FACEBOOK_ACCOUNT: FacebookAccount = {
  id: '10228123456789012', name: 'Grace Hopper', first_name: 'Grace', last_name: 'Hopper', email: 'grace.hopper@example.com',
  picture: 'https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10228123456789012&height=200&width=200&ext=1700000000&hash=AbFake',
  birthday: '08/14/1991', gender: 'female', location: { id: '108424279189115', name: 'New York, New York' },
  likes: [
    { id: '40796308305', name: 'Coca-Cola', category: 'Food & beverage', created_time: '2021-03-02T10:11:12+0000' },
    { id: '15087023444', name: 'Nike', category: 'Sportswear store', created_time: '2020-11-20T08:00:00+0000' },
  ],
};

export interface FakeFacebookOptions extends FakeOptionsBase<FacebookAccount> {
  appId: string;
  appSecret: string;
  /** Path prefix of every endpoint; any /vNN.N/ is accepted, this one is used in `endpoints`. */
  graphVersion?: string;
  /** "Require App Secret Proof for Server API calls" (insole sets enableProof). Default true. */
  requireAppSecretProof?: boolean;
  /** Omit fields whose permission was not granted (email, user_birthday, …), like Graph. Default true. */
  enforcePermissions?: boolean;
}

/** Fields anyone may read with public_profile, and the permission the others need. */
const PUBLIC_FIELDS = new Set(['id', 'name', 'first_name', 'last_name', 'middle_name', 'short_name', 'picture']);
const FIELD_PERMISSION: Record<string, string> = { email: 'email', birthday: 'user_birthday', gender: 'user_gender', location: 'user_location', likes: 'user_likes' };

interface Grant { redirectUri: string; permissions: string[]; state?: string; account: FacebookAccount }

function graphError(message: string, code: number, extra: Record<string, unknown> = {}, type = 'OAuthException', status = 400): HttpError {
  return new HttpError(status, { error: { message, type, code, ...extra, fbtrace_id: randomToken('A', 9) } });
}

export class FakeFacebook extends FakeProvider<FacebookAccount> {
  readonly appId: string;
  readonly appSecret: string;
  readonly graphVersion: string;
  requireAppSecretProof: boolean;
  enforcePermissions: boolean;
  private readonly pending = new Expiring<Grant>(30 * 60_000);
  private readonly codes = new Expiring<Grant & { used?: boolean }>(10 * 60_000);
  private readonly tokens = new Expiring<Grant>(60 * 24 * 3600_000);

  constructor(options: FakeFacebookOptions) {
    super(options.account ?? DEFAULT_FACEBOOK_ACCOUNT, options.redirectUris, options.pathPrefix);
    this.appId = options.appId;
    this.appSecret = options.appSecret;
    this.graphVersion = options.graphVersion ?? 'v19.0';
    this.requireAppSecretProof = options.requireAppSecretProof ?? true;
    this.enforcePermissions = options.enforcePermissions ?? true;
  }

  get endpoints() {
    const base = `${this.url}/${this.graphVersion}`;
    return { authorizationURL: `${base}/dialog/oauth`, tokenURL: `${base}/oauth/access_token`, profileURL: `${base}/me` };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    if (req.method === 'GET' && path === '/dialog/oauth') return this.dialog(res, url.searchParams);
    if (req.method === 'POST' && path === '/dialog/oauth/approve') return this.decide(res, await readForm(req));
    if (path === '/oauth/access_token') return this.token(res, { ...Object.fromEntries(url.searchParams), ...await readForm(req) });
    if (req.method === 'GET' && path === '/me') return this.me(req, res, url.searchParams);
    throw graphError('Unknown path components: ' + url.pathname, 2500);
  }

  private dialog(res: ServerResponse, q: URLSearchParams): void {
    if (q.get('client_id') !== this.appId) return errorPage(res, 400, 'Facebook', 'Invalid App ID', 'The provided app ID does not look like a valid app ID.');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!this.redirectUris.has(redirectUri)) {
      return errorPage(res, 400, 'Facebook', 'URL blocked', "This redirect failed because the redirect URI is not white-listed in the app's client OAuth settings.");
    }
    if ((q.get('response_type') ?? 'code') !== 'code') return errorPage(res, 400, 'Facebook', 'Sorry, something went wrong.', 'This fake only does response_type=code.');
    const requested = (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean);
    const permissions = ['public_profile', ...requested.filter((p) => p !== 'public_profile')];
    const id = randomToken('dlg_');
    this.pending.set(id, { redirectUri, permissions, state: q.get('state') ?? undefined, account: this.account });
    const a = this.account;
    sendHtml(res, 200, consentPage({
      provider: 'Facebook', brand: '#1877f2', accountLines: [a.name, ...(a.email ? [a.email] : [])], clientLabel: new URL(redirectUri).host,
      permissions, action: `${this.pathPrefix}/${this.graphVersion}/dialog/oauth/approve`, hidden: { dialog: id },
    }));
  }

  private decide(res: ServerResponse, form: Record<string, string>): void {
    const grant = this.pending.take(form.dialog);
    if (!grant) return errorPage(res, 400, 'Facebook', 'Sorry, something went wrong.', 'This login dialog expired or was already answered.');
    const state = { state: grant.state };
    if (form.decision !== 'allow') {
      const denied = { error: 'access_denied', error_code: '200', error_description: 'Permissions error', error_reason: 'user_denied', ...state };
      return redirect(res, withParams(grant.redirectUri, denied, '#_=_'));
    }
    const code = randomToken('AQ', 48);
    this.codes.set(code, grant);
    redirect(res, withParams(grant.redirectUri, { code, ...state }, '#_=_'));
  }

  private async token(res: ServerResponse, p: Record<string, string>): Promise<void> {
    const unexpected = { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', is_transient: true, code: 2 };
    if (await this.degrade(res, 'token', ['application/json', JSON.stringify({ error: unexpected })], ['text/html', '<!DOCTYPE html><p>Sorry, something went wrong.'])) return;
    if (!p.client_id) throw graphError('Missing client_id parameter.', 101);
    if (p.client_id !== this.appId) throw graphError('Error validating application. Invalid application ID.', 101);
    if (!p.client_secret || !safeEqual(p.client_secret, this.appSecret)) throw graphError('Error validating client secret.', 1);
    if (!p.redirect_uri) throw graphError('Missing redirect_uri parameter.', 191);
    if (!p.code) throw graphError('Missing authorization code', 1);
    const grant = this.codes.get(p.code);
    if (!grant) throw graphError('Invalid verification code format.', 100, { error_subcode: 36007 });
    if (grant.used) throw graphError('This authorization code has been used.', 100, { error_subcode: 36009 });
    if (p.redirect_uri !== grant.redirectUri) {
      const message = 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request';
      throw graphError(message, 100, { error_subcode: 36008 });
    }
    grant.used = true;
    const accessToken = randomToken('EAA', 90);
    this.tokens.set(accessToken, grant);
    sendJson(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: 5183944 });
  }

  private async me(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const unknown = { message: 'An unknown error has occurred.', type: 'OAuthException', code: 1 };
    if (await this.degrade(res, 'profile', ['application/json', JSON.stringify({ error: unknown })], ['application/json', '{"id":"1022812345'])) return;
    const token = q.get('access_token') ?? bearerToken(req);
    if (!token) throw graphError('An active access token must be used to query information about the current user.', 2500);
    const grant = this.tokens.get(token);
    if (!grant) throw graphError('Invalid OAuth access token - Cannot parse access token', 190);
    const proof = q.get('appsecret_proof');
    if (proof !== null && !safeEqual(proof, createHmac('sha256', this.appSecret).update(token).digest('hex'))) {
      throw graphError('Invalid appsecret_proof provided in the API argument', 100, {}, 'GraphMethodException');
    }
    if (proof === null && this.requireAppSecretProof) throw graphError('API calls from the server require an appsecret_proof argument', 100, {}, 'GraphMethodException');
    const out: Record<string, unknown> = {};
    for (const field of parseFields(q.get('fields'))) {
      if (!PUBLIC_FIELDS.has(field.name) && !FIELD_PERMISSION[field.name]) {
        throw graphError(`(#100) Tried accessing nonexisting field (${field.name}) on node type (User)`, 100);
      }
      if (this.enforcePermissions && FIELD_PERMISSION[field.name] && !grant.permissions.includes(FIELD_PERMISSION[field.name]!)) continue;
      const value = this.fieldValue(grant.account, field.name, field.spec);
      if (value !== undefined) out[field.name] = value;
    }
    out.id = grant.account.id; // Graph always answers with the id, last
    sendJson(res, 200, out);
  }

  private fieldValue(a: FacebookAccount, name: string, spec: string): unknown {
    if (name === 'short_name') return a.first_name;
    if (name === 'picture') {
      if (!a.picture) return undefined;
      const type = /type\((\w+)\)/.exec(spec)?.[1];
      const size = type === 'large' ? 200 : type === 'normal' ? 100 : 50;
      return { data: { height: size, is_silhouette: false, url: a.picture, width: size } };
    }
    if (name === 'likes') {
      if (!a.likes) return undefined;
      return { data: a.likes, paging: { cursors: { before: randomToken('', 12), after: randomToken('', 12) } } };
    }
    return a[name as keyof FacebookAccount];
  }
}

/** 'id,name,picture.type(large),likes{name}' → [{ name: 'id', spec: 'id' }, …], split at top-level commas. */
function parseFields(fields: string | null): { name: string; spec: string }[] {
  if (!fields) return [{ name: 'id', spec: 'id' }, { name: 'name', spec: 'name' }];
  const specs: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of fields) {
    if (ch === ',' && depth === 0) { specs.push(current); current = ''; continue; }
    if (ch === '{' || ch === '(') depth++;
    if (ch === '}' || ch === ')') depth--;
    current += ch;
  }
  specs.push(current);
  return specs.map((s) => s.trim()).filter(Boolean).map((spec) => ({ name: /^[a-z_]+/i.exec(spec)?.[0] ?? spec, spec }));
}

export async function startFakeFacebook(options: FakeFacebookOptions): Promise<FakeFacebook> {
  return new FakeFacebook(options).listen();
}
