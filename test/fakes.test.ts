import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { OAuth } from 'oauth';
import OAuth1a from 'oauth-1.0a';
import { Strategy as FacebookStrategy } from 'passport-facebook';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import { Strategy as TwitterStrategy } from 'passport-twitter';
import { answerConsent, loadConsent, runStrategy } from './fakes/drive.ts';
import { DEFAULT_FACEBOOK_ACCOUNT, startFakeFacebook, type FakeFacebook } from './fakes/fake-facebook.ts';
import { DEFAULT_GOOGLE_ACCOUNT, startFakeGoogle, type FakeGoogle } from './fakes/fake-google.ts';
import { DEFAULT_TWITTER_ACCOUNT, startFakeTwitter, type FakeTwitter } from './fakes/fake-twitter.ts';
import { hmacSha1Signature, signatureBaseString } from './fakes/oauth1-signature.ts';

const CALLBACK = 'http://127.0.0.1:9/login/callback';
type Profile = { id: string; emails?: { value: string; verified?: boolean }[]; displayName: string; _json: Record<string, unknown> };
type Verified = { accessToken: string; profile: Profile };
const keep = (accessToken: string, _refresh: unknown, profile: Profile, done: (e: null, u: Verified) => void) => done(null, { accessToken, profile });

const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

/** The back-channel exchange by hand: an approved code for CALLBACK. */
async function codeFor(authorizationURL: string, params: Record<string, string>): Promise<string> {
  const location = await answerConsent(`${authorizationURL}?${new URLSearchParams({ redirect_uri: CALLBACK, ...params })}`, 'allow');
  return location.searchParams.get('code')!;
}

