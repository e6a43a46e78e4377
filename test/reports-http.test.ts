import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import type { UserDoc } from '../src/users/user.model.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { assertMatchesOpenApi } from './support/openapi-check.ts';
import { expectedOverview, hookJobsOf, logEventsOf, outboxOf, withPendingEvents } from './support/report-activity.ts';
import { csvRows } from './support/report-csv.ts';
import { expectedCohorts, expectedDormant, expectedSegmentUsers, expectedSentiment, expectedStates, isPreorderShopper } from './support/report-expected.ts';
import { reportShoppers } from './support/report-shoppers.ts';

const REPORTER = { client_id: 'insight-reporter', client_secret: 'insight-reporter-secret-0123456789abcdef', scopes: ['read:reports'] };
const OTHER = { client_id: 'insight-other', client_secret: 'insight-other-secret-0123456789abcdef', scopes: ['read:users', 'read:stats', 'read:segments'] };
const DAY = 86_400_000;
const day = (at: Date) => at.toISOString().slice(0, 10);

describe('the report endpoints of the Management API', () => {
  let insole: TestInsole;
  let doc: OpenApiDocument;
  let reporter: string;
  let users: UserDoc[];
  let activity: { logs: ReturnType<typeof logEventsOf>; jobs: ReturnType<typeof hookJobsOf>; outbox: ReturnType<typeof outboxOf> };

  /** A JSON call whose answer must be one the OpenAPI document describes. */
  async function checked(method: string, path: string, body?: unknown, token: string | null = reporter) {
    const res = await api(insole, token ?? undefined, method, path, body);
    assertMatchesOpenApi(doc, method, path, res.status, res.body);
    return res;
  }

  /** Every JSON page, following the Link header. */
  async function allPages(path: string, body?: unknown) {
    const rows: unknown[] = [];
    let next: string | undefined = path;
    let pages = 0;
    while (next) {
      const res = await checked(body ? 'POST' : 'GET', next, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      rows.push(...res.body);
      const link = res.headers.get('link');
      next = link ? new URL(/^<([^>]+)>; rel="next"$/.exec(link)![1]).href.replace(`${insole.issuer}/api/v2`, '') : undefined;
      pages++;
    }
    return { rows, pages };
  }

  async function stream(path: string, body?: unknown) {
    const res = await fetch(`${insole.issuer}/api/v2${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${reporter}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), text: await res.text() };
  }

  async function sameRowsStreamed(path: string, rows: unknown[], name: string, body?: unknown, lists: string[] = []) {
    const withFormat = (format: string) => `${path}${path.includes('?') ? '&' : '?'}format=${format}`;
    const csv = await stream(withFormat('csv'), body);
    assert.equal(csv.status, 200);
    assert.equal(csv.type, 'text/csv; charset=utf-8');
    assert.equal(csv.disposition, `attachment; filename="${name}.csv"`);
    assert.deepEqual(csvRows(csv.text, lists), rows, `${path}: CSV`);
    const ndjson = await stream(withFormat('ndjson'), body);
    assert.equal(ndjson.type, 'application/x-ndjson');
    assert.deepEqual(ndjson.text.split('\n').filter(Boolean).map((line) => JSON.parse(line)), rows, `${path}: NDJSON`);
  }

  before(async () => {
    insole = await startTestInsole({
      clients: [m2mClientConfig(REPORTER), m2mClientConfig(OTHER)],
      admin_api: { rate_limit: { requests: 1000, window_seconds: 60 } },
      // Nothing moves the seeded data while the test reads it: no hook worker, no sweep, no relay round.
      hooks: { enabled: false }, insight: { sweep_seconds: 86_400, events_poll_ms: 3_600_000 },
    });
    const seededAt = new Date();
    await insole.db.collection('users').insertMany(withPendingEvents(reportShoppers(seededAt), seededAt).map((user) => ({ ...user })));
    users = await insole.db.collection('users').find({}).toArray() as unknown as UserDoc[];
    activity = { logs: logEventsOf(users), jobs: hookJobsOf(users, seededAt), outbox: outboxOf(seededAt) };
    await insole.db.collection('logs').insertMany(activity.logs.map((e) => ({ ...e })));
    await insole.db.collection('hook_jobs').insertMany(activity.jobs.map((j) => ({ ...j })));
    await insole.db.collection('event_outbox').insertMany(activity.outbox.map((o) => ({ ...o })) as never[]);
    doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    reporter = (await managementToken(insole, REPORTER)).access_token;
  });
  after(() => insole.stop());

  test('GET /reports/dormant: the win-back list page by page, as plain JavaScript reads it; CSV and NDJSON hold the same rows', async () => {
    const { rows, pages } = await allPages('/reports/dormant?mode=never_returned&days=14&take=25');
    const expected = expectedDormant(users, { mode: 'never_returned', days: 14 }, new Date());
    assert.ok(expected.length > 50 && pages === Math.ceil(expected.length / 25), `${expected.length} rows in ${pages} pages`);
    assert.deepEqual(rows, expected);
    assert.deepEqual((await checked('GET', '/reports/dormant')).body, expected.slice(0, 100), 'never_returned and new_days by default; 100 a page');
    await sameRowsStreamed('/reports/dormant?mode=never_returned&days=14', expected, 'dormant-never_returned');

    const from = new Date(Date.now() - 120 * DAY);
    const inactive = `/reports/dormant?mode=inactive&days=20&connection=facebook&created_from=${from.toISOString()}`;
    const expectedInactive = expectedDormant(users, { mode: 'inactive', days: 20, connection: 'facebook', created_from: from }, new Date());
    assert.ok(expectedInactive.length >= 3);
    assert.deepEqual((await allPages(`${inactive}&take=2`)).rows, expectedInactive);
    await sameRowsStreamed(inactive, expectedInactive, 'dormant-inactive');
  });

  test('GET /reports/sentiment?label=negative: the unhappy shoppers, most negative first, in every format', async () => {
    const expected = expectedSentiment(users, 'negative');
    assert.ok(expected.length >= 10);
    assert.deepEqual((await allPages('/reports/sentiment?label=negative&take=7')).rows, expected);
    await sameRowsStreamed('/reports/sentiment?label=negative', expected, 'sentiment-negative');
    assert.deepEqual((await allPages('/reports/sentiment?take=1000')).rows, expectedSentiment(users));
  });

  test('POST /reports/segments/users: the pre-order list with age ranges and the fitness topics that matched', async () => {
    const before = new Date();
    const { rows } = await allPages('/reports/segments/users?take=9', { filter: PREORDER_SEGMENT_FILTER });
    const after = new Date();
    // Ages are counted on the server's UTC day: either reading is right (they differ only across midnight).
    const readings = [before, after].map((now) => expectedSegmentUsers(users, isPreorderShopper(now), now, true));
    const expected = readings.find((reading) => JSON.stringify(reading) === JSON.stringify(rows));
    assert.ok(expected && expected.length >= 8, `got ${JSON.stringify(rows).slice(0, 300)}\nexpected ${JSON.stringify(readings[1]).slice(0, 300)}`);
    await sameRowsStreamed('/reports/segments/users', expected, 'segment', { filter: PREORDER_SEGMENT_FILTER }, ['interests_matched']);
    const byQ = await checked('POST', '/reports/segments/users', { q: 'identities.connection:twitter' });
    assert.deepEqual(byQ.body.map((row: { user_id: string }) => row.user_id), users.filter((u) => u.identities.some((i) => i.connection === 'twitter'))
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.user_id < b.user_id ? -1 : 1)).slice(0, 100).map((u) => u.user_id));
  });

  test('GET /reports/lifecycle: states now and the weekly cohorts, as of the moment it says', async () => {
    for (const query of ['', '?weeks=8']) {
      const res = await checked('GET', `/reports/lifecycle${query}`);
      assert.equal(res.status, 200);
      const asOf = new Date(res.body.as_of);
      assert.deepEqual(res.body.states, expectedStates(users));
      assert.deepEqual(res.body.cohorts, expectedCohorts(users, asOf, query ? 8 : 12));
      assert.deepEqual(res.body.windows, { new_days: 14, active_days: 30, dormant_days: 90 });
    }
  });

  test('GET /reports/overview: every figure as plain JavaScript counts it; by default the last 30 days up to today', async () => {
    const today = new Date(`${day(new Date())}T00:00:00Z`);
    const range = { from: new Date(today.getTime() - 40 * DAY), to: new Date(today.getTime() + DAY) };
    const res = await checked('GET', `/reports/overview?from=${day(range.from)}&to=${day(range.to)}`);
    assert.equal(res.status, 200);
    const expected = expectedOverview(users, activity.logs, activity.jobs, activity.outbox, range, new Date(res.body.as_of));
    const iso = (at: Date | null) => at?.toISOString() ?? null;
    assert.deepEqual(res.body, {
      as_of: res.body.as_of, from: range.from.toISOString(), to: range.to.toISOString(), ...expected,
      events: { ...expected.events, oldest_unsent_at: iso(expected.events.oldest_unsent_at), oldest_pending_at: iso(expected.events.oldest_pending_at) },
    });
    const byDefault = await checked('GET', '/reports/overview');
    assert.equal(byDefault.body.days.length, 30);
    assert.equal(byDefault.body.days.at(-1).date, day(new Date(byDefault.body.as_of)), 'today is the last day');
  });

  test('scopes: read:reports → 200, other scopes → 403, no token → 401, on every report', async () => {
    const other = (await managementToken(insole, OTHER)).access_token;
    const calls: [string, string, unknown?][] = [
      ['GET', '/reports/dormant'], ['GET', '/reports/sentiment'], ['GET', '/reports/lifecycle'], ['GET', '/reports/overview'],
      ['POST', '/reports/segments/users', { filter: {} }],
    ];
    for (const [method, path, body] of calls) {
      assert.equal((await checked(method, path, body)).status, 200, path);
      const refused = await checked(method, path, body, other);
      assert.deepEqual([refused.status, refused.body.message], [403, 'Insufficient scope, expected any of: read:reports'], path);
      assert.equal((await checked(method, path, body, null)).status, 401, path);
    }
  });

  test('bad parameters → 400 naming the parameter and what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['/reports/dormant?mode=sleepy', /^Query parameter "mode": Invalid option: expected one of "never_returned"\|"inactive"\.$/],
      ['/reports/dormant?days=0', /^Query parameter "days": Too small/],
      ['/reports/dormant?days=two', /^Query parameter "days": /],
      ['/reports/dormant?days=1&days=2', /^Query parameter "days": /],
      ['/reports/dormant?created_from=2025-02-30', /^Query parameter "created_from": expected an ISO 8601 date/],
      ['/reports/dormant?created_from=2025-03-01&created_to=2025-02-01', /^Query parameter "created_to": must be after created_from\.$/],
      ['/reports/dormant?connection=google', /^Query parameter "connection": the connection does not exist; insole names connections: Username-Password-Authentication, google-oauth2, facebook, twitter\.$/],
      ['/reports/dormant?connection[$ne]=x', /^Query parameter not allowed: connection\[\$ne\]\.$/],
      ['/reports/dormant?sort=created_at:1', /^Query parameter not allowed: sort\.$/],
      ['/reports/dormant?format=xml', /^Query parameter "format": /],
      ['/reports/dormant?format=csv&take=10', /^Query parameter "take": pages JSON only; format=csv streams every row\.$/],
      ['/reports/dormant?take=1001', /^Query parameter "take": Too big/],
      ['/reports/dormant?from=bm90LWEtY3Vyc29y', /^Query parameter "from": not a cursor this list gave out/],
      ['/reports/sentiment?label=angry', /^Query parameter "label": /],
      ['/reports/lifecycle?weeks=105', /^Query parameter "weeks": Too big/],
      ['/reports/overview?from=2025-02-30', /^Query parameter "from": 2025-02-30 is not a calendar day\.$/],
      ['/reports/overview?from=20250201', /^Query parameter "from": expected YYYY-MM-DD\.$/],
      ['/reports/overview?from=2025-03-01&to=2025-03-01', /^Query parameter "to": must be after from/],
      ['/reports/overview?from=2024-01-01&to=2025-03-01', /^Query parameter "from": the range may cover at most 366 days\.$/],
    ];
    for (const [path, message] of cases) {
      const res = await checked('GET', path);
      assert.equal(res.status, 400, path);
      assert.match(res.body.message, message, path);
      assert.equal(res.body.errorCode, 'invalid_query_string', path);
    }
    const hostile = await checked('POST', '/reports/segments/users', { filter: { gender: { $ne: '' } } });
    assert.equal(hostile.status, 400);
    assert.match(hostile.body.message, /^Payload property "filter.gender": /);
    const both = await checked('POST', '/reports/segments/users?format=ndjson&from=x', { filter: {} });
    assert.match(both.body.message, /^Query parameter "from": pages JSON only/);
  });

  test('a rule that stored a count that is no count (2.5, 1e300) leaves it unknown in the row; the page is still a 200', async () => {
    const template = users.find((u) => u.facts?.sentiment_label === 'negative')!;
    const odd = [2.5, 1e300].map((tweets, i) => ({
      ...template, _id: undefined, user_id: `auth0|odd-count-${i}`, email: `odd-count-${i}@innovashoes.example`,
      app_metadata: { sentiment: { score: -9 - i, tweets_analyzed: tweets } }, facts: { ...template.facts!, sentiment_score: -9 - i },
    })).map(({ _id, ...user }) => user);
    await insole.db.collection('users').insertMany(odd);
    try {
      const res = await checked('GET', '/reports/sentiment?label=negative&take=2');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.map((row: { user_id: string; tweets_analyzed: unknown }) => [row.user_id, row.tweets_analyzed]),
        [['auth0|odd-count-1', null], ['auth0|odd-count-0', null]]);
    } finally {
      await insole.db.collection('users').deleteMany({ user_id: { $in: odd.map((u) => u.user_id) } });
    }
  });
});
