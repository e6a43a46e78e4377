import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signInLogsWritten, STOREFRONT, startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken, type M2mClient } from './support/management.ts';
import { signInForTokens } from './support/relying-party.ts';

const client = (id: string, scopes: string[]): M2mClient => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
const STATS = client('stats-reader', ['read:stats']);
const LOGS = client('log-reader', ['read:logs']);
const DAY = 24 * 3600 * 1000;

interface Seeded { log_id: string; date: Date; type: string; details: Record<string, unknown> }

let serial = 0;
function event(date: Date, type: string, details: Record<string, unknown> = {}): Seeded {
  return { log_id: `${date.getTime().toString(16).padStart(12, '0')}${(++serial).toString(16).padStart(20, '0')}`, date, type, details };
}

/** A sign-up that waits for its emailed link: insole marks it, and its first login comes later as an `s`. */
const VERIFY_FIRST = { signed_in: false };

/** Edge cases at the range's ends, and a deterministic crowd of events over the first week of March 2026. */
function seedEvents(): Seeded[] {
  const at = (iso: string) => new Date(iso);
  const edges = [
    event(at('2026-03-01T23:59:59.999Z'), 's'), // the day before `from`
    event(at('2026-03-02T00:00:00.000Z'), 'ss'), // the first instant of `from`
    event(at('2026-03-03T12:00:00.000Z'), 'f'), event(at('2026-03-03T13:00:00.000Z'), 'slo'), // a day with neither login nor sign-up
    event(at('2026-03-05T10:00:00.000Z'), 'ss', VERIFY_FIRST), // a day whose only sign-up did not sign in
    event(at('2026-03-05T23:59:59.999Z'), 'sapi'),
    event(at('2026-03-06T00:00:00.000Z'), 's'), // the day after `to`
  ];
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const kinds: [string, Record<string, unknown>?][] = [['s'], ['s'], ['ss'], ['ss', VERIFY_FIRST], ['f'], ['fp'], ['slo'], ['sapi']];
  const crowd = Array.from({ length: 240 }, () => {
    const [type, details] = kinds[Math.floor(random() * kinds.length)];
    const date = new Date(Date.UTC(2026, 2, 2) + Math.floor(random() * 2 * DAY)); // 2 and 3 March only: 4 March stays empty
    return event(date, type, details);
  });
  return [...edges, ...crowd];
}

/** The expected answer, counted here from the seeded events without the server's pipeline. */
function expectedDays(events: Seeded[], from: Date, toInclusive: Date) {
  const days = new Map<string, { logins: number; signups: number; first: Date; last: Date }>();
  for (const e of events) {
    if (e.date < from || e.date.getTime() >= toInclusive.getTime() + DAY || !['s', 'ss'].includes(e.type)) continue;
    const key = e.date.toISOString().slice(0, 10);
    const day = days.get(key) ?? { logins: 0, signups: 0, first: e.date, last: e.date };
    if (e.type === 's' || e.details.signed_in !== false) day.logins++;
    if (e.type === 'ss') day.signups++;
    if (e.date < day.first) day.first = e.date;
    if (e.date > day.last) day.last = e.date;
    days.set(key, day);
  }
  return [...days].sort(([a], [b]) => a.localeCompare(b)).map(([key, d]) => ({
    date: `${key}T00:00:00.000Z`, logins: d.logins, signups: d.signups, leaked_passwords: 0, updated_at: d.last.toISOString(), created_at: d.first.toISOString(),
  }));
}

const startOfUtcDay = (at: number) => new Date(Math.floor(at / DAY) * DAY);

