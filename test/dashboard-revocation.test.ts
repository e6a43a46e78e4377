import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { LIVE_RECHECK_MS } from '../src/dashboard/http/live.routes.ts';
import { STANDING_TTL_MS } from '../src/users/role-standing.ts';
import { launchBrowser, watchForProblems, type PageProblem, type TestBrowser } from './support/browser.ts';
import { dashboardUser, READER, signInThroughHostedPage, startDashboardInsole } from './support/dashboard.ts';
import type { TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';

/** The dashboard's users, made and unmade by an operator allowed to give and take roles. */
const OPERATOR = { ...READER, client_id: 'revocation-operator', scopes: [...READER.scopes, 'delete:users', 'delete:role_members'] };
/** A change on the server reaches an open stream within the re-check and the standing's cache, and a page load after. */
const STREAM_BOUND_MS = LIVE_RECHECK_MS + STANDING_TTL_MS;

/**
 * An admin who loses access loses it now: the open dashboard's live stream ends and says why, the
 * next page says why instead of "Something went wrong", and signing out in one tab ends the live
 * streams of the others.
 */
describe('dashboard: access taken away, or signed out, ends what is open', () => {
  let insole: TestInsole;
  let browser: TestBrowser;
  let problems: PageProblem[];
  let operator: string;
  const liveState = (page: Page) => page.locator('[data-live-state]');

  before(async () => {
    insole = await startDashboardInsole({ clients: [m2mClientConfig(OPERATOR)] });
    operator = (await managementToken(insole, OPERATOR)).access_token;
    browser = await launchBrowser();
    problems = await watchForProblems(browser.context);
  });
  after(async () => {
    await browser?.close();
    await insole?.stop();
  });
  // Each test signs in its own user: insole's own session of the one before must not sign it in.
  beforeEach(() => browser.context.clearCookies());

  /** A new admin, signed in, with the overview open and its stream live. */
  async function liveAdmin(email: string): Promise<{ page: Page; userId: string }> {
    const { user_id: userId } = await dashboardUser(insole, operator, email, ['admin']);
    const page = await browser.context.newPage();
    await signInThroughHostedPage(page, insole, email);
    await liveState(page).filter({ hasText: 'live' }).waitFor();
    return { page, userId };
  }

  test('signing out in one tab ends the live stream in the other at once, saying so, and records a dashboard slo', async () => {
    const { page, userId } = await liveAdmin('revoke.signout@innovashoes.example');
    const other = await browser.context.newPage();
    await other.goto(`${insole.issuer}/admin`);
    await liveState(other).filter({ hasText: 'live' }).waitFor();
    const started = Date.now();
    await Promise.all([page.waitForURL(/\/oidc\/logout/), page.getByRole('button', { name: 'Sign out' }).click()]);
    await liveState(other).filter({ hasText: 'stopped. You signed out of the dashboard. Reload the page to sign in again.' }).waitFor({ timeout: 5000 });
    assert.ok(Date.now() - started < 3000, `ended ${Date.now() - started} ms after the sign-out (the feed reads the logs each second)`);
    const slo = await insole.db.collection('logs').findOne({ type: 'slo', user_id: userId, client_id: 'insole-dashboard' });
    assert.match(String(slo?.details?.dashboard_session), /^[\w-]{22}$/, 'the session named by its key');
    for (const tab of [page, other]) await tab.close();
  });

  test('a blocked admin\'s stream ends within seconds saying why; the next page says why and clears the session', async () => {
    const { page, userId } = await liveAdmin('revoke.blocked@innovashoes.example');
    const builder = await browser.context.newPage();
    await builder.goto(`${insole.issuer}/admin/segments`);
    assert.equal((await api(insole, operator, 'PATCH', `/users/${encodeURIComponent(userId)}`, { blocked: true })).status, 200);
    const started = Date.now();
    await liveState(page).filter({ hasText: 'stopped. Your dashboard session has ended: your account is blocked.' }).waitFor({ timeout: STREAM_BOUND_MS + 3000 });
    assert.ok(Date.now() - started <= STREAM_BOUND_MS + 1000, `ended ${Date.now() - started} ms after the block`);
    // The builder, open in another tab, previews as the form changes: its script says why too. That
    // answer clears the session cookie; put it back, as a tab that asked nothing yet would still send it.
    const session = (await browser.context.cookies(insole.issuer)).filter((c) => c.name === 'insole.dashboard');
    await builder.getByLabel('Gender').selectOption('male');
    await builder.locator('[data-preview-error]').filter({ hasText: 'Your dashboard session has ended: your account is blocked.' }).waitFor();
    await builder.close();
    await browser.context.addCookies(session);
    const reload = await page.reload();
    assert.equal(reload?.status(), 401);
    await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor();
    assert.equal(await page.getByRole('status').textContent(), 'Your dashboard session has ended: your account is blocked.');
    assert.equal((await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href')), '/admin/login?return_to=%2Fadmin');
    assert.equal((await browser.context.cookies(insole.issuer)).find((c) => c.name === 'insole.dashboard'), undefined, 'the session cookie is gone');
    await page.close();
  });

  test('an admin made marketing sees and is offered what marketing may do at the next page; with no role left, the stream ends saying why and the next page is "No access"', async () => {
    const { page, userId } = await liveAdmin('revoke.role@innovashoes.example');
    const setRoles = async (roles: string[]) => assert.equal((await api(insole, operator, 'PATCH', `/users/${encodeURIComponent(userId)}`, { app_metadata: { roles } })).status, 200);
    const who = page.getByText(/^Signed in as revoke\.role@innovashoes\.example/);
    assert.match(await who.textContent() ?? '', / · admin$/);
    await setRoles(['marketing']);
    await page.waitForTimeout(STANDING_TTL_MS);
    await page.goto(`${insole.issuer}/admin/users/${encodeURIComponent(userId)}`);
    assert.match(await who.textContent() ?? '', / · marketing$/, 'the header names the role held now, not the token\'s');
    assert.equal(await page.getByRole('button', { name: 'Block', exact: true }).count(), 0, 'marketing may not block: not offered');
    await page.goto(`${insole.issuer}/admin`);
    await liveState(page).filter({ hasText: 'live' }).waitFor(); // marketing reads the logs too
    await setRoles([]);
    await liveState(page).filter({ hasText: 'stopped. Live activity needs the read:logs scope, which your dashboard role no longer gives.' }).waitFor({ timeout: STREAM_BOUND_MS + 3000 });
    const reload = await page.reload();
    assert.equal(reload?.status(), 403);
    await page.getByText(/signed in as revoke\.role@innovashoes\.example, which has no dashboard role/).waitFor();
    await page.close();
  });

  test('no page errors or CSP violations along the way (a refused page is a 4xx, which Chromium logs)', () => {
    assert.deepEqual(problems.filter((p) => !(p.kind === 'console' && /status of 4\d\d/.test(p.text))), []);
  });
});
