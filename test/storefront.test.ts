import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { createStorefront } from '../examples/storefront/server.ts';
import { SessionStore, type StorefrontSession } from '../examples/storefront/session.ts';
import { freePort, startTestInsole, type TestInsole } from './support/insole.ts';
import { Browser } from './support/storefront-browser.ts';
import { readForm } from './support/user-agent.ts';

const AUDIENCE = 'https://api.innovashoes.example/';
const CLIENT = { client_id: 'storefront', client_secret: 'storefront-test-secret-0123456789' };
// A back-office job with its own client, granted write:orders only: a genuine insole token that lacks read:orders.
const WORKER = { client_id: 'orders-worker', client_secret: 'orders-worker-secret-0123456789', grant_types: ['client_credentials'], redirect_uris: ['http://127.0.0.1/unused'], grants: [{ audience: AUDIENCE, scope: ['write:orders'] }] };
// A reports job: granted Management API scopes, nothing of the orders API.
const REPORTER = { client_id: 'reports-worker', client_secret: 'reports-worker-secret-0123456789', grant_types: ['client_credentials'], grants: [{ scope: ['read:reports'] }] };

const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('the storefront example signs shoppers in through insole', () => {
  let insole: TestInsole;
  let server: Server;
  let base: string;
  const sessions = new SessionStore();

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    insole = await startTestInsole({
      clients: [{ ...CLIENT, redirect_uris: [`${base}/callback`], post_logout_redirect_uris: [`${base}/`] }, WORKER, REPORTER],
      apis: [{ identifier: AUDIENCE, scopes: ['read:orders', 'write:orders'] }],
    });
    const app = createStorefront({ issuer: insole.issuer, clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret, baseUrl: base, audience: AUDIENCE, sessions });
    server = app.listen(port, '127.0.0.1');
    await once(server, 'listening');
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await insole.stop();
  });

  /** Home → "Create account" → insole's sign-up form → back on the storefront's home page. */
  async function signUp(browser: Browser, email: string, password: string) {
    const home = await browser.get(`${base}/`);
    assert.match(await home.res.text(), /href="\/signup">Create account</);
    const page = await browser.get(`${base}/signup`);
    const form = readForm(await page.res.text());
    assert.match(form.action, /^\/interaction\/[^/]+\/signup$/, 'screen_hint=signup opens the sign-up form');
    return browser.postForm(new URL(form.action, insole.issuer).href, { email, password, _csrf: form.csrf });
  }

  function sessionIdOf(browser: Browser): string | undefined {
    const cookie = browser.jar(base).get('storefront_session');
    if (!cookie) return undefined;
    const signed = decodeURIComponent(cookie); // cookie-parser's "s:<value>.<signature>"
    return signed.slice(2, signed.lastIndexOf('.'));
  }
  const sessionOf = (browser: Browser): StorefrontSession | undefined => sessions.get(sessionIdOf(browser));

  const ordersApi = (authorization?: string) => fetch(`${base}/api/orders`, authorization ? { headers: { authorization } } : {});
  const machineToken = (client: { client_id: string; client_secret: string }, params: Record<string, string>) => fetch(`${insole.issuer}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client.client_id, client.client_secret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
  });

  test('a shopper signs up, sees their account and orders, signs out, and signs in again', async () => {
    const browser = new Browser();
    const email = 'trail.runner@innovashoes.example';
    const password = 'switchback summit scree descent';

    const signedUp = await signUp(browser, email, password);
    assert.equal(signedUp.url, `${base}/`, `ends on the storefront home page (via ${signedUp.hops.join(' → ')})`);
    const home = await signedUp.res.text();
    assert.match(home, new RegExp(`<span data-email>${email}</span>`));
    assert.match(home, /action="\/logout"/);
    const session = sessionOf(browser)!;
    assert.match(session.claims.sub, /^auth0\|/);

    const orders = await browser.get(`${base}/me/orders`);
    assert.equal(orders.res.status, 200);
    assert.match(await orders.res.text(), /HTTP 200[\s\S]*<td>ord_[0-9a-f]{8}<\/td>/);

    // Sign out: the storefront forgets the session, insole asks for confirmation, then returns home.
    const logout = await browser.postForm(`${base}/logout`, {});
    assert.equal(new URL(logout.hops[0]).pathname, '/oidc/logout');
    assert.equal(new URL(logout.hops[0]).searchParams.get('id_token_hint'), session.idToken);
    const confirm = await logout.res.text();
    assert.match(confirm, /id="op\.logoutForm"/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm)![1];
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm)![1];
    assert.equal(action, `${insole.issuer}/oidc/logout/confirm`);
    const signedOut = await browser.postForm(action, { xsrf, logout: 'yes' });
    assert.equal(signedOut.url, `${base}/`);
    assert.match(await signedOut.res.text(), /href="\/login">Sign in</);
    assert.equal(sessionOf(browser), undefined);
    const refresh = await fetch(`${insole.issuer}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(CLIENT.client_id, CLIENT.client_secret) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.refreshToken! }),
    });
    assert.equal((await refresh.json()).error, 'invalid_grant', 'the refresh token was revoked at sign-out');
    assert.equal((await browser.get(`${base}/me/orders`)).hops[0], `${base}/login`, 'orders need a session');

    // Signed out at insole too: signing in shows the password form again.
    const page = await browser.get(`${base}/login`);
    const form = readForm(await page.res.text());
    assert.match(form.action, /\/login$/);
    const signedIn = await browser.postForm(new URL(form.action, insole.issuer).href, { email, password, _csrf: form.csrf });
    assert.equal(signedIn.url, `${base}/`);
    assert.match(await signedIn.res.text(), new RegExp(`<span data-email>${email}</span>`));
    assert.equal(sessionOf(browser)!.claims.sub, session.claims.sub);
  });

  test('the sign-in request uses PKCE, state, nonce and the API audience, kept in a short-lived signed cookie named after its state', async () => {
    const res = await fetch(`${base}/login`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    const url = new URL(res.headers.get('location')!);
    assert.equal(`${url.origin}${url.pathname}`, `${insole.issuer}/authorize`);
    const q = Object.fromEntries(url.searchParams);
    assert.equal(q.code_challenge_method, 'S256');
    assert.equal(q.redirect_uri, `${base}/callback`);
    assert.equal(q.audience, AUDIENCE);
    assert.equal(q.scope, 'openid email profile offline_access read:orders');
    assert.ok(q.state && q.nonce && q.code_challenge);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`storefront_txn_${q.state}=`))!;
    assert.match(cookie, /^storefront_txn_[\w-]+=s%3A/, 'signed');
    assert.match(cookie, /; Max-Age=600;/);
    assert.match(cookie, /; Path=\/callback/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
  });

  test('the orders API accepts the session\'s access token and refuses missing, tampered and forged ones', async () => {
    const browser = new Browser();
    await signUp(browser, 'api.tester@innovashoes.example', 'interval fartlek strides cooldown');
    const { accessToken, idToken, claims } = sessionOf(browser)!;
    assert.deepEqual(decodeProtectedHeader(accessToken).alg, 'RS256');
    assert.equal(decodeJwt(accessToken).aud, AUDIENCE);

    const ok = await ordersApi(`Bearer ${accessToken}`);
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.equal(body.sub, claims.sub);
    assert.equal(body.orders.length, 2);

    const missing = await ordersApi();
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="innovashoes-orders"', 'RFC 6750 §3.1: no error code without credentials');

    const [header, payload, signature] = accessToken.split('.');
    const otherSub = Buffer.from(JSON.stringify({ ...decodeJwt(accessToken), sub: 'auth0|000000000000000000000000' })).toString('base64url');
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...decodeJwt(accessToken) })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: decodeProtectedHeader(accessToken).kid }) // insole's key id, another key
      .sign(privateKey);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    const refused = {
      'a tampered payload': `${header}.${otherSub}.${signature}`,
      'a token signed by another key': forged,
      'an alg none token': unsigned,
      'the ID token (audience is the client)': idToken,
      'a token that is not a JWT': 'not-a-jwt',
    };
    for (const [what, token] of Object.entries(refused)) {
      const res = await ordersApi(`Bearer ${token}`);
      assert.equal(res.status, 401, what);
      assert.match(res.headers.get('www-authenticate')!, /^Bearer realm="innovashoes-orders", error="invalid_token"/, what);
    }
  });

  test('a genuine insole token without read:orders gets 403 insufficient_scope', async () => {
    const res = await machineToken(WORKER, { resource: AUDIENCE, scope: 'write:orders' });
    assert.equal(res.status, 200, await res.clone().text());
    const { access_token } = await res.json();
    assert.equal(decodeJwt(access_token).scope, 'write:orders');
    const api = await ordersApi(`Bearer ${access_token}`);
    assert.equal(api.status, 403);
    assert.match(api.headers.get('www-authenticate')!, /error="insufficient_scope".*scope="read:orders"/);
  });

  test('client_credentials for the orders API needs a grant for it, and without a scope gets the granted ones only', async () => {
    const asked: Record<string, string>[] = [{ audience: AUDIENCE }, { audience: AUDIENCE, scope: 'read:orders' }, { resource: AUDIENCE, scope: 'write:orders' }];
    for (const params of asked) {
      const refused = await machineToken(REPORTER, params);
      assert.equal(refused.status, 400, JSON.stringify(params));
      assert.deepEqual(await refused.json(), { error: 'invalid_target', error_description: `this client is not allowed to call ${AUDIENCE}` });
    }
    const res = await machineToken(WORKER, { audience: AUDIENCE });
    assert.equal(res.status, 200, await res.clone().text());
    const { access_token, scope } = await res.json();
    assert.equal(scope, 'write:orders');
    assert.equal(decodeJwt(access_token).scope, 'write:orders');
  });

  test('a client granted only write:orders asking for read:orders is refused with invalid_scope', async () => {
    for (const scope of ['read:orders', 'write:orders read:orders']) {
      const res = await machineToken(WORKER, { audience: AUDIENCE, scope });
      assert.equal(res.status, 400, scope);
      assert.deepEqual(await res.json(), { error: 'invalid_scope', error_description: `this client has not been granted scopes of ${AUDIENCE}: read:orders`, scope: 'read:orders' });
    }
  });

  test('an expired access token is refreshed with the refresh token when the shopper opens their orders', async () => {
    const browser = new Browser();
    await signUp(browser, 'refresh.me@innovashoes.example', 'negative split long run');
    const { accessToken, refreshToken } = sessionOf(browser)!;
    sessions.update(sessionIdOf(browser)!, { accessTokenExpiresAt: Date.now() }); // as if an hour had passed
    const orders = await browser.get(`${base}/me/orders`);
    assert.equal(orders.res.status, 200);
    assert.match(await orders.res.text(), /HTTP 200/);
    assert.notEqual(sessionOf(browser)!.accessToken, accessToken);
    assert.notEqual(sessionOf(browser)!.refreshToken, refreshToken, 'insole rotated the refresh token');
  });

  test('the callback refuses a mismatched state, a code it did not ask for, and a sign-in it did not start', async () => {
    const browser = new Browser();
    const started = await browser.get(`${base}/login`); // sets the sign-in cookie
    const state = new URL(started.hops[0]).searchParams.get('state')!;
    const forged = await browser.get(`${base}/callback?code=stolen&state=not-the-state&iss=${encodeURIComponent(insole.issuer)}`);
    assert.equal(forged.res.status, 400);
    assert.match(await forged.res.text(), /Sign-in expired/, 'no sign-in of this browser has that state');

    const stolen = await browser.get(`${base}/callback?code=stolen&state=${state}&iss=${encodeURIComponent(insole.issuer)}`);
    assert.equal(stolen.res.status, 400);
    assert.match(await stolen.res.text(), /Sign-in did not complete/);

    const unsolicited = await new Browser().get(`${base}/callback?code=stolen&state=x`);
    assert.equal(unsolicited.res.status, 400);
    assert.match(await unsolicited.res.text(), /Sign-in expired/);
  });

  test('two tabs start signing in at once: both finish, each with its own state, and leave no sign-in cookie behind', async () => {
    const email = 'two.tabs@innovashoes.example';
    const password = 'tempo run then hill repeats';
    await signUp(new Browser(), email, password);

    const browser = new Browser();
    const tabA = await browser.get(`${base}/login`);
    const tabB = await browser.get(`${base}/login`);

    // insole's form token is per browser, the newest page's: tab A reloads its sign-in page first, as
    // a shopper does after "This form has expired". Its state, and the storefront's cookie for it, stay.
    const formA = readForm(await (await browser.get(tabA.url)).res.text());
    const doneA = await browser.postForm(new URL(formA.action, insole.issuer).href, { email, password, _csrf: formA.csrf });
    assert.equal(doneA.url, `${base}/`, `tab A signs in (via ${doneA.hops.join(' → ')})`);
    assert.match(await doneA.res.text(), new RegExp(`<span data-email>${email}</span>`));
    // Tab B, reloaded now, finds the shopper signed in at insole and comes straight back with its own state.
    const doneB = await browser.get(tabB.url);
    assert.ok(doneB.hops.some((hop) => hop.startsWith(`${base}/callback?`)), `tab B went through its callback (via ${doneB.hops.join(' → ')})`);
    assert.equal(doneB.url, `${base}/`);
    assert.match(await doneB.res.text(), new RegExp(`<span data-email>${email}</span>`));
    assert.deepEqual([...browser.jar(base).keys()].filter((name) => name.startsWith('storefront_txn_')), [], 'each callback cleared its own cookie');
  });

  test('Back after signing in re-opens the used callback: a signed-in shopper is sent home, not told the sign-in expired', async () => {
    const browser = new Browser();
    const signedUp = await signUp(browser, 'back.button@innovashoes.example', 'easy recovery jog today');
    const callback = signedUp.hops.find((hop) => hop.startsWith(`${base}/callback?`))!;
    const sid = sessionIdOf(browser);

    const again = await browser.get(callback);
    assert.equal(again.url, `${base}/`, `sent home (via ${again.hops.join(' → ')})`);
    assert.equal(again.res.status, 200);
    assert.match(await again.res.text(), /<span data-email>back\.button@innovashoes\.example<\/span>/);
    assert.equal(sessionIdOf(browser), sid, 'the same session: nothing was redeemed again');
  });
});
