// The dashboard as a back-channel logout receiver of its own insole (OpenID Connect Back-Channel
// Logout 1.0): a real insole on loopback delivers logout tokens to itself over HTTP; Chromium holds
// the dashboard and a storefront signed in in one insole session; a real storefront server on
// loopback, and a real SMTP inbox for the password reset.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Request } from 'express';
import { generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from 'jose';
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { ENDED_ELSEWHERE_MESSAGE } from '../src/dashboard/session/follow-standing.ts';
import { createSessionCookies, type DashboardSession } from '../src/dashboard/session/session-cookie.ts';
import { insoleSessionKey } from '../src/dashboard/session/session-key.ts';
import { createSignedOutSessions, SIGNED_OUT_TTL_MS } from '../src/dashboard/session/signed-out-sessions.ts';
import { createLogModel } from '../src/logs/log.model.ts';
import { STANDING_TTL_MS } from '../src/users/role-standing.ts';
import { DASHBOARD_CLIENT_ID } from '../src/oidc/dashboard-client.ts';
import { loadSigningKeys, signingKeysBox } from '../src/oidc/signing-keys.ts';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { dashboardUser, READER, readerToken, signInThroughHostedPage, startDashboardInsole } from './support/dashboard.ts';
import { until } from './support/hooks.ts';
import { testDatabaseUri, type TestInsole } from './support/insole.ts';
import { startLogoutReceiver } from './support/logout-receiver.ts';
import { m2mClientConfig } from './support/management.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const [SHOPPER, OTHER, RESETTER, SIGNER, RETURNER] = ['bcl.dash.shopper@innovashoes.example', 'bcl.dash.other@innovashoes.example', 'bcl.dash.reset@innovashoes.example', 'bcl.dash.signer@innovashoes.example', 'bcl.dash.returner@innovashoes.example'];

describe('dashboard: an insole session ended elsewhere ends the dashboard sessions it signed in', () => {
  let insole: TestInsole;
  let second: TestInsole; // another instance behind the same issuer, as behind a load balancer
  let inbox: Inbox;
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
  let shop: ReturnType<typeof createServer>;
  let shopUrl: string;
  const browsers: TestBrowser[] = [];
  const users: Record<string, string> = {};

  const SHOP = { client_id: 'bcl-shop', client_secret: 'bcl-shop-secret-0123456789abcdef' };
  const logs = () => insole.db.collection('logs');
  const sloCount = (userId: string) => logs().countDocuments({ type: 'slo', client_id: DASHBOARD_CLIENT_ID, user_id: userId });

  before(async () => {
    shop = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }).end('the storefront'); }).listen(0, '127.0.0.1');
    await once(shop, 'listening');
    shopUrl = `http://127.0.0.1:${(shop.address() as { port: number }).port}`;
    [inbox, receiver] = await Promise.all([startInbox(), startLogoutReceiver()]);
    const database = testDatabaseUri();
    insole = await startDashboardInsole({
      clients: [m2mClientConfig(READER), {
        ...SHOP, redirect_uris: [`${shopUrl}/callback`], post_logout_redirect_uris: [`${shopUrl}/`], backchannel_logout_uri: `${receiver.url}/ok/shop`,
      }],
      mail: { smtp_url: inbox.url },
    }, database);
    second = await startDashboardInsole({ issuer: insole.issuer }, database);
    const reader = await readerToken(insole);
    for (const email of [SHOPPER, OTHER, RESETTER, SIGNER, RETURNER]) users[email] = (await dashboardUser(insole, reader, email, ['admin'])).user_id;
  });
  after(async () => {
    for (const browser of browsers) await browser.close();
    await second?.stop();
    await insole?.stop();
    await receiver?.close();
    await inbox?.close();
    shop?.closeAllConnections();
    await new Promise((resolve) => shop?.close(resolve));
  });

  async function dashboardPage(email: string): Promise<Page> {
    const browser = await launchBrowser();
    browsers.push(browser);
    const page = await browser.newPage();
    await signInThroughHostedPage(page, insole, email);
    return page;
  }
  const sessionOf = async (page: Page): Promise<DashboardSession> => {
    const cookie = (await page.context().cookies(insole.issuer)).find((c) => c.name === 'insole.dashboard')!;
    return createSessionCookies(insole.config).readSession({ cookies: { 'insole.dashboard': cookie.value } } as unknown as Request)!;
  };
  /** The dashboard as the page's browser now sees it: 200, or the "Signed out" page's 401 and words. */
  async function dashboardAnswer(page: Page): Promise<number | string> {
    const res = await page.goto(`${insole.issuer}/admin`);
    if (res?.status() !== 401) return res?.status() ?? 0;
    await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
    return (await page.getByRole('status').textContent()) ?? '';
  }

  /** Opens the page's live stream with its cookies, as the page's script does; `ended` resolves to the words of its `ended` event. */
  async function liveStream(page: Page): Promise<{ ended: Promise<string>; close(): void }> {
    const cookie = (await page.context().cookies(insole.issuer)).map((c) => `${c.name}=${c.value}`).join('; ');
    const abort = new AbortController();
    const res = await fetch(`${insole.issuer}/admin/live`, { headers: { accept: 'text/event-stream', cookie }, signal: abort.signal });
    assert.equal(res.status, 200);
    const ended = (async () => {
      let text = '';
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        const found = /event: ended\ndata: (.*)\n/.exec(text);
        if (found) return (JSON.parse(found[1]) as { message: string }).message;
      }
      return 'the stream closed without an ended event';
    })();
    ended.catch(() => undefined);
    return { ended, close: () => abort.abort() };
  }

  /** The storefront signs in in the page's browser (insole's session: no sign-in page), and signs out by RP-initiated logout. */
  async function storefrontSignInAndOut(page: Page): Promise<void> {
    const config = await oidc.discovery(new URL(insole.issuer), SHOP.client_id, SHOP.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const [verifier, state, nonce] = [oidc.randomPKCECodeVerifier(), oidc.randomState(), oidc.randomNonce()];
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${shopUrl}/callback`, scope: 'openid email', state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    await page.goto(url.href);
    assert.ok(page.url().startsWith(`${shopUrl}/callback?`), `signed in to the storefront silently, not ${page.url()}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${shopUrl}/` }).href);
    await Promise.all([page.waitForURL(`${shopUrl}/`), page.getByRole('button', { name: 'Yes, sign me out' }).click()]);
  }

  test('signing out of the storefront ends the dashboard session of the same insole session, at once here and within 5 s on another instance; another user\'s carries on', async () => {
    const [page, other] = [await dashboardPage(SHOPPER), await dashboardPage(OTHER)];
    assert.equal(typeof (await sessionOf(page)).insole_sid, 'string', 'the dashboard keeps insole\'s sid of its ID token');
    assert.equal(await dashboardAnswer(page), 200);
    const [stream, otherStream] = [await liveStream(page), await liveStream(other)];
    const cookie = (await page.context().cookies(insole.issuer)).map((c) => `${c.name}=${c.value}`).join('; ');
    const atSecond = () => fetch(`http://127.0.0.1:${second.config.port}/admin`, { redirect: 'manual', headers: { accept: 'text/html', cookie } });
    assert.equal((await atSecond()).status, 200, 'the other instance serves the session before');
    const start = receiver.received.length;
    await storefrontSignInAndOut(page);
    const signedOutAt = Date.now();
    assert.equal(receiver.received.length, start + 1, 'the storefront got its logout token too');
    await until('the dashboard refuses the session', async () => (await dashboardAnswer(page)) === ENDED_ELSEWHERE_MESSAGE, SIGNED_OUT_TTL_MS + 2000);
    assert.ok(Date.now() - signedOutAt <= SIGNED_OUT_TTL_MS + 1000, `refused ${Date.now() - signedOutAt} ms after the sign-out`);
    assert.equal((await page.context().cookies(insole.issuer)).find((c) => c.name === 'insole.dashboard'), undefined, 'the cookie is cleared');
    await until('the other instance refuses the session', async () => (await atSecond()).status === 401, SIGNED_OUT_TTL_MS + 2000);
    assert.ok(Date.now() - signedOutAt <= SIGNED_OUT_TTL_MS + 1000, `the other instance refused it ${Date.now() - signedOutAt} ms after the sign-out`);
    // The feed's 1 s poll, then the user's standing read anew (a block would say so instead).
    const streamEnd = await Promise.race([stream.ended, new Promise((resolve) => setTimeout(resolve, STANDING_TTL_MS + 3000, 'still open'))]);
    assert.equal(streamEnd, ENDED_ELSEWHERE_MESSAGE, 'the live stream ends, saying why');
    assert.equal(await dashboardAnswer(other), 200, 'another user\'s dashboard session is unaffected');
    const otherEnd = await Promise.race([otherStream.ended, new Promise((resolve) => setTimeout(resolve, 1500, 'open'))]);
    assert.equal(otherEnd, 'open', 'and so is its live stream');
    stream.close();
    otherStream.close();
  });

  /** The dashboard's Sign out button: the browser lands on insole's "sign out of insole too?" page. */
  async function signOutOfDashboard(page: Page): Promise<void> {
    await page.goto(`${insole.issuer}/admin`);
    await Promise.all([page.waitForURL(/\/oidc\/logout/), page.getByRole('button', { name: 'Sign out' }).click()]);
  }
  /** The dashboard's own records of its sessions' ends (insole's "Success Logout" of its own session, also client insole-dashboard, aside). */
  const dashboardSignOuts = (userId: string) => logs().find({
    type: 'slo', client_id: DASHBOARD_CLIENT_ID, user_id: userId, $or: [{ 'details.dashboard_session': { $exists: true } }, { 'details.insole_session': { $exists: true } }],
  }).sort({ date: 1 }).toArray();

  test('signing out of the dashboard, then of insole, records one dashboard sign-out, which also ends an older dashboard session of that insole session', async () => {
    const page = await dashboardPage(SIGNER);
    const older = await page.context().cookies(insole.issuer); // this browser's session before it signs in to the dashboard again
    await page.goto(`${insole.issuer}/admin/login?return_to=/admin`); // silently, in the same insole session
    assert.equal((await sessionOf(page)).insole_sid, (await createSessionCookies(insole.config).readSession({ cookies: { 'insole.dashboard': older.find((c) => c.name === 'insole.dashboard')!.value } } as unknown as Request))!.insole_sid);
    const start = receiver.received.length;
    await signOutOfDashboard(page);
    await Promise.all([page.waitForURL(/\/admin\/signed-out/), page.getByRole('button', { name: 'Yes, sign me out' }).click()]);
    assert.equal(receiver.received.length, start, 'the storefront had no session to end');
    const events = await dashboardSignOuts(users[SIGNER]);
    assert.equal(events.length, 1, `one sign-out recorded: ${events.map((e) => e.description).join(' | ')}`);
    assert.equal(events[0].description, 'Signed out of the dashboard');
    await page.context().addCookies(older);
    assert.equal(await dashboardAnswer(page), ENDED_ELSEWHERE_MESSAGE, 'the older session of the same insole session is over too');
  });

  test('signing out of the dashboard but staying signed in to insole: the dashboard signs in again in a fresh insole sid, which a later sign-out elsewhere still ends', async () => {
    const page = await dashboardPage(RETURNER);
    const first = await sessionOf(page);
    await signOutOfDashboard(page); // and the "sign out of insole too?" page is left alone
    assert.equal(await dashboardAnswer(page), 200, 'signs in again without a password, and is not refused');
    const again = await sessionOf(page);
    assert.ok(again.insole_sid && again.insole_sid !== first.insole_sid, 'a new sid for the dashboard in the same insole session');
    await storefrontSignInAndOut(page);
    await until('the dashboard refuses the new session', async () => (await dashboardAnswer(page)) === ENDED_ELSEWHERE_MESSAGE, SIGNED_OUT_TTL_MS + 2000);
    assert.deepEqual((await dashboardSignOuts(users[RETURNER])).map((e) => e.description), ['Signed out of the dashboard', 'Signed out of the dashboard: the insole session ended elsewhere (back-channel logout)']);
  });

  test('a password reset ends the user\'s dashboard session', async () => {
    const page = await dashboardPage(RESETTER);
    assert.equal(await dashboardAnswer(page), 200);
    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    await agent.postForm(`${insole.issuer}/password/reset`, { email: RESETTER, _csrf: csrf });
    const html = await (await agent.get(inbox.linkIn(await inbox.waitFor(RESETTER, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`))).res.text();
    const form = readForm(html);
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
    const changed = await agent.postForm(new URL(form.action, insole.issuer).href, { _csrf: form.csrf, ticket, password: 'another long password, fresh' });
    assert.equal(changed.res.status, 200);
    await until('the dashboard refuses the session', async () => (await dashboardAnswer(page)) === ENDED_ELSEWHERE_MESSAGE, SIGNED_OUT_TTL_MS + 2000);
  });

  test('a forged, unsigned, wrong-audience or ID token is a 400 invalid_request, never cached, and ends nothing', async () => {
    const page = await dashboardPage(OTHER);
    const { who, insole_sid } = await sessionOf(page);
    const claims = { iss: insole.issuer, aud: DASHBOARD_CLIENT_ID, sub: who.sub, sid: insole_sid, events: { [EVENT]: {} }, jti: 'forged-1' };
    const { kid } = ((await (await fetch(`${insole.issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys[0];
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid }).setIssuedAt().sign(privateKey);
    const unsigned = new UnsecuredJWT(claims).setIssuedAt().encode();
    const otherAudience = receiver.received.find((r) => r.path === '/ok/shop')?.logoutToken; // insole's real token, to the storefront
    assert.ok(otherAudience, 'the storefront\'s logout token, from the first test');
    const idToken = (await sessionOf(page)).id_token; // signed by insole, for the dashboard, but an ID token
    assert.ok(idToken);
    const before = await sloCount(users[OTHER]);
    for (const [what, token] of Object.entries({ forged, unsigned, otherAudience, idToken, missing: '' })) {
      const res = await fetch(`${insole.issuer}/admin/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
      assert.equal(res.status, 400, what);
      assert.equal(res.headers.get('cache-control'), 'no-store', what);
      assert.equal((await res.json() as { error: string }).error, 'invalid_request', what);
    }
    const twice = await fetch(`${insole.issuer}/admin/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `logout_token=${forged}&logout_token=${forged}` });
    assert.equal(twice.status, 400, 'logout_token twice');
    const oversize = await fetch(`${insole.issuer}/admin/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `logout_token=${'x'.repeat(20_000)}` });
    assert.equal(oversize.status, 413, 'a body over 16 kB');
    assert.equal(oversize.headers.get('cache-control'), 'no-store');
    assert.equal(await sloCount(users[OTHER]), before, 'no sign-out recorded');
    await page.waitForTimeout(SIGNED_OUT_TTL_MS); // past any read this instance kept
    assert.equal(await dashboardAnswer(page), 200, 'the session carries on');
  });

  test('a logout token accepted once is refused when posted again, on this instance or another, and records one sign-out (Back-Channel Logout §2.6: jti)', async () => {
    const [key] = await loadSigningKeys(insole.connection, signingKeysBox(insole.config));
    const sub = 'auth0|replayed-logout';
    const token = await new SignJWT({ iss: insole.issuer, aud: DASHBOARD_CLIENT_ID, sub, sid: 'replayed-sid', events: { [EVENT]: {} }, jti: `replay-${Date.now()}` })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: key.kid }).setIssuedAt().sign(await importJWK(key, 'RS256'));
    const post = (base: string) => fetch(`${base}/admin/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
    assert.equal((await post(insole.issuer)).status, 200, 'the first delivery is accepted');
    for (const [where, base] of [['here', insole.issuer], ['on the other instance', `http://127.0.0.1:${second.config.port}`]]) {
      const replay = await post(base);
      assert.equal(replay.status, 400, where);
      assert.equal(replay.headers.get('cache-control'), 'no-store', where);
      assert.deepEqual(await replay.json(), { error: 'invalid_request', error_description: 'logout_token was already used' }, where);
    }
    assert.equal(await sloCount(sub), 1, 'one sign-out recorded');
    const spent = await insole.db.collection('dashboard_logout_tokens').findOne({});
    assert.ok(spent?.expires_at instanceof Date && spent.expires_at.getTime() > Date.now() + 5 * 60_000, 'kept until after its token would be refused for its age');
  });

  test('the dashboard\'s own sign-out ends the sessions of the insole session it left signed in up to it, not one signed in after it with the same sid; a back-channel logout ends every one', async () => {
    const at = Math.floor(Date.now() / 1000);
    const user = 'auth0|left-insole';
    await logs().insertMany([
      { log_id: `left-${at}`, date: new Date(at * 1000), type: 'slo', user_id: user, client_id: DASHBOARD_CLIENT_ID, details: { dashboard_session: 'k-signed-out', insole_session: insoleSessionKey('left-sid') } },
      { log_id: `ended-${at}`, date: new Date(at * 1000), type: 'slo', user_id: user, client_id: DASHBOARD_CLIENT_ID, details: { insole_session: insoleSessionKey('ended-sid') } },
    ]);
    const ends = await createSignedOutSessions(createLogModel(insole.connection), insole.config.ttl).of(user);
    assert.equal(ends.ends({ sid: 'a', insole_sid: 'left-sid', signed_in_at: at - 60 }), 'insole');
    assert.equal(ends.ends({ sid: 'b', insole_sid: 'left-sid', signed_in_at: at + 1 }), undefined, 'signed in after the sign-out, with the sid put back');
    assert.equal(ends.ends({ sid: 'c', insole_sid: 'ended-sid', signed_in_at: at + 60 }), 'insole');
  });

  test('a logout token naming only the user (no sid) ends the user\'s sessions signed in before its iat, not later ones nor another user\'s', async () => {
    const iat = Math.floor(Date.now() / 1000);
    // What the route records for such a token (backchannel-logout.routes.ts); insole itself always sends sid to the dashboard.
    await logs().insertOne({ log_id: `bcl-sub-only-${iat}`, date: new Date(), type: 'slo', user_id: 'auth0|sub-only', client_id: DASHBOARD_CLIENT_ID, details: { signed_in_before: iat } });
    const signedOut = createSignedOutSessions(createLogModel(insole.connection), insole.config.ttl);
    const ends = await signedOut.of('auth0|sub-only');
    assert.equal(ends.ends({ sid: 'a', insole_sid: 'x', signed_in_at: iat - 60 }), 'insole');
    assert.equal(ends.ends({ sid: 'b', signed_in_at: undefined }), 'insole', 'a cookie from before signed_in_at was kept');
    assert.equal(ends.ends({ sid: 'c', insole_sid: 'y', signed_in_at: iat }), undefined, 'signed in at or after the token');
    assert.equal((await signedOut.of('auth0|someone-else')).ends({ sid: 'a', signed_in_at: iat - 60 }), undefined);
  });
});
