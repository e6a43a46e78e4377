import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { UserDoc } from '../src/users/user.model.ts';
import { launchBrowser, screenshot, watchForProblems, type PageProblem, type TestBrowser } from './support/browser.ts';
import { DASHBOARD_PASSWORD, dashboardUser, readerToken, seedShoppers, signInThroughHostedPage, startDashboardInsole } from './support/dashboard.ts';
import { auditAccessibility, chartNumbers, metric } from './support/dashboard-page.ts';
import { until } from './support/hooks.ts';
import type { TestInsole } from './support/insole.ts';
import { api } from './support/management.ts';
import { startInbox, type Inbox } from './support/smtp.ts';

const BOSS = 'pages.boss@innovashoes.example';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** Every dashboard page and the front door: the user actions, sign-out, and what a careful reviewer checks on each page. */
describe('dashboard pages: user actions, sign-out, accessibility, CSP, phone widths', () => {
  let insole: TestInsole;
  let inbox: Inbox;
  let browser: TestBrowser;
  let problems: PageProblem[];
  let page: Page;
  let reader: string;
  let linked: UserDoc;
  const user = async (id: string) => (await api(insole, reader, 'GET', `/users/${encodeURIComponent(id)}`)).body;
  /** Chromium logs a page answered with a 4xx as a console error: drop those logged since `from`, which the test expected. */
  const forgetRefusals = (from: number) => problems.splice(from, Infinity, ...problems.slice(from).filter((p) => !(p.kind === 'console' && /responded with a status of 4\d\d/.test(p.text))));

  before(async () => {
    inbox = await startInbox();
    insole = await startDashboardInsole({ mail: { smtp_url: inbox.url } });
    const users = await seedShoppers(insole, 120);
    linked = users.find((u) => u.identities.length > 1 && u.email)!;
    reader = await readerToken(insole);
    await dashboardUser(insole, reader, BOSS, ['admin']);
    browser = await launchBrowser();
    problems = await watchForProblems(browser.context);
    page = await browser.context.newPage();
    await signInThroughHostedPage(page, insole, BOSS);
  });
  after(async () => {
    await browser?.close();
    await insole?.stop();
    await inbox?.close();
  });

  test('find a user, then block and unblock, lift brute-force blocks and unlink an identity through the Management API', async () => {
    assert.ok(linked, 'a seeded shopper with a linked identity');
    await insole.db.collection('users').updateOne({ user_id: linked.user_id }, { $set: { blocked_for: [{ identifier: linked.email, ip: '203.0.113.9' }] } });
    await page.goto(`${insole.issuer}/admin/users`);
    await page.getByLabel('Find users').fill(linked.email!.split('@')[0]);
    await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Search' }).click()]);
    await Promise.all([page.waitForURL(/\/admin\/users\/.+/), page.getByRole('link', { name: linked.name!, exact: true }).click()]);
    const act = async (button: string, notice: RegExp) => {
      await Promise.all([page.waitForURL(/done=/), page.getByRole('button', { name: button, exact: true }).click()]);
      await page.getByRole('status').filter({ hasText: notice }).waitFor();
    };
    await act('Block', /Blocked/);
    assert.equal((await user(linked.user_id)).blocked, true);
    await act('Unblock', /Unblocked/);
    assert.notEqual((await user(linked.user_id)).blocked, true, 'unblocked (Auth0 leaves out blocked: false)');
    await act('Lift brute-force blocks (1)', /lifted/);
    assert.deepEqual((await api(insole, reader, 'GET', `/user-blocks/${encodeURIComponent(linked.user_id)}`)).body.blocked_for, []);
    const second = linked.identities[1];
    await act(`Unlink ${second.connection} identity`, /unlinked/);
    assert.deepEqual((await user(linked.user_id)).identities.map((i: { connection: string }) => i.connection), [linked.identities[0].connection]);
  });

  test('the user page\'s notice is one of its own: ?done=constructor (toString, __proto__) shows none, not JavaScript\'s internals', async () => {
    for (const done of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const res = await page.request.get(`${insole.issuer}/admin/users/${encodeURIComponent(linked.user_id)}?done=${done}`);
      assert.equal(res.status(), 200, done);
      const html = await res.text();
      assert.doesNotMatch(html, /native code|\[object /, done);
      assert.doesNotMatch(html, /class="notice"/, done);
    }
  });

  test('resend verification from the user page mails the user a link; for a verified address the API refuses and the page says why', async () => {
    const created = await api(insole, reader, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'pages.unverified@innovashoes.example', password: 'a long enough secret', verify_email: false, name: 'Unverified Shopper' });
    await page.goto(`${insole.issuer}/admin/users/${encodeURIComponent(created.body.user_id)}`);
    await Promise.all([page.waitForURL(/done=resend-verification/), page.getByRole('button', { name: 'Resend verification email' }).click()]);
    await inbox.waitFor('pages.unverified@innovashoes.example', /Confirm your email/);
    const id = encodeURIComponent(linked.user_id);
    // The button shows only for unverified addresses; the API's refusal still reaches the page when a post is made anyway.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const res = await page.request.post(`${insole.issuer}/admin/users/${id}/resend-verification`, { form: { _csrf: csrf }, headers: { accept: 'text/html' } });
    assert.equal(res.status(), 400);
    assert.match(await res.text(), /already verified/);
  });

  test('the builder\'s preview after a bad number shows the message and no count, not the last good one', async () => {
    const logged = problems.length;
    await page.goto(`${insole.issuer}/admin/segments`);
    const panel = page.locator('[data-preview]');
    const state = (value: string) => page.waitForFunction((v) => document.querySelector('[data-preview]')!.getAttribute('data-preview-state') === v, value);
    await Promise.all([state('done'), page.getByLabel('Gender').selectOption('female')]);
    assert.notEqual(await panel.locator('[data-preview-count]').textContent(), '—');
    await Promise.all([state('error'), page.getByLabel('Age from').fill('x')]);
    assert.equal(await panel.locator('[data-preview-error]').textContent(), 'Age from: enter a whole number.');
    assert.equal(await panel.locator('[data-preview-count]').textContent(), '—');
    assert.equal(await panel.locator('[data-preview-description]').textContent(), '');
    forgetRefusals(logged);
  });

  test('a bad number in the builder shows the builder again with the message and the form as typed, for saving and for the download', async () => {
    const logged = problems.length;
    await page.goto(`${insole.issuer}/admin/segments`);
    await page.getByLabel('Gender').selectOption('female');
    await page.getByLabel('Age from').fill('abc');
    await page.getByLabel('Name', { exact: true }).fill('Women, typed wrong');
    for (const button of ['Save the segment', 'Download its users (CSV)']) {
      const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), page.getByRole('button', { name: button }).click()]);
      assert.equal(res.status(), 400, button);
      await page.getByRole('alert').filter({ hasText: 'Age from: enter a whole number.' }).waitFor();
      assert.deepEqual([await page.getByLabel('Gender').inputValue(), await page.getByLabel('Age from').inputValue(), await page.getByLabel('Name', { exact: true }).inputValue()], ['female', 'abc', 'Women, typed wrong'], button);
    }
    forgetRefusals(logged);
  });

  test('the builder saves segments whose names make the same key (女性, then 男性), and the notice names the segment', async () => {
    for (const name of ['Größe 名前 👟 Läufer', '女性', '男性']) {
      await page.goto(`${insole.issuer}/admin/segments`);
      await page.getByLabel('Gender').selectOption('female');
      await page.getByLabel('Name', { exact: true }).fill(name);
      await Promise.all([page.waitForURL(/saved=/), page.getByRole('button', { name: 'Save the segment' }).click()]);
      await page.getByRole('status').filter({ hasText: `Saved the segment ${name}.` }).waitFor();
    }
    const saved = (await api(insole, reader, 'GET', '/segments')).body as { name: string }[];
    assert.deepEqual(saved.map((s) => s.name).filter((n) => ['女性', '男性'].includes(n)).sort(), ['女性', '男性']);
  });

  test('an action another tab made moot (delete a deleted segment, create the pre-order segment twice) is shown on the segments page with the API\'s message', async () => {
    const name = 'Deleted in another tab';
    const logged = problems.length;
    await api(insole, reader, 'POST', '/segments', { name, filter: { gender: 'male' } });
    const other = await browser.context.newPage();
    try {
      const tabs = [page, other];
      for (const tab of tabs) await tab.goto(`${insole.issuer}/admin/segments`);
      await Promise.all([page.waitForURL(/deleted=/), page.getByRole('button', { name: `Delete ${name}` }).click()]);
      const [gone] = await Promise.all([other.waitForResponse((r) => r.request().isNavigationRequest()), other.getByRole('button', { name: `Delete ${name}` }).click()]);
      assert.equal(gone.status(), 404);
      await other.getByRole('alert').filter({ hasText: 'The segment does not exist.' }).waitFor();
      await other.getByRole('heading', { name: 'Build a segment' }).waitFor();

      for (const tab of tabs) await tab.goto(`${insole.issuer}/admin/segments`);
      await Promise.all([page.waitForURL(/saved=/), page.getByRole('button', { name: 'Create the pre-order segment' }).click()]);
      const [twice] = await Promise.all([other.waitForResponse((r) => r.request().isNavigationRequest()), other.getByRole('button', { name: 'Create the pre-order segment' }).click()]);
      assert.equal(twice.status(), 409);
      await other.getByRole('alert').filter({ hasText: 'exists already' }).waitFor();
    } finally {
      await other.close();
    }
    forgetRefusals(logged);
  });

  test('long names without spaces wrap: no page is wider than the screen, and the segments table keeps its counts in view', async () => {
    const long = `${'X'.repeat(190)} Läufer`;
    const segment = (await api(insole, reader, 'POST', '/segments', { name: long, filter: { gender: 'male' } })).body;
    const person = (await api(insole, reader, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'pages.long@innovashoes.example', password: 'a long enough secret', verify_email: false, name: `${'Y'.repeat(190)} Läufer` })).body;
    const paths = ['/admin', `/admin/segments?saved=${encodeURIComponent(long)}`, `/admin/segments/${segment.id}`, `/admin/users/${encodeURIComponent(person.user_id)}`, '/admin/users?q=pages.long'];
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      await page.setViewportSize(viewport);
      for (const path of paths) {
        await page.goto(`${insole.issuer}${path}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${path} at ${size}: ${overflow}px wider than the screen`);
      }
      await page.goto(`${insole.issuer}/admin/segments`);
      const [cell, box] = await Promise.all([page.locator(`tr[data-segment="${segment.key}"] td`).first().boundingBox(), page.locator('table[data-table="segments"]').locator('xpath=..').boundingBox()]);
      assert.ok(cell!.x + cell!.width <= box!.x + box!.width + 1, `at ${size}: the segment's count is in view (cell ends at ${cell!.x + cell!.width}, its box at ${box!.x + box!.width})`);
      await screenshot(page, `dashboard-long-names-${size}`);
    }
    await page.setViewportSize(DESKTOP);
  });

  test('every page: no console error, no CSP violation, no serious or critical axe finding, no sideways scrolling on a phone; screenshots', async () => {
    const segment = await api(insole, reader, 'POST', '/segments', { name: 'Fitness fans', filter: { interests: 'fitness' } });
    const pages: [string, string][] = [
      ['front-door', '/'], ['dashboard', '/admin'], ['segments', '/admin/segments?start=pre-order'], ['segment', `/admin/segments/${segment.body.id}`],
      ['list-never-returned', '/admin/lists/never-returned'], ['list-unhappy', '/admin/lists/unhappy'], ['users', '/admin/users?q=shopper1'],
      ['user', `/admin/users/${encodeURIComponent(linked.user_id)}`],
    ];
    for (const [name, path] of pages) {
      for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
        await page.setViewportSize(viewport);
        const res = await page.goto(`${insole.issuer}${path}`);
        assert.equal(res?.status(), 200, `${path}`);
        await page.waitForLoadState('networkidle').catch(() => {}); // the live stream keeps the network busy on /admin
        await screenshot(page, `dashboard-${name}-${size}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${path} at ${size}: ${overflow}px wider than the screen`);
        if (size === 'desktop') assert.deepEqual(await auditAccessibility(page), [], `${path}: axe`);
      }
    }
    await page.setViewportSize(DESKTOP);
    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
  });

  test('sign-out ends the dashboard session and insole\'s own (RP-initiated logout); /admin then asks to sign in again', async () => {
    await page.goto(`${insole.issuer}/admin`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await Promise.all([page.waitForURL(/\/admin\/signed-out/), page.getByRole('button', { name: 'Yes, sign me out' }).click()]);
    await page.getByText('You are signed out of the dashboard.').waitFor();
    assert.deepEqual(await auditAccessibility(page), []);
    await screenshot(page, 'dashboard-signed-out-desktop');
    const cookies = await browser.context.cookies(insole.issuer);
    assert.equal(cookies.find((c) => c.name === 'insole.dashboard'), undefined, 'the session cookie is gone');
    await page.goto(`${insole.issuer}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor(); // insole asks for the password again: its own session ended too
    assert.deepEqual(problems, []);
  });

  // The ID token carries the profile's names and picture: at their longest they made the session cookie too big, and the callback a 500.
  test('an admin whose profile fills the ID token (300-character names, a long picture URL) signs in, works, and signs out', async () => {
    const email = 'pages.long.names@innovashoes.example';
    const patched = await api(insole, reader, 'PATCH', `/users/${encodeURIComponent((await dashboardUser(insole, reader, email, ['admin'])).user_id)}`, {
      name: '名前'.repeat(150), nickname: 'ニックネーム'.repeat(50), given_name: 'Läufer'.repeat(25), family_name: 'Größe'.repeat(30),
      picture: `https://images.innovashoes.example/${'p'.repeat(1900)}.png`,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const callback = page.waitForResponse((res) => new URL(res.url()).pathname === '/admin/callback');
    await signInThroughHostedPage(page, insole, email);
    assert.equal((await callback).status(), 303, 'signed in, not a server error');
    await page.getByText(`Signed in as ${email}`).waitFor();
    await page.goto(`${insole.issuer}/admin/users/${encodeURIComponent(linked.user_id)}`);
    await Promise.all([page.waitForURL(/done=block/), page.getByRole('button', { name: 'Block', exact: true }).click()]);
    assert.equal((await user(linked.user_id)).blocked, true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await Promise.all([page.waitForURL(/\/admin\/signed-out/), page.getByRole('button', { name: 'Yes, sign me out' }).click()]);
    await page.goto(`${insole.issuer}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });

  // Each tab's sign-in wrote its state to the one flow cookie: the tab signed in first found the other's and said "Sign-in expired".
  test('two tabs sent to sign in at once (a browser restoring them): signing in in each lands on its own page', async () => {
    const other = await browser.context.newPage();
    try {
      const tabs: [Page, string][] = [[page, '/admin/segments'], [other, '/admin/users']];
      for (const [tab, path] of tabs) {
        await tab.goto(`${insole.issuer}${path}`);
        await tab.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      }
      for (const [tab, path] of tabs) {
        await tab.getByLabel('Email').fill(BOSS);
        await tab.getByLabel('Password').fill(DASHBOARD_PASSWORD);
        const [callback] = await Promise.all([tab.waitForResponse((res) => new URL(res.url()).pathname === '/admin/callback'), tab.getByRole('button', { name: 'Sign in' }).click()]);
        assert.equal(callback.status(), 303, path);
        await tab.waitForURL((url) => url.pathname === path);
      }
    } finally {
      await other.close();
    }
  });
});

/** Live activity with access tokens of 40 s (renewed in their last 30): the hour of a real session, in a test's time. */
describe('live activity in open tabs, with short access tokens', () => {
  let insole: TestInsole;
  let browser: TestBrowser;
  before(async () => {
    insole = await startDashboardInsole({ ttl: { access_token: 40 } });
    await dashboardUser(insole, await readerToken(insole), BOSS, ['admin']);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await insole?.stop();
  });

  // Both streams end at the token's expiry, at the same instant. Reconnecting together, both renewed the
  // session with one refresh token: when the second came a moment after the first, insole revoked it
  // for the reuse and that tab was told 401 (when they came at the very same moment, both passed).
  test('two tabs: both live streams come back after the token runs out, with one renewal between them, and none is refused', async () => {
    const tabs = [await browser.context.newPage(), await browser.context.newPage()];
    const streams = tabs.map((tab) => {
      const statuses: number[] = [];
      tab.on('response', (res) => { if (new URL(res.url()).pathname === '/admin/live') statuses.push(res.status()); });
      return statuses;
    });
    await signInThroughHostedPage(tabs[0], insole, BOSS);
    await tabs[1].goto(`${insole.issuer}/admin`);
    for (const tab of tabs) await tab.locator('[data-live-state]').filter({ hasText: 'live' }).waitFor();
    // Past the expiry, each tab's stream answered once more.
    await until('both streams answered again after the expiry', () => streams.every((statuses) => statuses.length >= 2), 60_000);
    assert.deepEqual(streams, [[200, 200], [200, 200]]);
    const refreshTokens = await insole.db.collection('oidc_flow').countDocuments({ model: 'RefreshToken', 'payload.clientId': 'insole-dashboard' });
    assert.equal(refreshTokens, 2, "the sign-in's, and one renewal's");
    for (const tab of tabs) await tab.locator('[data-live-state]').filter({ hasText: 'live' }).waitFor();
    for (const tab of tabs) await tab.close();
  });

  test('a live sign-in with a connection the range has not seen adds its column to the numbers under the chart, as it adds its series to the chart', async () => {
    const tab = await browser.context.newPage();
    await tab.goto(`${insole.issuer}/admin`);
    await tab.locator('[data-live-state]').filter({ hasText: 'live' }).waitFor();
    const before = await metric(tab, 'signins');
    const now = new Date();
    await insole.db.collection('logs').insertOne({ log_id: `live-${now.getTime()}`, date: now, type: 's', connection: 'google-oauth2', user_id: 'google-oauth2|1077', user_name: 'new.face@innovashoes.example', ip: '203.0.113.7' });
    await tab.locator('[data-live-item]').filter({ hasText: 'with google-oauth2' }).waitFor();
    assert.equal(await metric(tab, 'signins'), before + 1);
    assert.equal((await chartNumbers(tab, 'signins'))[now.toISOString().slice(0, 10)]['google-oauth2'], 1);
  });
});
