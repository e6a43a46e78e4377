import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import mongoose from 'mongoose';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { createReportRollups, rollupKey } from '../src/reports/report-rollups.ts';
import { captureLogs } from './support/log-capture.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { assertMatchesOpenApi } from './support/openapi-check.ts';
import { seededUser, seedUsers } from './support/user-jobs.ts';

const REPORTER = { client_id: 'rollup-reporter', client_secret: 'rollup-reporter-secret-0123456789abcdef', scopes: ['read:reports'] };
const SUMMARIES = ['/reports/overview', '/reports/lifecycle', '/reports/dormant/summary?mode=never_returned', '/reports/demographics?population=all'];
const withMaxAge = (path: string, seconds: number | string) => `${path}${path.includes('?') ? '&' : '?'}max_age=${seconds}`;

describe('summary reports with max_age: roll-ups shared by every instance', () => {
  let insole: TestInsole;
  let second: TestInsole;
  const tokens = new Map<TestInsole, string>();
  let doc: OpenApiDocument;
  const get = async (on: TestInsole, path: string) => {
    const res = await api(on, tokens.get(on), 'GET', path);
    assertMatchesOpenApi(doc, 'GET', path, res.status, res.body);
    return res;
  };

  before(async () => {
    const uri = testDatabaseUri();
    const config = { clients: [m2mClientConfig(REPORTER)] };
    insole = await startTestInsole(config, uri);
    second = await startTestInsole(config, uri);
    for (const on of [insole, second]) tokens.set(on, (await managementToken(on, REPORTER)).access_token);
    doc = (await api(insole, undefined, 'GET', '/openapi.json')).body;
    await seedUsers(insole.db, 40, seededUser);
  });
  after(async () => {
    await insole?.stop();
    await second?.stop();
  });

  test('an answer within max_age is served again, on any instance, until the caller asks for a fresher one', async () => {
    const first = await Promise.all(SUMMARIES.map((path) => get(insole, withMaxAge(path, 300))));
    for (const res of first) assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(first[3].body.users, 40);
    await seedUsers(insole.db, 5, (n) => seededUser(1000 + n));

    const again = await Promise.all(SUMMARIES.map((path) => get(second, withMaxAge(path, 300))));
    again.forEach((res, i) => assert.deepEqual(res.body, first[i].body, `${SUMMARIES[i]}: the roll-up, as it was`));

    const live = await Promise.all(SUMMARIES.map((path) => get(second, path)));
    live.forEach((res, i) => assert.ok(res.body.as_of > first[i].body.as_of, `${SUMMARIES[i]}: computed now without max_age`));
    assert.equal(live[3].body.users, 45);
    assert.equal((await get(insole, withMaxAge(SUMMARIES[3], 0))).body.users, 45, 'max_age=0 computes now');
    assert.equal((await get(insole, withMaxAge(SUMMARIES[3], 300))).body.users, 40, 'a live answer does not replace the roll-up');
    assert.equal((await get(insole, withMaxAge('/reports/demographics?population=enriched', 300))).body.population, 'enriched', 'other parameters, another roll-up');
  });

  test('a JSON page of a list may be a roll-up; its CSV is always read now, and max_age with it is refused', async () => {
    const path = '/reports/dormant?mode=never_returned&take=3';
    await seedUsers(insole.db, 5, (n) => seededUser(2000 + n, { facts: { lifecycle: { state: 'never_returned', since: new Date(Date.UTC(2024, 1, 1)) } } } as never));
    const first = await get(insole, withMaxAge(path, 300));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.length, 3);
    const link = first.headers.get('link');
    assert.ok(link, 'more pages');
    await insole.db.collection('users').deleteMany({ user_id: first.body[0].user_id });
    const again = await get(second, withMaxAge(path, 300));
    assert.deepEqual(again.body, first.body, 'the roll-up, as it was');
    const cursor = (header: string | null) => /[?&]from=([^&>]+)/.exec(header ?? '')?.[1];
    assert.equal(cursor(again.headers.get('link')), cursor(link), 'the same next page (each instance names its own issuer)');
    assert.notEqual((await get(second, path)).body[0].user_id, first.body[0].user_id, 'read now without max_age');
    const csv = await api(insole, tokens.get(insole), 'GET', '/reports/dormant?mode=never_returned&format=csv&max_age=60');
    assert.equal(csv.status, 400);
    assert.match(csv.body.message, /max_age/);
  });

  test('a bad max_age is refused with a 400 naming it, and stores nothing', async () => {
    const rollups = insole.db.collection('report_rollups');
    const before = await rollups.countDocuments();
    for (const value of ['-1', 'soon', '1.5', '86401']) {
      const res = await get(insole, withMaxAge('/reports/lifecycle?weeks=3', value));
      assert.equal(res.status, 400, value);
      assert.match(res.body.message, /^Query parameter "max_age": /, value);
    }
    assert.equal(await rollups.countDocuments(), before);
  });

  test('the OpenAPI document describes max_age on each summary report and list', () => {
    for (const path of ['/reports/overview', '/reports/lifecycle', '/reports/dormant/summary', '/reports/demographics', '/reports/dormant', '/reports/sentiment']) {
      const params = doc.paths[path].get!.parameters as { name: string; schema: { maximum?: number } }[];
      assert.equal(params.find((p) => p.name === 'max_age')?.schema.maximum, 86_400, path);
    }
  });
});

