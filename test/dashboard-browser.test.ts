import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { toLiveSignIn, type LiveLog } from '../src/dashboard/live/live-events.ts';
import { launchBrowser, screenshot, watchForProblems, type PageProblem, type TestBrowser } from './support/browser.ts';
import { dashboardUser, READER, readerToken, seedShoppers, shown, signInThroughHostedPage, startDashboardInsole } from './support/dashboard.ts';
import { auditAccessibility, chartNumbers, metric, tableOf } from './support/dashboard-page.ts';
import { signInLogsWritten, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api } from './support/management.ts';

const DAY = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const BOSS = 'boss@innovashoes.example';
const MAX_AGE = 600;

/**
 * The dashboard in Chromium, signed in through insole's own hosted page: what it shows is what the
 * Management API answers (read here with an M2M token over the same data), its builder previews
 * and saves through the API, a sign-in on another instance shows up live, downloads are the API's
 * CSV, nobody without a role gets in, and every page passes the browser's and axe's checks.
 */
describe('the marketing dashboard in a browser', () => {
  let a: TestInsole;
  let b: TestInsole;
  let browser: TestBrowser;
  let problems: PageProblem[];
  let page: Page;
  let reader: string;
  const get = async (path: string) => {
    const res = await api(a, reader, 'GET', path);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /**
   * What the page replays onto an overview: the sign-ins logged after its as_of (the API's overview
   * is as of a moment a little before it was computed, so that every sign-in before that moment is
   * in it), by day and connection, as the live feed counts them (toLiveSignIn).
   */
  const replayedAfter = async (asOf: string) => {
    await signInLogsWritten(a.db);
    const logs = await a.db.collection<LiveLog>('logs').find({ type: { $in: ['s', 'ss'] }, date: { $gt: new Date(asOf) } }).toArray();
    const cells: Record<string, Record<string, { signups: number; signins: number }>> = {};
    let users = 0;
    for (const { connection, delta } of logs.map((log) => toLiveSignIn(log, undefined))) {
      const cell = ((cells[delta.day] ??= {})[connection] ??= { signups: 0, signins: 0 });
      users += delta.users;
      cell.signups += delta.signups;
      cell.signins += delta.signins;
    }
    const total = (what: 'signups' | 'signins') => Object.values(cells).flatMap((day) => Object.values(day)).reduce((n, cell) => n + cell[what], 0);
    return { users, cells, signups: total('signups'), signins: total('signins') };
  };
  const liveTotal = async (overview: { as_of: string; days: { signins: number }[] }) =>
    overview.days.reduce((t, d) => t + d.signins, 0) + (await replayedAfter(overview.as_of)).signins;

  before(async () => {
    const database = testDatabaseUri();
    // Roll-ups of up to 10 minutes: none is refreshed while the file runs, so the page and the API read the same ones.
    a = await startDashboardInsole({ dashboard: { report_max_age_seconds: MAX_AGE } }, database);
    b = await startDashboardInsole({ dashboard: { report_max_age_seconds: MAX_AGE } }, database); // a second instance on the same database
    await seedShoppers(a);
    reader = await readerToken(a);
    await dashboardUser(a, reader, BOSS, ['admin']);
    await dashboardUser(a, reader, 'marketer@innovashoes.example', ['marketing']);
    await dashboardUser(a, reader, 'shopper.live@innovashoes.example', []);
    browser = await launchBrowser();
    problems = await watchForProblems(browser.context);
    page = await browser.context.newPage();
  });
  after(async () => {
    await browser?.close();
    await b?.stop();
    await a?.stop();
  });

  test('a signed-out visitor is sent to the hosted sign-in page; the admin signs in there and lands on the dashboard', async () => {
    await signInThroughHostedPage(page, a, BOSS);
    assert.equal(new URL(page.url()).pathname, '/admin');
    await assert.doesNotReject(page.getByText(`Signed in as ${BOSS}`).waitFor());
    assert.equal(await page.locator('.who').textContent().then((t) => /admin/.test(t ?? '')), true, 'the role is shown');
    await page.waitForFunction(() => (window as unknown as { Chart?: { instances: object } }).Chart !== undefined);
    const drawn = await page.evaluate(() => Object.keys((window as unknown as { Chart: { instances: object } }).Chart.instances).length);
    assert.equal(drawn, await page.locator('canvas[data-chart]').count(), 'every chart is drawn');
    const cookie = (await browser.context.cookies(a.issuer)).find((c) => c.name === 'insole.dashboard');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Lax', 'the session cookie: HttpOnly, SameSite=Lax');
    assert.ok(cookie.name.length + cookie.value.length < 4000, `the session cookie fits a browser (${cookie.value.length} bytes)`);
    // A JWT, or JSON in base64url, has a part that starts with `eyJ` (`{"`). Anywhere in the value, `eyJ`
    // also turns up by chance in about 1 % of random ciphertexts this long (it failed CI once).
    assert.ok(cookie.value.split('.').every((part) => !part.startsWith('eyJ')), 'sealed: no token or JSON readable in it');
  });

  test('every widget shows the numbers the Management API answers', async () => {
    const now = Date.now();
    const from = dayOf(now - 29 * DAY);
    await page.goto(`${a.issuer}/admin`);
    // The summaries and short lists the page drew are roll-ups (max_age): the API gives the same ones for the same question.
    const [overview, lifecycle, never, dormant, neverRows, dormantRows, unhappy, demographics] = await Promise.all([
      get(`/reports/overview?from=${from}&to=${dayOf(now + DAY)}&max_age=${MAX_AGE}`), get(`/reports/lifecycle?weeks=12&max_age=${MAX_AGE}`),
      get(`/reports/dormant/summary?mode=never_returned&max_age=${MAX_AGE}`), get(`/reports/dormant/summary?mode=inactive&max_age=${MAX_AGE}`),
      get(`/reports/dormant?mode=never_returned&take=5&max_age=${MAX_AGE}`), get(`/reports/dormant?mode=inactive&take=5&max_age=${MAX_AGE}`),
      get(`/reports/sentiment?label=negative&take=5&max_age=${MAX_AGE}`), get(`/reports/demographics?max_age=${MAX_AGE}`),
    ]);
    assert.equal(await page.locator('[data-live-since]').getAttribute('data-live-since'), overview.as_of, 'the overview the page drew');
    // The page draws the overview and replays the sign-ins after its as_of (the boss's own, at least) onto it.
    await page.locator('[data-live-state]').filter({ hasText: 'live' }).waitFor();
    const replayed = await replayedAfter(overview.as_of);
    assert.ok(replayed.signins >= 1, 'the boss signed in after the as_of of the overview drawn then');
    const sum = (what: 'signups' | 'signins') => overview.days.reduce((total: number, d: Record<string, number>) => total + d[what], 0);
    const expected = { users: overview.users_total + replayed.users, signups: sum('signups') + replayed.signups, signins: sum('signins') + replayed.signins, ...overview.active_users };
    const shownNow = async () => ({ users: await metric(page, 'users_total'), signups: await metric(page, 'signups'), signins: await metric(page, 'signins'), ...Object.fromEntries(await Promise.all(['dau', 'wau', 'mau'].map(async (m) => [m, await metric(page, m)]))) });
    // The replay arrives over the live connection just after it opens: give it a moment, then compare.
    for (const deadline = Date.now() + 5_000; Date.now() < deadline && (await metric(page, 'signins')) !== expected.signins;) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await shownNow(), expected);
    assert.ok(sum('signins') > 20, 'the range has sign-ins to show');
    for (const what of ['signups', 'signins'] as const) {
      const table = await chartNumbers(page, what);
      for (const day of overview.days) {
        const live = replayed.cells[day.date] ?? {};
        for (const c of day.connections) assert.equal(table[day.date][c.connection], c[what] + (live[c.connection]?.[what] ?? 0), `${what} ${day.date} ${c.connection}`);
        const liveDay = Object.values(live).reduce((n, cell) => n + cell[what], 0);
        assert.equal(Object.values(table[day.date]).reduce((s, n) => s + n, 0), day[what] + liveDay, `${what} on ${day.date}`);
      }
    }
    const states = await chartNumbers(page, 'lifecycle');
    for (const [state, count] of Object.entries(lifecycle.states)) assert.equal(states[state.replace('_', ' ')].Users, count, state);
    const cohorts = await tableOf(page, 'table[data-table="cohorts"]');
    for (const [i, cohort] of (lifecycle.cohorts as { week: string; users: number; retention: { share: number }[] }[]).entries()) {
      const row = cohorts[i + 1];
      assert.deepEqual([row[0], shown(row[1])], [cohort.week, cohort.users]);
      assert.deepEqual(row.slice(2, 2 + cohort.retention.length), cohort.retention.map((r) => `${(r.share * 100).toFixed(1)}%`), cohort.week);
    }
    for (const [id, summary, rows] of [['never_returned', never, neverRows], ['inactive', dormant, dormantRows]] as const) {
      assert.equal(await metric(page, `${id}_total`), summary.total, id);
      const trend = await chartNumbers(page, id);
      for (const w of summary.weeks) assert.equal(trend[w.week].Users, w.users, `${id} ${w.week}`);
      assert.deepEqual(await page.locator(`[data-list="${id}"] a`).allTextContents(), rows.map((r: { name: string | null; email: string | null; user_id: string }) => r.name ?? r.email ?? r.user_id));
    }
    assert.deepEqual(await page.locator('[data-list="unhappy"] a').allTextContents(), unhappy.map((r: { name: string }) => r.name));
    assert.equal(await metric(page, 'enriched_users'), demographics.users);
    const age = await chartNumbers(page, 'age');
    for (const bucket of demographics.age) assert.equal(age[bucket.bucket].Users, bucket.count, bucket.bucket);
    const gender = await chartNumbers(page, 'gender');
    for (const g of demographics.gender) assert.equal(gender[g.value].Users, g.count, g.value);
    assert.deepEqual(Object.entries(await chartNumbers(page, 'topics')).map(([topic, n]) => [topic, n.Users]), demographics.topics.map((t: { topic: string; users: number }) => [t.topic, t.users]));
    const sentiment = await chartNumbers(page, 'sentiment');
    for (const [label, count] of Object.entries(overview.sentiment)) assert.equal(sentiment[label === 'none' ? 'not analysed' : label].Users, count, label);
    const enrichment = await chartNumbers(page, 'enrichment');
    assert.deepEqual([enrichment.matched.Users, enrichment['no match'].Users, enrichment.pending.Users, enrichment['not checked'].Users], [overview.enrichment.matched, overview.enrichment.no_match, overview.enrichment.pending, overview.enrichment.none]);
    assert.equal(await metric(page, 'enrichment_matched'), overview.enrichment.matched);
    const hooks = await tableOf(page, 'table[data-table="hooks"]');
    assert.deepEqual(hooks.slice(1).map((r) => [r[0], ...r.slice(1).map(shown)]), overview.hook_jobs.map((h: Record<string, number>) => [h.hook, h.queued, h.retrying, h.running, h.dead]));
    assert.equal(await metric(page, 'outbox_unsent'), overview.events.outbox_unsent);
    assert.equal(await metric(page, 'pending_events'), overview.events.pending_events);
  });

  test('saved segments: the pre-order segment is created from the dashboard and listed first, with its size from the API', async () => {
    await page.goto(`${a.issuer}/admin`);
    await Promise.all([page.waitForURL(/\/admin\/segments\?saved=/), page.getByRole('button', { name: 'Create the pre-order segment' }).click()]);
    await page.getByRole('status').filter({ hasText: 'Saved the segment Pre-order: men 20–40 into fitness.' }).waitFor();
    const segments = await get('/segments') as { key: string; name: string; count: number; is_calculating: boolean; recent: { entered: number; exited: number } }[];
    const preorder = segments.find((s) => s.key === 'pre-order');
    assert.deepEqual((await get(`/segments/${(segments.find((s) => s.key === 'pre-order') as unknown as { id: string }).id}`)).filter, { gender: 'male', age: { min: 20, max: 40 }, interests: 'fitness' });
    assert.ok(preorder);
    await page.goto(`${a.issuer}/admin`);
    const rows = await tableOf(page, 'table[data-table="segments"]');
    assert.match(rows[1][0], /^Pre-order/, 'the pre-order segment first');
    const current = await get('/segments') as typeof segments;
    const shownPreorder = current.find((s) => s.key === 'pre-order')!;
    assert.deepEqual(rows[1].slice(1, 4).map(shown), [shownPreorder.count, shownPreorder.recent.entered, shownPreorder.recent.exited]);
    assert.equal(await page.getByRole('button', { name: 'Create the pre-order segment' }).count(), 0, 'offered only while it is missing');
  });

  test("the segment builder previews what POST /reports/segments/preview answers as the filters change, and saving creates the segment", async () => {
    await page.goto(`${a.issuer}/admin/segments`);
    const panel = page.locator('[data-preview]');
    const settle = async (change: () => Promise<void>) => {
      const before = await panel.locator('[data-preview-filter]').textContent();
      await change();
      await page.waitForFunction((old) => {
        const el = document.querySelector('[data-preview]')!;
        return el.getAttribute('data-preview-state') === 'done' && el.querySelector('[data-preview-filter]')!.textContent !== old;
      }, before);
    };
    const compare = async () => {
      const filter = JSON.parse((await panel.locator('[data-preview-filter]').textContent())!);
      const preview = await api(a, reader, 'POST', '/reports/segments/preview', { filter });
      assert.equal(preview.status, 200);
      assert.equal(shown(await panel.locator('[data-preview-count]').textContent()), preview.body.count, JSON.stringify(filter));
      assert.equal(await panel.locator('[data-preview-description]').textContent(), preview.body.description);
      for (const dimension of ['age', 'gender', 'country', 'connection']) {
        const [, ...rows] = await tableOf(page, `table[data-breakdown="${dimension}"]`);
        assert.deepEqual(rows.map(([k, n]) => [k, shown(n)]), preview.body.breakdown[dimension].map((r: { bucket?: string; value?: string; count: number }) => [r.bucket ?? r.value, r.count]), dimension);
      }
      return { filter, count: preview.body.count as number };
    };
    await settle(async () => { await page.getByLabel('Gender').selectOption('male'); });
    assert.deepEqual((await compare()).filter, { gender: 'male' });
    await settle(async () => { await page.getByLabel('Age from').fill('20'); await page.getByLabel('Age to').fill('40'); });
    await settle(() => page.getByLabel('Interests (comma-separated)').fill('fitness'));
    const preorder = await compare();
    assert.deepEqual(preorder.filter, { gender: 'male', age: { min: 20, max: 40 }, interests: 'fitness' });
    assert.ok(preorder.count > 0, 'the seed has pre-order shoppers');
    await settle(() => page.getByRole('checkbox', { name: 'facebook' }).check());
    const narrowed = await compare();
    assert.deepEqual(narrowed.filter.connection, 'facebook');

    await page.getByLabel('Name', { exact: true }).fill('Fit men on Facebook');
    await Promise.all([page.waitForURL(/saved=/), page.getByRole('button', { name: 'Save the segment' }).click()]);
    await page.getByText('Saved the segment').waitFor();
    const saved = (await get('/segments') as { name: string; filter: unknown }[]).find((s) => s.name === 'Fit men on Facebook');
    assert.deepEqual(saved?.filter, narrowed.filter, 'the filter saved is the filter previewed');
  });

  test('downloads are the Management API\'s CSV, row for row', async () => {
    const csvOf = async (path: string, body?: unknown) => (await fetch(`${a.issuer}/api/v2${path}`, {
      method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${reader}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    })).text();
    const download = async (click: () => Promise<void>) => {
      const [file] = await Promise.all([page.waitForEvent('download'), click()]);
      return { name: file.suggestedFilename(), text: await readFile((await file.path())!, 'utf8') };
    };
    await page.goto(`${a.issuer}/admin`);
    const lists = [
      ['never_returned', '/reports/dormant?mode=never_returned&format=csv', 'dormant-never_returned.csv'],
      ['inactive', '/reports/dormant?mode=inactive&format=csv', 'dormant-inactive.csv'],
      ['unhappy', '/reports/sentiment?label=negative&format=csv', 'sentiment-negative.csv'],
    ] as const;
    for (const [id, path, name] of lists) {
      const card = page.locator('section.card').filter({ has: page.locator(`[data-list="${id}"]`) });
      const file = await download(() => card.getByRole('link', { name: 'Download CSV' }).click());
      const expected = await csvOf(path);
      assert.equal(file.name, name);
      assert.ok(expected.split('\r\n').length > 5, `${name} has rows`);
      assert.equal(file.text, expected, name);
    }
    const segment = (await get('/segments') as { id: string; key: string }[]).find((s) => s.key === 'pre-order')!;
    const members = await download(() => page.locator('tr[data-segment="pre-order"]').getByRole('link', { name: 'CSV' }).click());
    assert.equal(members.text, await csvOf(`/segments/${segment.id}/members?format=csv`));
    assert.ok(members.text.split('\n').length > 2, 'the pre-order segment has members');

    await page.goto(`${a.issuer}/admin/segments?start=pre-order`);
    const adHoc = await download(() => page.getByRole('button', { name: 'Download its users (CSV)' }).click());
    assert.equal(adHoc.text, await csvOf('/reports/segments/users?format=csv', { filter: { gender: 'male', age: { min: 20, max: 40 }, interests: 'fitness' } }));
  });

  test('a sign-in on another instance shows up on the open dashboard within 5 s, without a reload', async () => {
    const signInOnB = async () => {
      const other = await launchBrowser(); // another browser, on instance B
      try {
        const shopper = await other.context.newPage();
        await shopper.goto(`${b.issuer}/admin`);
        await shopper.getByLabel('Email').fill('shopper.live@innovashoes.example');
        await shopper.getByLabel('Password').fill('dashboard secret words');
        await Promise.all([shopper.waitForURL((url) => url.pathname.startsWith('/admin')), shopper.getByRole('button', { name: 'Sign in' }).click()]);
      } finally {
        await other.close();
      }
    };
    const items = page.locator('[data-live-list] li[data-live-item]').filter({ hasText: 'shopper.live signed in with Username-Password-Authentication' });
    // A sign-in after the overview roll-up the page will draw: the page replays it onto its counters.
    await signInOnB();
    await page.goto(`${a.issuer}/admin`);
    await page.locator('[data-live-state]').filter({ hasText: 'live' }).waitFor();
    await items.first().waitFor({ timeout: 5_000 });
    assert.equal(await items.count(), 1, 'the sign-in since the roll-up, replayed');
    const replayed = await get(`/reports/overview?from=${dayOf(Date.now() - 29 * DAY)}&to=${dayOf(Date.now() + DAY)}`);
    assert.equal(await metric(page, 'signins'), await liveTotal(replayed), 'roll-up and replay: the live count');
    const before = { users: await metric(page, 'users_total'), signins: await metric(page, 'signins'), table: await chartNumbers(page, 'signins') };
    const today = dayOf(Date.now());
    const marker = await page.evaluate(() => { (window as unknown as { marker: number }).marker = Math.random(); return (window as unknown as { marker: number }).marker; });

    await signInOnB();
    await items.nth(1).waitFor({ timeout: 5_000 });
    assert.match((await items.first().textContent())!, /from 127\.0\.0\.x/, 'the address masked');
    assert.equal(await metric(page, 'signins'), before.signins + 1);
    assert.equal(await metric(page, 'users_total'), before.users, 'a sign-in is not a new user');
    const table = await chartNumbers(page, 'signins');
    assert.equal(table[today]['Username-Password-Authentication'], (before.table[today]['Username-Password-Authentication'] ?? 0) + 1, "today's bar grew");
    assert.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), marker, 'the page was not reloaded');
    const fresh = await get(`/reports/overview?from=${dayOf(Date.now() - 29 * DAY)}&to=${dayOf(Date.now() + DAY)}`);
    assert.equal(await metric(page, 'signins'), await liveTotal(fresh), 'the counter agrees with the API (and the sign-ins after its as_of) after the update');
  });

  test('a user without a role is refused with a page naming them; the marketing role reads but has no user actions', async () => {
    const other = await launchBrowser();
    try {
      const visitor = await other.context.newPage();
      const refused = await visitor.goto(`${a.issuer}/admin/users`).then(() => visitor.getByLabel('Email').fill('shopper.live@innovashoes.example'))
        .then(() => visitor.getByLabel('Password').fill('dashboard secret words'))
        .then(() => Promise.all([visitor.waitForResponse((r) => r.url().endsWith('/admin/users')), visitor.getByRole('button', { name: 'Sign in' }).click()]));
      assert.equal(refused[0].status(), 403);
      assert.match(await visitor.locator('main').textContent() ?? '', /signed in as shopper\.live@innovashoes\.example, which has no dashboard role[\s\S]*grant-admin --email shopper\.live@innovashoes\.example/);
      for (const path of ['/admin', '/admin/segments', '/admin/users/auth0%7Cstale9100']) assert.equal((await visitor.goto(`${a.issuer}${path}`))?.status(), 403, path);
      await screenshot(visitor, 'dashboard-403');
      assert.deepEqual(await auditAccessibility(visitor), [], 'the 403 page: axe');

      const marketing = await other.context.newPage();
      await marketing.context().clearCookies();
      await signInThroughHostedPage(marketing, a, 'marketer@innovashoes.example', '/admin/users/auth0%7Cstale9100');
      await marketing.getByText('Signed in as marketer@innovashoes.example').waitFor();
      assert.match(await marketing.locator('.who').textContent() ?? '', /marketing/);
      assert.equal(await marketing.getByRole('button', { name: 'Block' }).count(), 0, 'no update:users, no actions');
    } finally {
      await other.close();
    }
    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations on the dashboard, the builder, the downloads or the live updates');
  });
});