describe('fake Google', () => {
  let google: FakeGoogle;
  const client = { clientId: 'g-client.apps.googleusercontent.com', clientSecret: 'GOCSPX-g-secret' };
  const strategy = (secret = client.clientSecret) => new GoogleStrategy({
    clientID: client.clientId, clientSecret: secret, callbackURL: CALLBACK, ...google.endpoints, scope: ['openid', 'email', 'profile'],
  }, keep as never);
  const authParams = { client_id: client.clientId, response_type: 'code', scope: 'openid email profile', state: 's-123' };

  before(async () => { google = await startFakeGoogle({ ...client, redirectUris: [CALLBACK] }); });
  after(() => google.close());
  beforeEach(() => { google.mode = 'ok'; google.account = DEFAULT_GOOGLE_ACCOUNT; google.requests.length = 0; });

  test('passport-google-oauth20 signs in through the consent page', async () => {
    google.account = { ...DEFAULT_GOOGLE_ACCOUNT, sub: '42', email: 'someone@example.org' };
    const start = await runStrategy(strategy(), { query: {} }, { state: 'xyz' });
    assert.equal(start.kind, 'redirect');
    const consent = await loadConsent(start.kind === 'redirect' ? start.url : '');
    assert.match(consent.html, /someone@example\.org/);
    assert.match(consent.html, />Allow</);
    const back = await answerConsent(start.kind === 'redirect' ? start.url : '', 'allow');
    assert.equal(back.searchParams.get('state'), 'xyz');
    const done = await runStrategy(strategy(), { query: Object.fromEntries(back.searchParams) });
    assert.equal(done.kind, 'success', JSON.stringify(done));
    const { profile } = (done as { user: Verified }).user;
    assert.equal(profile.id, '42');
    assert.deepEqual(profile.emails, [{ value: 'someone@example.org', verified: true }]);
    assert.equal(profile._json.given_name, 'Ada');
    assert.deepEqual(google.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /o/oauth2/v2/auth', 'GET /o/oauth2/v2/auth', 'POST /o/oauth2/v2/auth/approve', 'POST /token', 'GET /v3/userinfo']);
  });

  test('token endpoint: bad secret 401, Basic auth, single-use code bound to redirect_uri', async () => {
    const { tokenURL, authorizationURL, userProfileURL } = google.endpoints;
    const grant = (code: string, extra: Record<string, string> = {}) =>
      form(tokenURL, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: client.clientId, client_secret: client.clientSecret, ...extra });
    const code = await codeFor(authorizationURL, authParams);
    const bad = await grant(code, { client_secret: 'wrong' });
    assert.equal(bad.status, 401);
    assert.equal((await bad.json()).error, 'invalid_client');

    const code2 = await codeFor(authorizationURL, authParams);
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const ok = await form(tokenURL, { grant_type: 'authorization_code', code: code2, redirect_uri: CALLBACK }, { authorization: basic });
    assert.equal(ok.status, 200);
    const tokens = await ok.json() as Record<string, string>;
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()).aud, client.clientId);
    const info = await fetch(userProfileURL, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal((await info.json()).email, DEFAULT_GOOGLE_ACCOUNT.email);

    const reused = await grant(code2);
    assert.equal(reused.status, 400);
    assert.equal((await reused.json()).error, 'invalid_grant');
    assert.equal((await fetch(userProfileURL, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 401, 'reuse revokes');

    const code3 = await codeFor(authorizationURL, authParams);
    const elsewhere = await grant(code3, { redirect_uri: 'http://127.0.0.1:9/other' });
    assert.equal((await elsewhere.json()).error, 'redirect_uri_mismatch');
    assert.equal((await fetch(userProfileURL)).status, 401);
  });

  test('authorization endpoint refuses unknown clients, unregistered redirects and scopes without openid; deny redirects', async () => {
    const { authorizationURL } = google.endpoints;
    const page = (params: Record<string, string>) => fetch(`${authorizationURL}?${new URLSearchParams({ redirect_uri: CALLBACK, ...authParams, ...params })}`, { redirect: 'manual' });
    assert.equal((await page({ client_id: 'nope' })).status, 401);
    assert.equal((await page({ redirect_uri: 'http://127.0.0.1:9/evil' })).status, 400);
    assert.equal((await page({ scope: 'email profile' })).status, 400);
    assert.equal((await page({ response_type: 'token' })).status, 400);
    const denied = await answerConsent(`${authorizationURL}?${new URLSearchParams({ redirect_uri: CALLBACK, ...authParams })}`, 'deny');
    assert.equal(denied.search, '?error=access_denied&state=s-123');
    const done = await runStrategy(strategy(), { query: Object.fromEntries(denied.searchParams) });
    assert.equal(done.kind, 'fail');
  });

  test('down, garbage and slow modes', async () => {
    const start = await runStrategy(strategy(), { query: {} });
    const back = await answerConsent((start as { url: string }).url, 'allow');
    google.mode = 'down';
    const down = await runStrategy(strategy(), { query: Object.fromEntries(back.searchParams) });
    assert.equal(down.kind, 'error');
    google.mode = 'garbage';
    const res = await form(google.endpoints.tokenURL, {});
    assert.equal(res.status, 200);
    await assert.rejects(res.json());
    google.mode = 'slow';
    google.delayMs = 150;
    const t0 = Date.now();
    const slow = await form(google.endpoints.tokenURL, { client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'authorization_code', code: 'x', redirect_uri: CALLBACK });
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(slow.status, 400, 'answers eventually');
  });

  test('close() does not wait for a held slow response', async () => {
    const fake = await startFakeGoogle(client);
    fake.mode = 'slow';
    fake.delayMs = 60_000;
    const pending = fetch(fake.endpoints.userProfileURL).then(() => 'answered', () => 'dropped');
    while (!fake.requests.length) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await fake.close();
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(await pending, 'dropped');
  });
});

describe('fake Facebook', () => {
  let fb: FakeFacebook;
  const app = { appId: '1234567890123456', appSecret: 'fb-app-secret' };
  const fields = 'id,name,first_name,last_name,email,picture.type(large),birthday,gender,location,likes';
  const strategy = (scope = ['email', 'public_profile'], secret = app.appSecret) => new FacebookStrategy({
    clientID: app.appId, clientSecret: secret, callbackURL: CALLBACK, authorizationURL: fb.endpoints.authorizationURL, tokenURL: fb.endpoints.tokenURL,
    profileURL: `${fb.endpoints.profileURL}?fields=${encodeURIComponent(fields)}`, enableProof: true, scope,
  } as ConstructorParameters<typeof FacebookStrategy>[0], keep as never);
  const signIn = async (s: FacebookStrategy) => {
    const start = await runStrategy(s, { query: {} }, { state: 'fb-state' });
    const back = await answerConsent((start as { url: string }).url, 'allow');
    return { back, done: await runStrategy(s, { query: Object.fromEntries(back.searchParams) }) };
  };

  before(async () => { fb = await startFakeFacebook({ ...app, redirectUris: [CALLBACK] }); });
  after(() => fb.close());
  beforeEach(() => { fb.mode = 'ok'; fb.modeTarget = 'all'; fb.account = DEFAULT_FACEBOOK_ACCOUNT; fb.requests.length = 0; });

  test('passport-facebook with appsecret_proof gets the permitted fields only', async () => {
    const { back, done } = await signIn(strategy());
    assert.equal(back.hash, '#_=_');
    assert.equal(done.kind, 'success', JSON.stringify(done));
    const json = (done as { user: Verified }).user.profile._json;
    assert.deepEqual(Object.keys(json), ['id', 'name', 'first_name', 'last_name', 'email', 'picture']);
    assert.equal((json.picture as { data: { url: string; width: number } }).data.width, 200);
    assert.equal('email_verified' in json, false);
    const me = fb.requests.find((r) => r.path === '/v19.0/me')!;
    assert.match(me.search, /appsecret_proof=[0-9a-f]{64}/);

    const { done: all } = await signIn(strategy(['email', 'user_birthday', 'user_gender', 'user_location', 'user_likes']));
    const full = (all as { user: Verified }).user.profile._json;
    assert.equal(full.birthday, '08/14/1991');
    assert.deepEqual(full.location, DEFAULT_FACEBOOK_ACCOUNT.location);
    assert.deepEqual((full.likes as { data: unknown[] }).data, DEFAULT_FACEBOOK_ACCOUNT.likes);

    fb.account = { id: '7', name: 'No Mail', first_name: 'No', last_name: 'Mail' };
    const { done: phoneOnly } = await signIn(strategy());
    assert.deepEqual((phoneOnly as { user: Verified }).user.profile._json, { id: '7', name: 'No Mail', first_name: 'No', last_name: 'Mail' });
  });

  test('token endpoint: bad secret, code reuse, redirect mismatch; GET works', async () => {
    const { authorizationURL, tokenURL, profileURL } = fb.endpoints;
    const code = await codeFor(authorizationURL, { client_id: app.appId, state: 'a' });
    const exchange = (c: string, extra: Record<string, string> = {}) =>
      fetch(`${tokenURL}?${new URLSearchParams({ client_id: app.appId, client_secret: app.appSecret, redirect_uri: CALLBACK, code: c, ...extra })}`);
    const bad = await exchange(code, { client_secret: 'nope' });
    assert.equal(bad.status, 400);
    assert.deepEqual({ ...(await bad.json()).error, fbtrace_id: 0 }, { message: 'Error validating client secret.', type: 'OAuthException', code: 1, fbtrace_id: 0 });
    const mismatch = await exchange(code, { redirect_uri: `${CALLBACK}/x` });
    assert.equal((await mismatch.json()).error.error_subcode, 36008);
    const ok = await exchange(code);
    const token = (await ok.json()) as { access_token: string; token_type: string };
    assert.equal(token.token_type, 'bearer');
    const reused = await exchange(code);
    assert.equal(reused.status, 400);
    assert.equal((await reused.json()).error.error_subcode, 36009);

    const proof = createHmac('sha256', app.appSecret).update(token.access_token).digest('hex');
    const me = (q: Record<string, string>) => fetch(`${profileURL}?${new URLSearchParams({ access_token: token.access_token, ...q })}`);
    assert.deepEqual(await (await me({ appsecret_proof: proof })).json(), { id: DEFAULT_FACEBOOK_ACCOUNT.id, name: DEFAULT_FACEBOOK_ACCOUNT.name });
    const wrongProof = await me({ appsecret_proof: '00'.repeat(32) });
    assert.equal(wrongProof.status, 400);
    assert.equal((await wrongProof.json()).error.type, 'GraphMethodException');
    assert.equal((await me({})).status, 400, 'proof required');
    assert.equal((await me({ appsecret_proof: proof, fields: 'id,shoe_size' })).status, 400);
  });

  test('deny and failure modes', async () => {
    const start = await runStrategy(strategy(), { query: {} }, { state: 'st' });
    const denied = await answerConsent((start as { url: string }).url, 'deny');
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('error_reason'), 'user_denied');
    assert.match(denied.search, /error_description=Permissions\+error/);
    assert.equal(denied.searchParams.get('state'), 'st');
    assert.equal((await runStrategy(strategy(), { query: Object.fromEntries(denied.searchParams) })).kind, 'fail');

    fb.mode = 'down';
    fb.modeTarget = 'profile';
    const { done } = await signIn(strategy());
    assert.equal(done.kind, 'error');
    assert.deepEqual(fb.requests.filter((r) => r.path.includes('access_token') || r.path.endsWith('/me')).map((r) => r.method), ['POST', 'GET']);
    fb.modeTarget = 'all';
    fb.mode = 'garbage';
    assert.equal((await signIn(strategy())).done.kind, 'error');
  });
});