describe('createReportRollups', () => {
  let connection: mongoose.Connection;
  let clock: number;
  const now = () => new Date(clock);
  const { logger, lines } = captureLogs('warn');
  const counter = () => {
    let runs = 0;
    return { run: async () => ({ run: ++runs }), get runs() { return runs; } };
  };

  before(async () => { connection = await mongoose.createConnection(testDatabaseUri()).asPromise(); });
  after(async () => { await connection?.close(); });

  test('fresh: stored; past half its age: served, and refreshed in the background once across instances; too old: computed now', async () => {
    clock = Date.parse('2026-06-01T12:00:00Z');
    const one = createReportRollups(connection, { logger, now });
    const two = createReportRollups(connection, { logger, now });
    const report = counter();
    const key = rollupKey('refresh', { a: 1 });
    assert.deepEqual(await one.answer(key, 60, report.run), { run: 1 });
    clock += 20_000;
    assert.deepEqual(await two.answer(key, 60, report.run), { run: 1 });
    await two.settled();
    assert.equal(report.runs, 1, 'under half its age: no refresh');

    clock += 20_000;
    // The refresh waits until both have answered: else a quick one may be stored before the second asks.
    let release = () => {};
    const refreshing = new Promise<void>((resolve) => { release = resolve; });
    const held = async () => { await refreshing; return report.run(); };
    const [a, b] = await Promise.all([one.answer(key, 60, held), two.answer(key, 60, held)]);
    assert.deepEqual([a, b], [{ run: 1 }, { run: 1 }], 'the stored answer, at once, while the refresh runs');
    release();
    await Promise.all([one.settled(), two.settled()]);
    assert.equal(report.runs, 2, 'one background refresh for both instances (the lease)');
    assert.deepEqual(await one.answer(key, 60, report.run), { run: 2 });

    clock += 61_000;
    assert.deepEqual(await two.answer(key, 60, report.run), { run: 3 }, 'older than max_age: never served');
  });

  test('callers of one process asking at once share one computation; a failed one stores nothing', async () => {
    clock = Date.parse('2026-06-02T12:00:00Z');
    const rollups = createReportRollups(connection, { logger, now });
    const report = counter();
    const key = rollupKey('shared', { from: new Date(clock), to: undefined });
    assert.equal(key, 'shared?from=2026-06-02T12:00:00.000Z');
    // The computation lasts long enough for all three to find nothing stored and ask for it.
    const slow = async () => { await delay(200); return report.run(); };
    const answers = await Promise.all([1, 2, 3].map(() => rollups.answer(key, 60, slow)));
    assert.deepEqual(answers, [{ run: 1 }, { run: 1 }, { run: 1 }]);
    assert.equal(report.runs, 1);

    const failing = rollupKey('failing', {});
    await assert.rejects(rollups.answer(failing, 60, async () => { throw new Error('database away'); }), /database away/);
    assert.equal(await connection.collection('report_rollups').countDocuments({ _id: failing as never }), 0);
  });

  test('a parameter that holds & or = is its own question: never served the answer of two parameters that read alike', async () => {
    clock = Date.parse('2026-06-04T12:00:00Z');
    const rollups = createReportRollups(connection, { logger, now });
    const one = rollupKey('dormant/summary', { connection: 'facebook&days=3', mode: 'never_returned' });
    const two = rollupKey('dormant/summary', { connection: 'facebook', days: 3, mode: 'never_returned' });
    assert.deepEqual(await rollups.answer(one, 300, async () => ({ total: 0 })), { total: 0 });
    assert.deepEqual(await rollups.answer(two, 300, async () => ({ total: 7 })), { total: 7 });
    assert.notEqual(one, two);
  });

  test('a refresh that fails in the background is logged, and the stored answer is still served', async () => {
    clock = Date.parse('2026-06-03T12:00:00Z');
    const rollups = createReportRollups(connection, { logger, now });
    const key = rollupKey('flaky', {});
    await rollups.answer(key, 60, async () => ({ ok: true }));
    clock += 45_000;
    assert.deepEqual(await rollups.answer(key, 60, async () => { throw new Error('aggregation failed'); }), { ok: true });
    await rollups.settled();
    assert.ok(lines.some((line) => line.includes('report roll-up: the background refresh failed') && line.includes('aggregation failed') && line.includes('flaky?')));
    const stored = await connection.collection('report_rollups').findOne({ _id: key as never });
    assert.ok(stored && stored.refreshing_until > now(), 'the failed refresh keeps its lease: no other instance retries at once');
  });
});
