import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken, type M2mClient } from './support/management.ts';

const client = (id: string, scopes: string[]): M2mClient => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
const LOGS = client('log-reader', ['read:logs']);
const USER_LOGS = client('user-log-reader', ['read:logs_users']);
const STATS = client('stats-reader', ['read:stats']);

const USERS = [
  { user_id: 'auth0|ann', user_name: 'ann@innovashoes.example' },
  { user_id: 'auth0|bob', user_name: 'bob@innovashoes.example' },
  { user_id: 'google-oauth2|carl', user_name: 'Carl@innovashoes.example' },
];
const TYPES = ['s', 'f', 'ss', 'slo', 'fp'];
const START = Date.UTC(2025, 11, 28);

// As log.service makes them: the time in hex, then randomness.
const logIdAt = (date: Date) => `${date.getTime().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;

/** 130 events over 11 days, three at each instant (so ties on date must be broken by log_id). */
function seedLogs() {
  return Array.from({ length: 130 }, (_, i) => {
    const date = new Date(START + Math.floor(i / 3) * 6 * 3600_000);
    const user = USERS[i % USERS.length];
    return {
      log_id: logIdAt(date), date, type: TYPES[i % TYPES.length], description: `event ${i}`,
      client_id: 'test-storefront', client_name: 'Test Storefront', ip: `203.0.113.${i % 250}`, user_agent: 'Chrome 131.0.0 / Linux',
      ...user, connection: 'Username-Password-Authentication', strategy: 'auth0', strategy_type: 'database', details: { n: i },
    };
  });
}

type StoredLog = ReturnType<typeof seedLogs>[number];
type Body = Record<string, unknown> & { log_id: string };

const byDateThenId = (a: StoredLog, b: StoredLog) => a.date.getTime() - b.date.getTime() || (a.log_id < b.log_id ? -1 : 1);
const ids = (logs: { log_id: string }[]) => logs.map((log) => log.log_id);

/** A 400 in Auth0's shape whose message names the parameter. */
function assertBadQuery(res: { status: number; body: Record<string, unknown> }, parameter: string) {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.statusCode, 400);
  assert.equal(res.body.error, 'Bad Request');
  assert.equal(res.body.errorCode, 'invalid_query_string');
  assert.match(String(res.body.message), new RegExp(`\\b${parameter}\\b`));
}

describe('Management API: log events', () => {
  let insole: TestInsole;
  let all: StoredLog[]; // oldest first, as the database holds them
  const tokens: Record<string, string> = {};
  const get = (who: string, path: string) => api(insole, tokens[who], 'GET', path);

  before(async () => {
    insole = await startTestInsole({
      clients: [m2mClientConfig(LOGS), m2mClientConfig(USER_LOGS), m2mClientConfig(STATS)],
      admin_api: { rate_limit: { requests: 10_000 } },
    });
    await insole.db.collection('logs').insertMany(seedLogs());
    all = (await insole.db.collection<StoredLog>('logs').find({}, { projection: { _id: 0 } }).toArray()).sort(byDateThenId);
    for (const c of [LOGS, USER_LOGS, STATS]) tokens[c.client_id] = (await managementToken(insole, c)).access_token;
  });
  after(() => insole.stop());

  test('offset mode: newest first, 50 by default, Auth0 log shape with ISO dates and _id = log_id', async () => {
    const res = await get('log-reader', '/logs');
    assert.equal(res.status, 200);
    const newest = [...all].reverse();
    assert.deepEqual(ids(res.body), ids(newest.slice(0, 50)));
    const stored = newest[0];
    assert.deepEqual(res.body[0], { _id: stored.log_id, ...stored, date: stored.date.toISOString() });
  });

  test('pages with include_totals, sorted both ways: every log once, ties in date order by log_id', async () => {
    const page = await get('log-reader', '/logs?page=1&per_page=20&include_totals=true');
    assert.equal(page.status, 200);
    assert.deepEqual({ ...page.body, logs: ids(page.body.logs) }, { start: 20, limit: 20, length: 20, total: all.length, logs: ids([...all].reverse().slice(20, 40)) });

    for (const [sort, expected] of [['date:1', all], ['date:-1', [...all].reverse()]] as const) {
      const seen: string[] = [];
      for (let p = 0; seen.length < all.length; p++) {
        const res = await get('log-reader', `/logs?sort=${sort}&per_page=33&page=${p}`);
        assert.ok(res.body.length > 0, `page ${p} of ${sort} is empty`);
        seen.push(...ids(res.body));
      }
      assert.deepEqual(seen, ids(expected), sort);
    }
    const past = await get('log-reader', '/logs?page=10&per_page=100&include_totals=true');
    assert.deepEqual(past.body, { start: 1000, limit: 100, length: 0, total: all.length, logs: [] });
  });

  test('fields and include_fields project each log', async () => {
    const only = await get('log-reader', '/logs?per_page=3&fields=log_id,type,date');
    assert.deepEqual(only.body.map((log: Body) => Object.keys(log).sort()), Array(3).fill(['date', 'log_id', 'type']));
    const without = await get('log-reader', '/logs?per_page=3&fields=details,ip&include_fields=false');
    const newest = all.at(-1)!;
    const { details: _details, ip: _ip, ...rest } = newest;
    assert.deepEqual(without.body[0], { _id: newest.log_id, ...rest, date: newest.date.toISOString() });
  });

  test('a blank q is no filter', async () => {
    assert.deepEqual(ids((await get('log-reader', '/logs?q=%20%20&per_page=5')).body), ids([...all].reverse().slice(0, 5)));
  });

  test('checkpoint mode: take alone starts at the oldest; the Link header pages through every log exactly once', async () => {
    const seen: string[] = [];
    let url = `${insole.issuer}/api/v2/logs?take=40`;
    for (let round = 0; round < 20; round++) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${tokens['log-reader']}` } });
      assert.equal(res.status, 200);
      const link = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '');
      assert.ok(link, `Link header on round ${round}: ${res.headers.get('link')}`);
      const logs = await res.json() as Body[];
      assert.ok(logs.length <= 40);
      if (!logs.length) {
        assert.equal(link[1], url, 'past the newest log, next is the same URL (Auth0)');
        break;
      }
      seen.push(...ids(logs));
      url = link[1];
    }
    const byLogId = ids(all).sort();
    assert.ok(byLogId.length > 100);
    assert.deepEqual(seen, byLogId);

    // From a checkpoint: only what comes after it, in log_id order; take defaults to 50.
    const from = byLogId[70];
    const res = await get('log-reader', `/logs?from=${from}`);
    assert.deepEqual(ids(res.body), byLogId.slice(71, 121));
    assert.equal(res.headers.get('link'), `<${insole.issuer}/api/v2/logs?from=${byLogId[120]}>; rel="next"`);
    const projected = await get('log-reader', `/logs?from=${from}&take=2&fields=log_id,type`);
    assert.deepEqual(projected.body, all.filter((log) => byLogId.slice(71, 73).includes(log.log_id)).map(({ log_id, type }) => ({ log_id, type })));

    // As Auth0's log exporters call it: sort is ignored in a checkpoint, q still filters.
    const exporter = await get('log-reader', `/logs?from=${from}&take=100&sort=date:1&q=${encodeURIComponent('type:s')}`);
    // As the v5 SDK calls it (it always sends page, per_page and include_totals): ignored there, as at Auth0.
    const v5Style = await get('log-reader', `/logs?page=0&per_page=50&include_totals=true&from=${from}&take=2`);
    assert.deepEqual(ids(v5Style.body), byLogId.slice(71, 73), 'a plain array, from the checkpoint, take long');
    assert.deepEqual(ids(exporter.body), byLogId.slice(71).filter((id) => all.find((log) => log.log_id === id)!.type === 's'));
    assert.ok(exporter.body.length > 0 && exporter.body.every((log: Body) => log.type === 's' && log._id === log.log_id));
  });

  test('GET /logs/{id}: the event, or 404 in Auth0 words', async () => {
    const wanted = all[17];
    const res = await get('log-reader', `/logs/${wanted.log_id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { _id: wanted.log_id, ...wanted, date: wanted.date.toISOString() });
    const missing = await get('log-reader', `/logs/${logIdAt(new Date())}`);
    assert.deepEqual(missing.body, { statusCode: 404, error: 'Not Found', message: 'Log event not found', errorCode: 'inexistent_log' });
  });

  test("GET /users/{id}/logs: that user's events, newest first or oldest first, with totals; read:logs_users is enough", async () => {
    const carl = all.filter((log) => log.user_id === 'google-oauth2|carl');
    const path = `/users/${encodeURIComponent('google-oauth2|carl')}/logs`;
    for (const who of ['log-reader', 'user-log-reader']) {
      const res = await get(who, `${path}?per_page=100`);
      assert.equal(res.status, 200);
      assert.deepEqual(ids(res.body), ids([...carl].reverse()));
    }
    const oldest = await get('user-log-reader', `${path}?sort=date:1&page=1&per_page=10&include_totals=true`);
    assert.deepEqual({ ...oldest.body, logs: ids(oldest.body.logs) }, { start: 10, limit: 10, length: 10, total: carl.length, logs: ids(carl.slice(10, 20)) });
    // Logs outlive their user: an id with no logs (or no user) is an empty list, not a 404.
    assert.deepEqual((await get('log-reader', `/users/${encodeURIComponent('auth0|gone')}/logs`)).body, []);
  });

  test('bad parameters: 400 in Auth0 shape naming the parameter, for both modes', async () => {
    const cases: [string, string][] = [
      ['/logs?per_page=101', 'per_page'], ['/logs?per_page=0', 'per_page'], ['/logs?page=-1', 'page'], ['/logs?page=two', 'page'],
      ['/logs?sort=type:1', 'sort'], ['/logs?sort=date', 'sort'], ['/logs?fields=log_id,password_hash', 'fields'],
      ['/logs?include_totals=yes', 'include_totals'], ['/logs?include_fields=1', 'include_fields'], ['/logs?colour=red', 'colour'],
      ['/logs?q=type:s&search=type:s', 'search'], [`/logs?q=${'a'.repeat(2001)}`, 'q'],
      ['/logs?take=101', 'take'], ['/logs?take=0', 'take'], ['/logs?from=../../etc', 'from'],
      [`/logs?take=10&per_page=101`, 'per_page'], [`/logs?take=10&q=type:(s`, 'position'],
      ['/users/auth0%7Cann/logs?per_page=500', 'per_page'], ['/users/auth0%7Cann/logs?sort=ip:1', 'sort'], ['/users/auth0%7Cann/logs?fields=ip', 'fields'],
    ];
    for (const [path, parameter] of cases) assertBadQuery(await get('log-reader', path), parameter);
  });

  test('scope matrix: read:logs passes, read:stats gets 403, no token 401', async () => {
    for (const path of ['/logs', `/logs/${all[0].log_id}`, '/logs?take=5', '/users/auth0%7Cann/logs']) {
      assert.equal((await get('log-reader', path)).status, 200, path);
      const refused = await get('stats-reader', path);
      assert.equal(refused.status, 403, path);
      assert.equal(refused.body.errorCode, 'insufficient_scope');
      assert.equal((await api(insole, undefined, 'GET', path)).status, 401, path);
    }
    assert.equal((await get('user-log-reader', '/logs')).status, 403, 'read:logs_users reads one user\'s logs only');
    assert.equal((await get('stats-reader', '/users/auth0%7Cann/logs')).body.message, 'Insufficient scope, expected any of: read:logs,read:logs_users');
  });

  // Written against Auth0's log search semantics; enabled when the q compiler (src/search/) is merged.
  describe('log search', () => {
    const search = async (q: string, param = 'q') => ids((await get('log-reader', `/logs?${param}=${encodeURIComponent(q)}&per_page=100&sort=date:1`)).body);
    const expect = (match: (log: StoredLog) => boolean) => ids(all.filter(match)).slice(0, 100);

    test('type:s (as q and as the v5 SDK\'s search)', async () => {
      assert.deepEqual(await search('type:s'), expect((log) => log.type === 's'));
      assert.deepEqual(await search('type:s', 'search'), expect((log) => log.type === 's'));
    });

    test('user_id:"auth0|bob"', async () => {
      assert.deepEqual(await search('user_id:"auth0|bob"'), expect((log) => log.user_id === 'auth0|bob'));
    });

    test('date:[2026-01-01 TO *]', async () => {
      assert.deepEqual(await search('date:[2026-01-01 TO *]'), expect((log) => log.date >= new Date('2026-01-01T00:00:00Z')));
    });

    test('type:s AND user_name:an*', async () => {
      assert.deepEqual(await search('type:s AND user_name:an*'), expect((log) => log.type === 's' && log.user_name.startsWith('an')));
    });
  });
});
