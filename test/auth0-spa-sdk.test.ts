// Auth0's single-page-app SDK (@auth0/auth0-spa-js, what @auth0/auth0-react wraps), unchanged, in a
// real Chromium against a real insole: a store's page on another origin signs in, keeps the shopper
// signed in with refresh tokens or with silent authentication in a hidden iframe, and signs out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Page, Request } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { selfSignedCertificate, startTlsProxy, type TlsProxy } from './support/tls-proxy.ts';
import { trustCertificate } from './support/sdk-tenant.ts';
import { appState, freshTokens, handleRedirectCallback, loginWithPopup, silentTokenError, startLeaving, startSpaShop, type SpaShop } from './support/spa-shop.ts';

const AUDIENCE = 'https://api.innovashoes.example/';
const CLIENT_ID = 'spa-shop';
const shopper = { email: 'spa.shopper@innovashoes.example', password: 'tempo run by the river' };

describe("Auth0's single-page-app SDK against insole, unchanged", () => {
  let proxy: TlsProxy;
  let insole: TestInsole;
  let issuer: string;
  let spa: SpaShop;
  let browser: TestBrowser;
  let otherShop: SpaShop; // another shop of the same site, not registered for the client

  before(async () => {
    // insole as production runs it, https behind a TLS proxy: the SDK checks the ID token's `iss`
    // against `issuer`, which it takes only as https (README "Single-page apps").
    const certificate = await selfSignedCertificate();
    trustCertificate(certificate);
    proxy = await startTlsProxy(certificate);
    issuer = `https://localhost:${proxy.port}`;
    // The page at https://localhost:<port>: another origin, but the same site as insole, as a shop at
    // shop.example and insole at id.shop.example are (the iframe needs insole's SameSite=Lax cookie).
    const sdkOptions = {
      domain: `localhost:${proxy.port}`, issuer, clientId: CLIENT_ID,
      authorizationParams: { audience: AUDIENCE, scope: 'openid profile email read:orders' },
    };
    spa = await startSpaShop(certificate, {
      refresh: { ...sdkOptions, useRefreshTokens: true, cacheLocation: 'localstorage' },
      iframe: sdkOptions,
    });
    otherShop = await startSpaShop(certificate, {});
    insole = await startTestInsole({
      issuer, trust_proxy: 'loopback',
      clients: [{
        client_id: CLIENT_ID, client_name: 'SPA Shop', token_endpoint_auth_method: 'none',
        redirect_uris: [spa.url('refresh'), spa.url('iframe')], post_logout_redirect_uris: [spa.url('refresh'), spa.url('iframe')],
        grant_types: ['authorization_code', 'refresh_token'],
      }],
      apis: [{ identifier: AUDIENCE, scopes: ['read:orders'] }],
    });
    proxy.forwardTo(insole.url);
    browser = await launchBrowser({ trust: certificate.cert });
  });

  after(async () => {
    await browser?.close();
    await spa?.close();
    await otherShop?.close();
    await proxy?.close();
    await insole?.stop();
  });

  const newPage = () => browser.newPage({ signedOut: true }); // each test starts signed out of insole

  /** loginWithRedirect() → insole's hosted page → back on the app's page, where handleRedirectCallback() runs. */
  async function signIn(page: Page, app: string, screen: 'login' | 'signup' = 'login'): Promise<void> {
    await page.goto(spa.url(app));
    await startLeaving(page, 'loginWithRedirect', { authorizationParams: { screen_hint: screen } });
    const button = page.getByRole('button', { name: screen === 'signup' ? 'Create account' : 'Sign in' });
    await button.waitFor();
    assert.equal(new URL(page.url()).origin, issuer, `insole's hosted page: ${page.url()}`);
    await page.getByLabel('Email').fill(shopper.email);
    await page.getByLabel('Password').fill(shopper.password);
    await button.click();
    await page.waitForURL((url) => url.href.startsWith(spa.url(app)) && url.searchParams.has('code'));
    await handleRedirectCallback(page);
  }

  /** Signs out with logout({ logoutParams: { returnTo } }) and confirms on insole's page. */
  async function signOut(page: Page, app: string): Promise<void> {
    await startLeaving(page, 'logout', { logoutParams: { returnTo: spa.url(app) } });
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(spa.url(app));
  }

  /** A new loginWithRedirect() meets insole's sign-in page: its session ended too. */
  async function assertSignedOutOfInsole(page: Page): Promise<void> {
    await startLeaving(page, 'loginWithRedirect', {});
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).origin, issuer);
  }

  const tokenRequests = (page: Page) => {
    const seen: Request[] = [];
    page.context().on('request', (request) => { if (request.url() === `${issuer}/oauth/token` && request.method() === 'POST') seen.push(request); });
    return seen;
  };
  const grantOf = (request: Request) => new URLSearchParams(request.postData() ?? '').get('grant_type');
  // The SDK's cache entry for the API's tokens (localStorage key @@auth0spajs@@::<client>::<audience>::<scope>).
  const storedRefreshToken = (page: Page) => page.evaluate((audience) => {
    const key = Object.keys(localStorage).find((name) => name.startsWith('@@auth0spajs@@::') && name.includes(`::${audience}::`));
    return (JSON.parse(localStorage.getItem(key!)!) as { body: { refresh_token: string } }).body.refresh_token;
  }, AUDIENCE);

  test('useRefreshTokens: sign-up through the SDK, the profile, rotating refresh tokens across a reload, logout', async () => {
    const page = await newPage();
    const requests = tokenRequests(page);
    await signIn(page, 'refresh', 'signup');
    const state = await appState(page);
    assert.equal(state.authenticated, true);
    assert.equal(state.user?.email, shopper.email);
    assert.match(String(state.user?.sub), /^auth0\|[0-9a-f]{24}$/);
    // The code exchange was the page's own fetch: a public client, CORS for its registered origin.
    assert.equal(grantOf(requests[0]!), 'authorization_code');
    assert.equal(await requests[0]!.headerValue('origin'), spa.base);
    assert.equal((await requests[0]!.response())!.headers()['access-control-allow-origin'], spa.base);

    const first = await storedRefreshToken(page);
    const refreshed = await freshTokens(page);
    assert.equal(grantOf(requests.at(-1)!), 'refresh_token');
    assert.equal(decodeJwt(refreshed.access_token).aud, AUDIENCE);
    const second = await storedRefreshToken(page);
    assert.notEqual(second, first, 'the refresh token rotated');

    // A reload keeps the shopper signed in: the SDK's cache is in localStorage, the refresh token with it.
    await page.reload();
    assert.deepEqual(await appState(page), state);
    await freshTokens(page);
    assert.notEqual(await storedRefreshToken(page), second);

    // Reuse of a rotated refresh token revokes the family: the SDK's next refresh is refused.
    const reuse = await fetch(`${issuer}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first, client_id: CLIENT_ID }) });
    assert.equal((await reuse.json() as { error: string }).error, 'invalid_grant');
    assert.equal(await silentTokenError(page), 'invalid_grant');

    await signOut(page, 'refresh');
    assert.equal((await appState(page)).authenticated, false);
    await assertSignedOutOfInsole(page);
    await page.close();
  });
  test('silent authentication in a hidden iframe (the default): a reload keeps the shopper signed in; after logout the SDK gets login_required', async () => {
    const page = await newPage();
    const silent: Request[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === issuer && url.pathname === '/authorize' && url.searchParams.get('response_mode') === 'web_message') silent.push(request);
    });
    await signIn(page, 'iframe');
    const state = await appState(page);
    assert.equal(state.authenticated, true);
    assert.equal(state.user?.email, shopper.email);

    // The SDK's cache is in memory: after a reload, createAuth0Client asks insole in a hidden iframe.
    await page.reload();
    assert.deepEqual(await appState(page), state);
    const asked = new URL(silent[0]!.url());
    assert.equal(asked.searchParams.get('prompt'), 'none');
    assert.equal(asked.searchParams.get('redirect_uri'), spa.url('iframe'));
    const csp = (await silent[0]!.response())!.headers()['content-security-policy']!;
    assert.match(csp, new RegExp(`(^|;)frame-ancestors ${spa.base}(;|$)`), 'framed by the page of the redirect_uri only');
    const tokens = await freshTokens(page);
    assert.equal(decodeJwt(tokens.access_token).aud, AUDIENCE);

    await signOut(page, 'iframe');
    assert.equal((await appState(page)).authenticated, false);
    assert.equal(await silentTokenError(page), 'login_required', "insole's answer, surfaced by the SDK");
    await page.close();
  });

  test('a page of another origin on the same site cannot frame the web_message answer', async () => {
    const page = await newPage();
    await signIn(page, 'iframe');
    await page.goto(`${otherShop.base}/`);
    const authorize = new URL(`${issuer}/authorize`);
    authorize.search = new URLSearchParams({
      client_id: CLIENT_ID, redirect_uri: spa.url('iframe'), response_type: 'code', response_mode: 'web_message', prompt: 'none',
      scope: 'openid', state: 'other-state', nonce: 'other-nonce', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString();
    const isAuthorize = (url: string) => url.startsWith(`${issuer}/authorize?`);
    const refused = page.waitForEvent('console', (message) => /Content Security Policy directive: "frame-ancestors/.test(message.text()));
    const blocked = page.waitForEvent('requestfailed', (request) => isAuthorize(request.url()));
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
    }, authorize.href);
    // Chromium received the answer and refused to show it: its script, which would post the result, never ran.
    assert.equal((await blocked).failure()?.errorText, 'net::ERR_BLOCKED_BY_RESPONSE');
    assert.match((await refused).text(), new RegExp(`"frame-ancestors ${spa.base}"\\. The request has been blocked`));
    await page.close();
  });

  test('loginWithPopup(): the shopper signs in in a popup on insole, every answer of which keeps its opener; getUser() afterwards', async () => {
    const page = await newPage();
    await page.goto(spa.url('iframe'));
    // Every answer insole sends the popup, redirects included: one COOP `same-origin` severs the opener.
    const answers: string[] = [];
    page.context().on('response', (response) => {
      if (response.url().startsWith(`${issuer}/`) && response.request().isNavigationRequest() && response.frame().page() !== page) {
        answers.push(`${response.status()} ${new URL(response.url()).pathname} ${response.headers()['cross-origin-opener-policy']}`);
      }
    });
    const opened = page.waitForEvent('popup');
    const done = loginWithPopup(page);
    const popup = await opened;
    await popup.getByLabel('Email').fill(shopper.email);
    await popup.getByLabel('Password').fill(shopper.password);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await done, 'ok', `the SDK's answer; insole's answers to the popup: ${answers.join(', ')}`);
    const state = await appState(page);
    assert.equal(state.authenticated, true);
    assert.equal(state.user?.email, shopper.email);
    assert.deepEqual(answers.map((answer) => answer.replace(/\/[A-Za-z0-9_-]{20,}/, '/<uid>')), [
      '200 /authorize unsafe-none', '200 /interaction/<uid>/login unsafe-none', // the POST answers with the resume's web_message page (resume-here.ts)
    ]);
    await page.close();
  });

  test('COOP: only the pages of a popup sign-in say unsafe-none; the redirect sign-in, the hidden iframe and other pages keep same-origin', async () => {
    const authorize = (params: Record<string, string>) => `${issuer}/authorize?${new URLSearchParams({
      client_id: CLIENT_ID, redirect_uri: spa.url('iframe'), response_type: 'code', scope: 'openid', state: 's', nonce: 'n',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params,
    })}`;
    const policy = (response: Response) => `${response.status} ${response.headers.get('cross-origin-opener-policy')}`;
    /** The policy of the /authorize answer and, for a sign-in page, of its interaction's pages (with its cookie). */
    async function policies(params: Record<string, string>): Promise<string[]> {
      const answer = await fetch(authorize(params), { redirect: 'manual' });
      const uid = /\/interaction\/([A-Za-z0-9_-]+)\//.exec(await answer.text())?.[1];
      if (!uid) return [policy(answer)];
      const cookie = answer.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const page = async (path: string) => policy(await fetch(`${issuer}/interaction/${uid}${path}`, { headers: { cookie }, redirect: 'manual' }));
      return [policy(answer), await page(''), await page('/signup'), await page('/abort')];
    }
    assert.deepEqual(await policies({ response_mode: 'web_message' }), ['200 unsafe-none', '200 unsafe-none', '200 unsafe-none', '303 unsafe-none']);
    assert.deepEqual(await policies({ response_mode: 'web_message', prompt: 'login' }), ['200 unsafe-none', '200 unsafe-none', '200 unsafe-none', '303 unsafe-none']);
    assert.deepEqual(await policies({}), ['200 same-origin', '200 same-origin', '200 same-origin', '303 same-origin'], 'loginWithRedirect');
    assert.deepEqual(await policies({ response_mode: 'web_message', prompt: 'none' }), ['400 same-origin'], 'the hidden iframe, signed out: login_required');
    assert.deepEqual(await policies({ response_mode: 'web_message', redirect_uri: `${otherShop.base}/iframe/` }), ['400 same-origin'], 'a redirect_uri not registered');
    const popupPage = await fetch(authorize({ response_mode: 'web_message' }));
    assert.match(popupPage.headers.get('content-security-policy') ?? '', /(^|;)frame-ancestors 'none'(;|$)/, "the popup's sign-in form is never framed");
    for (const path of ['/', '/password/reset', '/.well-known/openid-configuration']) {
      assert.equal((await fetch(`${issuer}${path}`)).headers.get('cross-origin-opener-policy'), 'same-origin', path);
    }
  });
});
