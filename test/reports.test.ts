import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import '../src/db/connect.ts'; // the app's mongoose settings (sanitizeFilter): the reports must not depend on them
import { DEFAULT_INTEREST_VOCABULARY } from '../src/insight/facts/default-vocabulary.ts';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import { buildDormantFilter } from '../src/reports/dormant.report.ts';
import { createInsightReports, type InsightReports } from '../src/reports/insight-reports.ts';
import { buildCohortPipeline, isoWeekLabel, isoWeekStart } from '../src/reports/lifecycle.report.ts';
import { writeRows, type RowFormat } from '../src/reports/row-format.ts';
import type { RowReport } from '../src/reports/row-report.ts';
import { createUserModel, type UserDoc } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';
import { expectedOverview, hookJobsOf, logEventsOf, outboxOf, withPendingEvents } from './support/report-activity.ts';
import { csvRows } from './support/report-csv.ts';
import { expectedCohorts, expectedDormant, expectedSegmentUsers, expectedSentiment, expectedStates, isPreorderShopper, type DormantQuery } from './support/report-expected.ts';
import { FORMULA_NAMES, reportShoppers, STALE_IDS, WINDOWS } from './support/report-shoppers.ts';

const DAY = 86_400_000;
/** A Wednesday afternoon: cohorts of whole and partial weeks. */
const NOW = new Date('2025-06-18T15:30:00Z');

/** Every page, following the cursor, as a client would. */
async function allPages(reports: InsightReports, report: RowReport, take: number) {
  const rows: object[] = [];
  let from: string | undefined;
  let pages = 0;
  do {
    const page = await reports.page(report, { from, take });
    assert.ok(page.rows.length <= take);
    rows.push(...page.rows);
    from = page.next;
    pages++;
  } while (from);
  return { rows, pages };
}

async function written(reports: InsightReports, report: RowReport, format: RowFormat): Promise<string> {
  let text = '';
  const sink = new Writable({ write(chunk, _encoding, done) { text += chunk.toString(); done(); } });
  const count = await writeRows(reports.stream(report), report.columns, format, sink);
  assert.equal(text.split('\n').filter(Boolean).length - (format === 'csv' ? 1 : 0), count, 'the count is the rows written');
  return text;
}