describe('fake Twitter', () => {
  let tw: FakeTwitter;
  const consumer = { consumerKey: 'tw-consumer-key', consumerSecret: 'tw-consumer-secret' };
  const strategy = (secret = consumer.consumerSecret) => new TwitterStrategy({
    consumerKey: consumer.consumerKey, consumerSecret: secret, callbackURL: CALLBACK, includeEmail: true, ...tw.endpoints,
  }, ((token: string, tokenSecret: string, profile: Profile, done: (e: null, u: unknown) => void) => done(null, { token, tokenSecret, profile })) as never);
  const oauth = (secret = consumer.consumerSecret) => new OAuth(tw.endpoints.requestTokenURL, tw.endpoints.accessTokenURL, consumer.consumerKey, secret, '1.0A', CALLBACK, 'HMAC-SHA1');
  type TokenResult = { err?: { statusCode: number; data?: string }; token?: string; secret?: string; params?: Record<string, unknown> };
  const requestToken = (client: OAuth) => new Promise<TokenResult>((resolve) =>
    client.getOAuthRequestToken((err, token, secret, params) => resolve({ err: err as TokenResult['err'], token, secret, params })));
  const accessToken = (client: OAuth, token: string, secret: string, verifier: string) => new Promise<TokenResult>((resolve) =>
    client.getOAuthAccessToken(token, secret, verifier, (err, t, s, params) => resolve({ err: err as TokenResult['err'], token: t, secret: s, params })));
  /** Request token → consent (allow) → access token, with node-oauth (what passport-twitter uses). */
  const fullGrant = async () => {
    const rt = await requestToken(oauth());
    const back = await answerConsent(`${tw.endpoints.userAuthorizationURL}?oauth_token=${rt.token}`, 'allow');
    return { rt, back, at: await accessToken(oauth(), rt.token!, rt.secret!, back.searchParams.get('oauth_verifier')!) };
  };

  before(async () => { tw = await startFakeTwitter({ ...consumer, redirectUris: [CALLBACK] }); });
  after(() => tw.close());
  beforeEach(() => { tw.mode = 'ok'; tw.modeTarget = 'all'; tw.account = DEFAULT_TWITTER_ACCOUNT; tw.requests.length = 0; });

  test('passport-twitter signs in with include_email', async () => {
    const session = {};
    const start = await runStrategy(strategy(), { query: {}, session });
    assert.equal(start.kind, 'redirect', JSON.stringify(start));
    const back = await answerConsent((start as { url: string }).url, 'allow');
    const done = await runStrategy(strategy(), { query: Object.fromEntries(back.searchParams), session });
    assert.equal(done.kind, 'success', JSON.stringify(done));
    const { profile } = (done as { user: { profile: Profile } }).user;
    assert.equal(profile.id, DEFAULT_TWITTER_ACCOUNT.id_str, 'id_str survives; the numeric id loses precision');
    assert.deepEqual(profile.emails, [{ value: DEFAULT_TWITTER_ACCOUNT.email }]);
    assert.deepEqual(tw.requests.map((r) => `${r.method} ${r.path}`), [
      'POST /oauth/request_token', 'GET /oauth/authenticate', 'POST /oauth/authenticate/approve', 'POST /oauth/access_token', 'GET /1.1/account/verify_credentials.json',
    ]);
    assert.match(tw.requests.at(-1)!.search, /include_email=true/);
  });

  test('signatures: wrong consumer secret 401; tampered or replayed requests 401; oauth-1.0a agrees', async () => {
    const bad = await requestToken(oauth('wrong'));
    assert.equal(bad.err?.statusCode, 401);
    assert.equal(JSON.parse(bad.err!.data!).errors[0].code, 32);

    const { at } = await fullGrant();
    assert.equal(at.params?.screen_name, DEFAULT_TWITTER_ACCOUNT.screen_name);
    const signer = new OAuth1a({
      consumer: { key: consumer.consumerKey, secret: consumer.consumerSecret }, signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
    const url = `${tw.endpoints.userProfileURL}?include_email=true&skip_status=true`;
    const auth = signer.toHeader(signer.authorize({ url, method: 'GET' }, { key: at.token!, secret: at.secret! }));
    const ok = await fetch(url, { headers: { ...auth } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), new RegExp(`"id":${DEFAULT_TWITTER_ACCOUNT.id_str},`));
    assert.equal((await fetch(url, { headers: { ...auth } })).status, 401, 'nonce replay');
    const again = signer.toHeader(signer.authorize({ url, method: 'GET' }, { key: at.token!, secret: at.secret! }));
    assert.equal((await fetch(url.replace('true&', 'false&'), { headers: { ...again } })).status, 401, 'query not covered by signature');
    const wrongSecret = signer.toHeader(signer.authorize({ url, method: 'GET' }, { key: at.token!, secret: 'guess' }));
    assert.equal((await fetch(url, { headers: { ...wrongSecret } })).status, 401);
  });

  test('verifier, single-use request tokens, callback registration, deny', async () => {
    const rt = await requestToken(oauth());
    await answerConsent(`${tw.endpoints.userAuthorizationURL}?oauth_token=${rt.token}`, 'allow');
    assert.equal((await accessToken(oauth(), rt.token!, rt.secret!, 'wrong-verifier')).err?.statusCode, 401);
    const { rt: used, back } = await fullGrant();
    assert.equal((await accessToken(oauth(), used.token!, used.secret!, back.searchParams.get('oauth_verifier')!)).err?.statusCode, 401, 'request token reuse');

    const unregistered = new OAuth(tw.endpoints.requestTokenURL, tw.endpoints.accessTokenURL, consumer.consumerKey, consumer.consumerSecret, '1.0A', 'http://127.0.0.1:9/evil', 'HMAC-SHA1');
    const refused = await requestToken(unregistered);
    assert.equal(refused.err?.statusCode, 403);

    const session = {};
    const start = await runStrategy(strategy(), { query: {}, session });
    const denied = await answerConsent((start as { url: string }).url, 'deny');
    assert.equal(denied.searchParams.get('denied'), new URL((start as { url: string }).url).searchParams.get('oauth_token'));
    assert.equal((await runStrategy(strategy(), { query: Object.fromEntries(denied.searchParams), session })).kind, 'fail');
  });

  test('stale timestamps and the base string from RFC 5849 §3.4.1', async () => {
    // RFC 5849's own example (§3.4.1.1), recomputed by the fake's signer.
    const base = signatureBaseString('POST', 'http://example.com/request', [
      ['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b'], ['oauth_consumer_key', '9djdj82h48djs9d2'], ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_timestamp', '137131201'], ['oauth_nonce', '7d8f3e4a'], ['c2', ''], ['a3', '2 q'],
    ]);
    assert.equal(base, 'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7');
    assert.equal(hmacSha1Signature('x', 'k&'), createHmac('sha1', 'k%26&').update('x').digest('base64'));

    const client = oauth();
    (client as unknown as { _getTimestamp: () => number })._getTimestamp = () => Math.floor(Date.now() / 1000) - 3600;
    const stale = await requestToken(client);
    assert.equal(stale.err?.statusCode, 401);
    assert.equal(JSON.parse(stale.err!.data!).errors[0].code, 135);
  });

  test('failure modes', async () => {
    tw.mode = 'down';
    assert.equal((await requestToken(oauth())).err?.statusCode, 500);
    tw.mode = 'garbage';
    const garbage = await requestToken(oauth());
    assert.equal(garbage.err, null);
    assert.equal(garbage.token, undefined);
    tw.mode = 'ok';
    const { at } = await fullGrant();
    tw.mode = 'down';
    tw.modeTarget = 'profile';
    const profile = await new Promise<number | undefined>((resolve) => oauth().get(tw.endpoints.userProfileURL, at.token!, at.secret!, (err) => resolve((err as { statusCode?: number } | null)?.statusCode)));
    assert.equal(profile, 500);
    tw.modeTarget = 'all';
  });
});
