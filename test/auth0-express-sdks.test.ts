// Auth0's Express SDKs, unchanged, against a real insole on loopback: a store's web app built with
// express-openid-connect as its README and EXAMPLES show it, the store's API guarded by
// express-oauth2-jwt-bearer, and a real Chromium as the shopper.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import expressOpenIdConnect from 'express-openid-connect'; // CommonJS: no named exports for Node's ESM loader
import { auth as requireAccessToken, requiredScopes } from 'express-oauth2-jwt-bearer';
import { decodeJwt } from 'jose';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { freePort, startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const { auth, requiresAuth } = expressOpenIdConnect;
const AUDIENCE = 'https://api.innovashoes.example/';
const CLIENT = { client_id: 'sdk-shop', client_secret: 'sdk-shop-secret-0123456789abcdef' };
const shopper = { email: 'sdk.shopper@innovashoes.example', password: 'negative split on the hill' };

async function listen(app: express.Express, port = 0): Promise<{ server: Server; port: number }> {
  const server = app.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

async function close(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** The store's API, as express-oauth2-jwt-bearer's README shows it: orders to read, orders to write. */
function createOrdersApi(issuer: string): express.Express {
  const api = express();
  api.use(requireAccessToken({ issuerBaseURL: issuer, audience: AUDIENCE }));
  api.get('/orders', requiredScopes('read:orders'), (req, res) => { res.json({ sub: req.auth!.payload.sub, orders: ['ord_1'] }); });
  api.post('/orders', requiredScopes('write:orders'), (_req, res) => { res.status(201).json({ created: true }); });
  return api;
}

/**
 * The store's web app. `/` is public; the other pages need a sign-in (`requiresAuth()`) and answer
 * JSON, so the test reads what the SDK put in `req.oidc`.
 */
function createWebApp(issuer: string, baseURL: string, apiBase: string, extra: Record<string, unknown> = {}): express.Express {
  const app = express();
  // Before the SDK, as a store's static files are: Chromium asks for the icon on its own, and a
  // response through the SDK re-sets its rolling session cookie. Sent with the cookie just before
  // /logout and answered after it, that put the signed-out session back (1 run in 4 here).
  app.get('/favicon.ico', (_req, res) => { res.status(204).end(); });
  app.use(auth({
    issuerBaseURL: issuer,
    baseURL,
    clientID: CLIENT.client_id,
    clientSecret: CLIENT.client_secret,
    secret: 'a long, random string used to encrypt the session cookie',
    idpLogout: true,
    authRequired: false,
    authorizationParams: { response_type: 'code', audience: AUDIENCE, scope: 'openid profile email offline_access read:orders' },
    ...extra,
  }));
  app.get('/', (req, res) => { res.send(req.oidc.isAuthenticated() ? '<h1>Signed in</h1>' : '<h1>Signed out</h1>'); });
  app.get('/profile', requiresAuth(), async (req, res) => {
    res.json({ user: req.oidc.user, userinfo: await req.oidc.fetchUserInfo(), accessToken: req.oidc.accessToken?.access_token, refreshToken: req.oidc.refreshToken });
  });
  app.get('/orders', requiresAuth(), async (req, res) => {
    const call = await fetch(`${apiBase}/orders`, { headers: { authorization: `Bearer ${req.oidc.accessToken!.access_token}` } });
    res.json({ status: call.status, body: await call.json() });
  });
  app.get('/refresh', requiresAuth(), async (req, res) => {
    const before = req.oidc.accessToken!.access_token;
    const refreshed = await req.oidc.accessToken!.refresh();
    const call = await fetch(`${apiBase}/orders`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    res.json({ before, after: refreshed.access_token, stored: req.oidc.accessToken!.access_token, refreshToken: req.oidc.refreshToken, status: call.status });
  });
  return app;
}

describe("Auth0's Express SDKs against insole, unchanged", () => {
  let insole: TestInsole;
  let api: Server;
  let apiBase: string;
  let web: Server;
  let base: string;
  let auth0LogoutWeb: Server;
  let auth0LogoutBase: string;
  let browser: TestBrowser;

  before(async () => {
    // The app is reached as http://localhost:<port> (as the SDK's README has it), insole as
    // http://127.0.0.1:<port>: two hosts, so Chromium keeps their cookies apart.
    const [webPort, auth0LogoutPort] = [await freePort(), await freePort()];
    base = `http://localhost:${webPort}`;
    auth0LogoutBase = `http://localhost:${auth0LogoutPort}`;
    insole = await startTestInsole({
      clients: [
        // Registered with the trailing slash, as insole's README shows a client; the SDK sends its baseURL without it.
        { ...CLIENT, client_name: 'SDK Shop', redirect_uris: [`${base}/callback`, `${auth0LogoutBase}/callback`], post_logout_redirect_uris: [`${base}/`, `${auth0LogoutBase}/`], grant_types: ['authorization_code', 'refresh_token'] },
        { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] },
      ],
      apis: [{ identifier: AUDIENCE, scopes: ['read:orders', 'write:orders'] }],
    });
    await signInForTokens(insole.issuer, shopper, 'signup');
    const orders = await listen(createOrdersApi(insole.issuer));
    api = orders.server;
    apiBase = `http://127.0.0.1:${orders.port}`;
    ({ server: web } = await listen(createWebApp(insole.issuer, base, apiBase), webPort));
    // The same app where the store tells the SDK its issuer is Auth0 (as with an Auth0 custom domain).
    ({ server: auth0LogoutWeb } = await listen(createWebApp(insole.issuer, auth0LogoutBase, apiBase, { auth0Logout: true }), auth0LogoutPort));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await close(web);
    await close(auth0LogoutWeb);
    await close(api);
    await insole?.stop();
  });

  const newPage = () => browser.newPage({ signedOut: true }); // each test starts signed out of insole

  /** The JSON a page of the web app answered, read in the browser (so with the browser's session). */
  async function readJson<T = Record<string, any>>(page: Page, path: string): Promise<T> {
    const response = await page.goto(`${base}${path}`);
    assert.equal(response!.status(), 200, `${path}: ${await response!.text()}`);
    return JSON.parse(await response!.text()) as T;
  }

  async function signInOnInsole(page: Page): Promise<void> {
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).origin, insole.issuer, `insole's sign-in page: ${page.url()}`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  test('a shopper signs in through requiresAuth(), the app reads the profile, calls the API, refreshes and signs out of insole', async () => {
    const page = await newPage();

    // requiresAuth() → insole's hosted sign-in → back on the page asked for.
    await page.goto(`${base}/profile`);
    await signInOnInsole(page);
    await page.waitForURL(`${base}/profile`);
    const profile = JSON.parse(await page.locator('body').innerText());
    assert.equal(profile.user.email, shopper.email);
    assert.match(profile.user.sub, /^auth0\|[0-9a-f]{24}$/);
    assert.equal(profile.userinfo.sub, profile.user.sub, 'req.oidc.fetchUserInfo() with the access token for the API');
    assert.equal(profile.userinfo.email, shopper.email);
    const accessToken = decodeJwt(profile.accessToken);
    assert.equal(accessToken.aud, AUDIENCE);
    assert.equal(accessToken.sub, profile.user.sub);
    assert.ok(profile.refreshToken, 'offline_access gave a refresh token');

    // The API accepts the app's access token, and refuses no token and a token without the scope.
    const orders = await readJson(page, '/orders');
    assert.deepEqual(orders, { status: 200, body: { sub: profile.user.sub, orders: ['ord_1'] } });
    const anonymous = await fetch(`${apiBase}/orders`);
    assert.equal(anonymous.status, 401);
    const withoutScope = await fetch(`${apiBase}/orders`, { method: 'POST', headers: { authorization: `Bearer ${profile.accessToken}` } });
    assert.equal(withoutScope.status, 403);
    assert.match(withoutScope.headers.get('www-authenticate')!, /error="insufficient_scope"/);

    // accessToken.refresh(): a new access token for the same API, accepted by it; the refresh token rotates.
    const refreshed = await readJson(page, '/refresh');
    assert.equal(refreshed.before, profile.accessToken);
    assert.notEqual(refreshed.after, refreshed.before);
    assert.equal(refreshed.stored, refreshed.after, 'the SDK keeps the new token in its session');
    assert.notEqual(refreshed.refreshToken, profile.refreshToken);
    assert.equal(decodeJwt(refreshed.after).aud, AUDIENCE);
    assert.equal(refreshed.status, 200);

    // The SDK's /logout: insole asks for confirmation, ends its session and returns to the app.
    const logoutPage = await page.goto(`${base}/logout`);
    assert.equal(logoutPage!.status(), 200, `insole's logout page: ${await page.locator('body').innerText()}`);
    const confirm = page.getByRole('button', { name: 'Yes, sign me out' });
    await confirm.waitFor();
    const logoutUrl = new URL(page.url());
    assert.equal(`${logoutUrl.origin}${logoutUrl.pathname}`, `${insole.issuer}/oidc/logout`);
    assert.equal(logoutUrl.searchParams.get('post_logout_redirect_uri'), base, 'the SDK sends its baseURL without a trailing slash');
    await confirm.click();
    await page.waitForURL((url) => url.origin === base && url.pathname === '/');
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();

    // Signed out at insole too: the protected page shows insole's sign-in page again.
    await page.goto(`${base}/profile`);
    await signInOnInsole(page);
    await page.waitForURL(`${base}/profile`);
    assert.equal(JSON.parse(await page.locator('body').innerText()).user.sub, profile.user.sub);
    await page.close();
  });

  test("with auth0Logout (an Auth0 custom domain), the SDK's /logout goes through Auth0's /v2/logout and ends the insole session", async () => {
    const page = await newPage();
    await page.goto(`${auth0LogoutBase}/profile`);
    await signInOnInsole(page);
    await page.waitForURL(`${auth0LogoutBase}/profile`);

    const logoutPage = await page.goto(`${auth0LogoutBase}/logout`);
    assert.equal(logoutPage!.status(), 200, `insole's logout page: ${await page.locator('body').innerText()}`);
    const hops: string[] = []; // the redirects Chromium followed to insole's logout page
    for (let request = logoutPage!.request().redirectedFrom(); request; request = request.redirectedFrom()) hops.unshift(request.url());
    const v2 = new URL(hops.find((url) => url.startsWith(`${insole.issuer}/v2/logout`))!);
    assert.deepEqual(Object.fromEntries(v2.searchParams), { returnTo: auth0LogoutBase, client_id: CLIENT.client_id }, 'no id_token_hint: Auth0 has no use for it');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.origin === auth0LogoutBase && url.pathname === '/');
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();

    await page.goto(`${auth0LogoutBase}/profile`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).origin, insole.issuer, 'signed out at insole: its sign-in page again');
    await page.close();
  });
});

/**
 * express-openid-connect's `backchannelLogout` keeps the logout tokens it receives in a store (the
 * README's example uses express-session's store); this is the smallest one its hooks accept.
 */
function memoryStore() {
  const entries = new Map<string, unknown>();
  return {
    get: (key: string, done: (err: null, value?: unknown) => void) => done(null, entries.get(key)),
    set: (key: string, value: unknown, done: (err: null) => void) => { entries.set(key, value); done(null); },
    destroy: (key: string, done: (err: null) => void) => { entries.delete(key); done(null); },
  };
}

describe("express-openid-connect's backchannelLogout against insole", () => {
  const BCL_SHOP = { client_id: 'bcl-sdk-shop', client_secret: 'bcl-sdk-shop-secret-0123456789abcdef' };
  const OUTLET = { client_id: 'bcl-sdk-outlet', client_secret: 'bcl-sdk-outlet-secret-0123456789abcdef' };
  const ADMIN = { client_id: 'bcl-sdk-admin', client_secret: 'bcl-sdk-admin-secret-0123456789abcdef', scopes: ['update:users'] };
  let insole: TestInsole;
  let inbox: Inbox;
  let shop: Server;
  let shopBase: string;
  let outlet: Server;
  let outletBase: string;
  let browser: TestBrowser;
  let shoppers = 0;

  /** The store's web app as the SDK's README shows back-channel logout: `backchannelLogout` with a store. */
  function createShop(issuer: string, baseURL: string, client: typeof BCL_SHOP, extra: Record<string, unknown> = {}): express.Express {
    const app = express();
    app.get('/favicon.ico', (_req, res) => { res.status(204).end(); }); // before the SDK: see createWebApp
    app.use(auth({
      issuerBaseURL: issuer, baseURL, clientID: client.client_id, clientSecret: client.client_secret,
      secret: 'another long, random string used to encrypt the session cookie',
      idpLogout: true, authRequired: false, authorizationParams: { response_type: 'code', scope: 'openid profile email' },
      ...extra,
    }));
    app.get('/', (req, res) => { res.send(req.oidc.isAuthenticated() ? '<h1>Signed in</h1>' : '<h1>Signed out</h1>'); });
    app.get('/profile', requiresAuth(), (req, res) => { res.json({ sub: req.oidc.user!.sub, sid: req.oidc.idTokenClaims!.sid }); });
    return app;
  }

  before(async () => {
    const [shopPort, outletPort] = [await freePort(), await freePort()];
    shopBase = `http://localhost:${shopPort}`;
    outletBase = `http://localhost:${outletPort}`;
    inbox = await startInbox();
    insole = await startTestInsole({
      clients: [
        { ...BCL_SHOP, redirect_uris: [`${shopBase}/callback`], post_logout_redirect_uris: [shopBase], backchannel_logout_uri: `${shopBase}/backchannel-logout` },
        { ...OUTLET, redirect_uris: [`${outletBase}/callback`], post_logout_redirect_uris: [outletBase] },
        m2mClientConfig(ADMIN),
        { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] },
      ],
      mail: { smtp_url: inbox.url },
    });
    ({ server: shop } = await listen(createShop(insole.issuer, shopBase, BCL_SHOP, { backchannelLogout: { store: memoryStore() } }), shopPort));
    // Both apps are on localhost, whose cookies Chromium shares across ports: the outlet keeps its session under another name.
    ({ server: outlet } = await listen(createShop(insole.issuer, outletBase, OUTLET, { secret: 'the outlet keeps its own session, under its own key', session: { name: 'outletSession' } }), outletPort));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await close(shop);
    await close(outlet);
    await insole?.stop();
    await inbox?.close();
  });

  /** A new shopper, signed up, and a page signed in to the shop (through insole's hosted sign-in). */
  async function signedInToShop() {
    const shopper = { email: `bcl.sdk${++shoppers}@innovashoes.example`, password: 'signed out of every shop at once' };
    await signInForTokens(insole.issuer, shopper, 'signup');
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(15_000);
    await page.goto(`${shopBase}/profile`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${shopBase}/profile`);
    const profile = JSON.parse(await page.locator('body').innerText()) as { sub: string; sid?: string };
    assert.equal(typeof profile.sid, 'string', 'the ID token carries sid');
    return { page, shopper, profile };
  }

  /** The shop's requiresAuth() page sends the shopper back to insole's sign-in: the SDK's session is over. */
  async function assertSignedOutOfShop(page: Page): Promise<void> {
    await page.goto(`${shopBase}/profile`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).origin, insole.issuer, `insole's sign-in page, not the profile: ${page.url()}`);
  }

  test('signing out through another app of the same insole session signs the shopper out of the shop', async () => {
    const { page } = await signedInToShop();
    await page.goto(`${outletBase}/profile`); // single sign-on: no sign-in page
    await page.waitForURL(`${outletBase}/profile`);

    const logoutPage = await page.goto(`${outletBase}/logout`);
    assert.equal(logoutPage!.status(), 200, `insole's logout page: ${page.url()} ${await page.locator('body').innerText()}`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.origin === outletBase && url.pathname === '/');
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();

    await assertSignedOutOfShop(page);
    await page.close();
  });

  test('a password reset signs the shopper out of the shop', async () => {
    const { page, shopper } = await signedInToShop();
    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    await agent.postForm(`${insole.issuer}/password/reset`, { email: shopper.email, _csrf: csrf });
    const link = inbox.linkIn(await inbox.waitFor(shopper.email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
    const html = await (await agent.get(link)).res.text();
    const form = readForm(html);
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
    const changed = await agent.postForm(new URL(form.action, insole.issuer).href, { _csrf: form.csrf, ticket, password: 'a new password for a new season' });
    assert.equal(changed.res.status, 200);

    await assertSignedOutOfShop(page);
    await page.close();
  });

  test('an admin blocking the shopper signs them out of the shop', async () => {
    const { page, profile } = await signedInToShop();
    const { access_token } = await managementToken(insole, ADMIN);
    const blocked = await api(insole, access_token, 'PATCH', `/users/${encodeURIComponent(profile.sub)}`, { blocked: true });
    assert.equal(blocked.status, 200);

    await assertSignedOutOfShop(page);
    await page.close();
  });
});