describe('customer-insight reports on seeded shoppers, against plain JavaScript over the same documents', () => {
  let connection: mongoose.Connection;
  let reports: InsightReports;
  let users: UserDoc[];
  before(async () => {
    connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
    await createUserModel(connection).init(); // the indexes the reports declare
    const seeded = withPendingEvents(reportShoppers(NOW), NOW);
    await connection.db!.collection('users').insertMany(seeded.map((user) => ({ ...user })));
    users = await connection.db!.collection('users').find({}).toArray() as unknown as UserDoc[];
    reports = createInsightReports(connection, { interests: DEFAULT_INTEREST_VOCABULARY, lifecycle: WINDOWS }, () => NOW);
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  const dormantQueries: [string, DormantQuery, string?][] = [
    ['never returned, days defaulting to new_days (14): the win-back list, a stale `new` state included', { mode: 'never_returned' }, STALE_IDS.neverReturned],
    ['never returned within 7 days: reaches into `new`', { mode: 'never_returned', days: 7 }],
    ['never returned, signed up 60+ days ago', { mode: 'never_returned', days: 60 }],
    ['inactive, days defaulting to dormant_days (90), a stale `active` state included', { mode: 'inactive' }, STALE_IDS.dormant],
    ['inactive for 20 days, Facebook users only', { mode: 'inactive', days: 20, connection: 'facebook' }],
    ['never returned, signed up in a half-open range', { mode: 'never_returned', created_from: new Date(NOW.getTime() - 70 * DAY), created_to: new Date(NOW.getTime() - 30 * DAY) }],
  ];
  for (const [title, query, stale] of dormantQueries) {
    test(`dormant report: ${title}`, async () => {
      const expected = expectedDormant(users, query, NOW);
      assert.ok(expected.length >= 3, `the case has users (${expected.length})`);
      if (stale) assert.ok(expected.some((row) => row.user_id === stale), `${stale} is in the list: the test can tell`);
      const report = reports.dormant(query);
      const { rows, pages } = await allPages(reports, report, 7);
      assert.deepEqual(rows, expected);
      assert.equal(pages, Math.max(1, Math.ceil(expected.length / 7)));
      assert.deepEqual(JSON.parse(`[${(await written(reports, report, 'ndjson')).trim().split('\n').join(',')}]`), expected, 'NDJSON: the same rows');
      assert.deepEqual(csvRows(await written(reports, report, 'csv')), expected, 'CSV: the same rows');
    });
  }

  test('sentiment report: most negative first (ties by user_id), by label or every analysed user', async () => {
    for (const label of ['negative', 'positive', undefined] as const) {
      const expected = expectedSentiment(users, label);
      assert.ok(expected.length >= 5, `${label}: ${expected.length} users`);
      const report = reports.sentiment({ label });
      assert.deepEqual((await allPages(reports, report, 4)).rows, expected, `${label ?? 'all'}: pages`);
      assert.deepEqual(csvRows(await written(reports, report, 'csv')), expected, `${label ?? 'all'}: CSV`);
    }
    const ties = expectedSentiment(users).filter((row) => row.score === -2.5);
    assert.ok(ties.length >= 2, 'equal scores exist, so the tie order is tested');
  });

  test('segment users: the pre-order campaign with the fitness topics each matched; a raw topic; no interests asked', async () => {
    const preorder = expectedSegmentUsers(users, isPreorderShopper(NOW), NOW, true);
    assert.ok(preorder.length >= 8 && preorder.every((row) => row.interests_matched.length > 0), `${preorder.length} members`);
    const report = reports.segment(PREORDER_SEGMENT_FILTER);
    assert.deepEqual((await allPages(reports, report, 10)).rows, preorder);
    assert.deepEqual(csvRows(await written(reports, report, 'csv'), ['interests_matched']), preorder, 'CSV: lists joined by "; "');

    const pizza = await allPages(reports, reports.segment({ interests: 'Pizza Place' }), 100);
    const likesPizza = (u: UserDoc) => Boolean(u.facts?.interests.includes('pizza place'));
    assert.deepEqual(pizza.rows, expectedSegmentUsers(users, likesPizza, NOW, false).map((row) => ({ ...row, interests_matched: ['pizza place'] })));
    const women = await allPages(reports, reports.segment({ gender: 'female', country: 'US' }), 100);
    assert.deepEqual(women.rows, expectedSegmentUsers(users, (u) => u.facts?.gender === 'female' && u.facts.country === 'US', NOW, false));
  });

  test('CSV neutralises values that start with =, +, - or @; NDJSON keeps them as they are', async () => {
    const report = reports.dormant({ mode: 'never_returned' });
    const csv = await written(reports, report, 'csv');
    for (const name of FORMULA_NAMES) assert.ok(csv.includes(`,"'${name.replaceAll('"', '""')}",`), `${name} is text`);
    assert.doesNotMatch(csv, /(^|,)[=+\-@]/m, 'no cell starts like a formula');
    const ndjson = (await written(reports, report, 'ndjson')).trim().split('\n').map((line) => JSON.parse(line).name);
    for (const name of FORMULA_NAMES) assert.ok(ndjson.includes(name));
  });

  test('lifecycle report: states as stored, and ISO-week cohorts from created_at and active_weeks', async () => {
    for (const weeks of [12, 20, 1]) {
      const report = await reports.lifecycle(NOW, weeks);
      assert.deepEqual(report.states, expectedStates(users));
      assert.equal(report.total, users.length);
      const cohorts = report.cohorts.map((cohort) => ({ ...cohort, week_start: cohort.week_start.toISOString() }));
      assert.deepEqual(cohorts, expectedCohorts(users, NOW, weeks), `${weeks} weeks`);
    }
    const table = (await reports.lifecycle(NOW, 12)).cohorts;
    assert.equal(table.at(-1)!.week, '2025-W25', 'the current week last');
    assert.ok(table.some((cohort) => cohort.retention.some((cell) => cell.share > 0 && cell.share < 1)), 'a table with something to say');
  });

  test('overview: daily activity by connection, active users, enrichment, sentiment, hook jobs and the event backlog', async () => {
    const logs = logEventsOf(users);
    const jobs = hookJobsOf(users, NOW);
    const outbox = outboxOf(NOW);
    await connection.db!.collection('logs').insertMany(logs.map((e) => ({ ...e })));
    await connection.db!.collection('hook_jobs').insertMany(jobs.map((j) => ({ ...j })));
    await connection.db!.collection('event_outbox').insertMany(outbox.map((o) => ({ ...o })) as never[]);
    const range = { from: new Date(Date.UTC(2025, 4, 20)), to: new Date(Date.UTC(2025, 5, 19)) };
    const overview = await reports.overview(range, NOW);
    assert.deepEqual(overview, expectedOverview(users, logs, jobs, outbox, range, NOW));
    assert.equal(overview.days.length, 30);
    assert.ok(overview.days.some((day) => day.connections.length >= 3) && overview.active_users.dau > 0 && overview.events.pending_events > 0);
  });

  test('overview: a sign-up after as_of is in no figure (its enrichment and sentiment states neither), so none never goes below zero', async () => {
    const range = { from: new Date(Date.UTC(2025, 4, 20)), to: new Date(Date.UTC(2025, 5, 19)) };
    const before = await reports.overview(range, NOW);
    const { _id, ...first } = users[0] as UserDoc & { _id: unknown };
    const { enrichment, sentiment_label, sentiment_score, ...stateless } = first.facts!;
    const later = [
      { ...first, user_id: 'auth0|after-as-of-1', email: 'after-as-of-1@innovashoes.example', created_at: new Date(NOW.getTime() + 1000),
        facts: { ...first.facts!, enrichment: 'pending' as const, sentiment_label: 'negative', sentiment_score: -3 } },
      { ...first, user_id: 'auth0|after-as-of-2', email: 'after-as-of-2@innovashoes.example', created_at: new Date(NOW.getTime() + 2000), facts: stateless },
    ];
    await connection.db!.collection('users').insertMany(later.map((user) => ({ ...user })));
    try {
      const after = await reports.overview(range, NOW);
      assert.deepEqual({ users_total: after.users_total, enrichment: after.enrichment, sentiment: after.sentiment },
        { users_total: before.users_total, enrichment: before.enrichment, sentiment: before.sentiment });
    } finally {
      await connection.db!.collection('users').deleteMany({ user_id: { $in: later.map((user) => user.user_id) } });
    }
  });

  test('builders are pure: the dormant filters; the cohort pipeline; ISO weeks across a year end', () => {
    const cutoff = new Date(NOW.getTime() - 14 * DAY);
    assert.deepEqual(buildDormantFilter({ mode: 'never_returned' }, WINDOWS, NOW), { 'facts.lifecycle.state': { $in: ['new', 'never_returned'] }, created_at: { $lte: cutoff } });
    assert.deepEqual(buildDormantFilter({ mode: 'inactive', days: 14, connection: 'twitter' }, WINDOWS, NOW), {
      'facts.lifecycle.state': { $in: ['active', 'lapsing', 'dormant', 'reactivated'] }, last_login: { $lte: cutoff }, 'identities.connection': 'twitter',
    });
    assert.deepEqual(buildCohortPipeline(NOW, 12).map((stage) => Object.keys(stage)[0]), ['$match', '$project', '$facet']);
    assert.deepEqual(buildCohortPipeline(NOW, 12)[0], { $match: { created_at: { $gte: new Date('2025-03-31T00:00:00Z'), $lt: new Date('2025-06-23T00:00:00Z') } } });
    const weeks: [string, string, string][] = [
      ['2024-12-31T10:00:00Z', '2024-12-30T00:00:00.000Z', '2025-W01'], ['2021-01-03T23:59:59Z', '2020-12-28T00:00:00.000Z', '2020-W53'],
      ['2025-06-16T00:00:00Z', '2025-06-16T00:00:00.000Z', '2025-W25'], ['2026-12-31T12:00:00Z', '2026-12-28T00:00:00.000Z', '2026-W53'],
    ];
    for (const [at, monday, label] of weeks) {
      assert.equal(isoWeekStart(new Date(at)).toISOString(), monday, at);
      assert.equal(isoWeekLabel(isoWeekStart(new Date(at))), label, at);
    }
  });

  test('a cursor from another list or a forged one is refused (400), not read', async () => {
    const dormant = await reports.page(reports.dormant({ mode: 'never_returned' }), { take: 1 });
    await assert.rejects(reports.page(reports.sentiment({}), { from: dormant.next, take: 1 }), { status: 400, message: /Query parameter "from"/ });
    const forged = Buffer.from(JSON.stringify({ f: 'created_at', v: { $gt: '' }, id: 'x' })).toString('base64url');
    await assert.rejects(reports.page(reports.dormant({ mode: 'never_returned' }), { from: forged, take: 1 }), { status: 400 });
  });
});
