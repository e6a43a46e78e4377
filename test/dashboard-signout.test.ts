import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Request } from 'express';
import type { Cookie, Page } from 'playwright-core';
import { SIGNED_OUT_MESSAGE } from '../src/dashboard/session/follow-standing.ts';
import { createSessionCookies } from '../src/dashboard/session/session-cookie.ts';
import { SIGNED_OUT_TTL_MS } from '../src/dashboard/session/signed-out-sessions.ts';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { dashboardClientOf, dashboardUser, readerToken, signInThroughHostedPage, startDashboardInsole } from './support/dashboard.ts';
import { until } from './support/hooks.ts';
import { testDatabaseUri, type TestInsole } from './support/insole.ts';

const EMAIL = 'signout.copy@innovashoes.example';

/**
 * STANDARDS "logout ends the session on the server": the dashboard keeps its session in a sealed
 * cookie, so a copy taken before sign-out (a stolen cookie, a shared machine) carried on until its
 * access token expired. Now every instance refuses it, its refresh token is revoked at insole, and
 * another session of the same user carries on. Two instances behind one issuer, as behind a load
 * balancer: A signs out, B must refuse the copy within SIGNED_OUT_TTL_MS.
 */
describe('dashboard: signing out ends the session for any copy of its cookie', () => {
  let a: TestInsole;
  let b: TestInsole;
  let bUrl: string;
  let signer: TestBrowser;
  let elsewhere: TestBrowser;
  let page: Page;
  let otherPage: Page;
  let copy: Cookie[];
  let csrf: string;
  let signedOutAt: number;

  const cookieHeader = () => copy.map((c) => `${c.name}=${c.value}`).join('; ');
  /** The copied cookies sent by a script, not a browser: what any holder of the copy can do. */
  const replay = (base: string, path: string, accept: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { redirect: 'manual', ...init, headers: { accept, cookie: cookieHeader(), ...init.headers as Record<string, string> } });
  const preview = (base: string) => replay(base, '/admin/segments/preview', 'application/json', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ gender: 'male' }),
  });
  const sessionCleared = (res: Response) => res.headers.getSetCookie().some((c) => /^insole\.dashboard=;/.test(c));

  before(async () => {
    const database = testDatabaseUri();
    const monitored = new URL(database);
    monitored.searchParams.set('monitorCommands', 'true'); // the burst test counts A's reads of sign-outs
    a = await startDashboardInsole({}, monitored.href);
    b = await startDashboardInsole({ issuer: a.issuer }, database); // same issuer, another instance: a load balancer's two
    bUrl = `http://127.0.0.1:${b.config.port}`;
    await dashboardUser(a, await readerToken(a), EMAIL, ['admin']);
    [signer, elsewhere] = [await launchBrowser(), await launchBrowser()];
    page = await signer.newPage();
    await signInThroughHostedPage(page, a, EMAIL, '/admin/segments');
    csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    copy = (await signer.context.cookies(a.issuer)).filter((c) => c.name === 'insole.dashboard' || c.name === 'insole.dashboard.csrf');
    otherPage = await elsewhere.newPage();
    await signInThroughHostedPage(otherPage, a, EMAIL); // the same user, signed in in another browser
    for (const base of [a.issuer, bUrl]) assert.equal((await replay(base, '/admin', 'text/html')).status, 200, `the copy works on ${base} before the sign-out`);
    // Each instance reads the user's sign-outs at most once per SIGNED_OUT_TTL_MS: once the reads
    // above are stale, both read afresh just before the sign-out, and would trust it for that long.
    await page.waitForTimeout(SIGNED_OUT_TTL_MS);
    assert.equal((await preview(a.issuer)).status, 200, 'the copy\'s scripts work too');
    assert.equal((await replay(bUrl, '/admin/users', 'text/html')).status, 200);
    await Promise.all([page.waitForURL(/\/oidc\/logout/), page.getByRole('button', { name: 'Sign out' }).click()]);
    signedOutAt = Date.now();
  });
  after(async () => {
    await signer?.close();
    await elsewhere?.close();
    await b?.stop();
    await a?.stop();
  });

  test('the instance that signed out shows the copy the "Signed out" page at once and clears it; the other session carries on, live', async () => {
    await signer.context.addCookies(copy);
    const res = await page.goto(`${a.issuer}/admin`);
    assert.equal(res?.status(), 401);
    await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
    assert.equal(await page.getByRole('status').textContent(), SIGNED_OUT_MESSAGE);
    assert.equal((await signer.context.cookies(a.issuer)).find((c) => c.name === 'insole.dashboard'), undefined, 'the copied cookie is cleared');
    assert.equal((await otherPage.goto(`${a.issuer}/admin`))?.status(), 200);
    await otherPage.locator('[data-live-state]').filter({ hasText: 'live' }).waitFor();
  });

  test('the copy gets a 401 from the dashboard\'s JSON endpoint and its live stream, and is told to drop the cookie', async () => {
    for (const res of [await preview(a.issuer), await replay(a.issuer, '/admin/live', 'text/event-stream')]) {
      assert.equal(res.status, 401, res.url);
      assert.deepEqual(await res.json(), { error: 'login_required', error_description: SIGNED_OUT_MESSAGE });
      assert.ok(sessionCleared(res), `${res.url} clears the session cookie`);
    }
  });

  test('a burst of requests, the copy\'s among them: the copy refused, the other session served, one read of the user\'s sign-outs between them', async () => {
    const others = (await elsewhere.context.cookies(a.issuer)).map((c) => `${c.name}=${c.value}`).join('; ');
    const reads: unknown[] = [];
    const count = (event: { commandName: string; command: Record<string, unknown> }) => {
      if (event.commandName === 'find' && event.command.find === 'logs' && (event.command.filter as { type?: unknown })?.type === 'slo') reads.push(event.command);
    };
    a.connection.getClient().on('commandStarted', count);
    try {
      const answers = await Promise.all([
        replay(a.issuer, '/admin/users', 'text/html'),
        ...Array.from({ length: 8 }, () => fetch(`${a.issuer}/admin/users`, { redirect: 'manual', headers: { accept: 'text/html', cookie: others } })),
      ]);
      assert.deepEqual(answers.map((res) => res.status), [401, ...Array(8).fill(200)]);
    } finally {
      a.connection.getClient().off('commandStarted', count);
    }
    assert.ok(reads.length <= 1, `${reads.length} reads of the sign-outs for nine requests of one user`);
  });

  test(`another instance, which served the copy just before, refuses it within ${SIGNED_OUT_TTL_MS} ms of the sign-out`, async () => {
    await until('B refuses the copy', async () => (await replay(bUrl, '/admin', 'text/html')).status === 401, SIGNED_OUT_TTL_MS + 3000);
    const took = Date.now() - signedOutAt;
    assert.ok(took <= SIGNED_OUT_TTL_MS + 1000, `refused ${took} ms after the sign-out`);
    await signer.context.addCookies(copy);
    const res = await page.goto(`${bUrl}/admin/users`);
    assert.equal(res?.status(), 401);
    await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
    assert.equal(await page.getByRole('status').textContent(), SIGNED_OUT_MESSAGE);
    assert.equal((await signer.context.cookies(a.issuer)).find((c) => c.name === 'insole.dashboard'), undefined, 'the copied cookie is cleared');
    assert.equal((await otherPage.goto(`${bUrl}/admin/users`))?.status(), 200, 'the other session of the same user is still served');
  });

  test('the session\'s refresh token is revoked at insole: no copy renews it', async () => {
    const session = createSessionCookies(a.config).readSession({ cookies: { 'insole.dashboard': copy.find((c) => c.name === 'insole.dashboard')!.value } } as unknown as Request);
    assert.ok(session?.refresh_token, 'the session held a refresh token');
    const client = await dashboardClientOf(a);
    const res = await fetch(`${a.issuer}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.refresh_token }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json() as { error: string }).error, 'invalid_grant');
  });
});