describe('Management API: stats', () => {
  let insole: TestInsole;
  let seeded: Seeded[];
  const tokens: Record<string, string> = {};
  const get = (who: string | undefined, path: string) => api(insole, who && tokens[who], 'GET', path);

  before(async () => {
    insole = await startTestInsole({
      clients: [m2mClientConfig(STATS), m2mClientConfig(LOGS), { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] }],
    });
    seeded = seedEvents();
    await insole.db.collection('logs').insertMany(seeded.map((e) => ({ ...e })));
    for (const c of [STATS, LOGS]) tokens[c.client_id] = (await managementToken(insole, c)).access_token;
  });
  after(() => insole.stop());

  test('daily stats: one row per day with a login or sign-up, equal to a count of the same events; range ends inclusive', async () => {
    const res = await get('stats-reader', '/stats/daily?from=20260302&to=20260305');
    assert.equal(res.status, 200);
    const expected = expectedDays(seeded, new Date('2026-03-02T00:00:00Z'), new Date('2026-03-05T00:00:00Z'));
    assert.deepEqual(expected.map((d) => d.date), ['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z', '2026-03-05T00:00:00.000Z']);
    assert.deepEqual(expected.at(-1), { date: '2026-03-05T00:00:00.000Z', logins: 0, signups: 1, leaked_passwords: 0, updated_at: '2026-03-05T10:00:00.000Z', created_at: '2026-03-05T10:00:00.000Z' });
    assert.deepEqual(res.body, expected);

    const oneDay = await get('stats-reader', '/stats/daily?from=20260306&to=20260306');
    assert.deepEqual(oneDay.body, expectedDays(seeded, new Date('2026-03-06T00:00:00Z'), new Date('2026-03-06T00:00:00Z')));
    assert.equal(oneDay.body.length, 1);
    assert.deepEqual((await get('stats-reader', '/stats/daily?from=20990101')).body, [], 'a range that starts after today is empty');
  });

  test('a real sign-up counts as a sign-up and a login (as Auth0 counts it), a sign-in as a login; no range means the last 30 days', async () => {
    const today = startOfUtcDay(Date.now());
    await insole.db.collection('logs').insertMany([event(new Date(today.getTime() - 29 * DAY), 's'), event(new Date(today.getTime() - 29 * DAY - 1), 's')]);
    const credentials = { email: 'counted@innovashoes.example', password: 'counted twice today' };
    await signInForTokens(insole.issuer, credentials, 'signup');
    await signInForTokens(insole.issuer, credentials, 'login');
    await signInLogsWritten(insole.db);

    const res = await get('stats-reader', '/stats/daily');
    assert.equal(res.status, 200);
    const todays = await insole.db.collection<Seeded>('logs').find({ date: { $gte: today } }).toArray();
    assert.deepEqual(todays.map((l) => l.type).sort(), ['s', 'ss']);
    assert.deepEqual(res.body.map((d: { date: string }) => d.date), [new Date(today.getTime() - 29 * DAY).toISOString(), today.toISOString()]);
    assert.deepEqual(res.body[1], {
      date: today.toISOString(), logins: 2, signups: 1, leaked_passwords: 0,
      created_at: todays.find((l) => l.type === 'ss')!.date.toISOString(), updated_at: todays.find((l) => l.type === 's')!.date.toISOString(),
    });
  });

  test('active users: distinct users whose last login is within 30 days, a bare number', async () => {
    const now = Date.now();
    const user = (name: string, lastLogin?: number) => ({
      user_id: `auth0|${name}`, email: `${name}@innovashoes.example`, email_verified: true, identities: [], created_at: new Date(now - 90 * DAY), updated_at: new Date(now),
      logins_count: lastLogin ? 4 : 0, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {}, ...(lastLogin ? { last_login: new Date(lastLogin) } : {}),
    });
    await insole.db.collection('users').insertMany([
      user('hour', now - 3600_000), user('month', now - 29 * DAY), user('lapsed', now - 30 * DAY - 60_000), user('long.gone', now - 400 * DAY), user('never'),
    ]);
    const res = await get('stats-reader', '/stats/active-users');
    assert.equal(res.status, 200);
    assert.equal(typeof res.body, 'number');
    const users = await insole.db.collection('users').find().toArray();
    const active = users.filter((u) => u.last_login && u.last_login.getTime() >= now - 30 * DAY);
    const activeNames = active.map((u) => u.email.split('@')[0]);
    assert.ok(activeNames.includes('hour') && activeNames.includes('month'));
    assert.ok(!activeNames.some((name) => ['lapsed', 'long.gone', 'never'].includes(name)));
    assert.equal(res.body, active.length);
  });

  test('bad or reversed dates: 400 in Auth0 shape naming the parameter', async () => {
    for (const [query, parameter] of [
      ['from=2026-03-02', 'from'], ['from=20260230', 'from'], ['to=2026035', 'to'], ['to=20261301', 'to'], ['from=20260305&to=20260302', 'to'], ['days=7', 'days'],
    ]) {
      const res = await get('stats-reader', `/stats/daily?${query}`);
      assert.equal(res.status, 400, query);
      assert.deepEqual([res.body.statusCode, res.body.error, res.body.errorCode], [400, 'Bad Request', 'invalid_query_string']);
      assert.match(res.body.message, new RegExp(`"${parameter}"|${parameter}\\b`), query);
    }
  });

  test('scope matrix: read:stats passes, read:logs gets 403, no token 401', async () => {
    for (const path of ['/stats/daily?from=20260302&to=20260302', '/stats/active-users']) {
      assert.equal((await get('stats-reader', path)).status, 200, path);
      const refused = await get('log-reader', path);
      assert.equal(refused.status, 403, path);
      assert.equal(refused.body.message, 'Insufficient scope, expected any of: read:stats');
      assert.equal((await get(undefined, path)).status, 401, path);
    }
  });
});
