import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rolesOf } from '../src/dashboard/http/dashboard-page.ts';
import { searchQueryOf } from '../src/dashboard/http/user.routes.ts';
import { createLiveFeed } from '../src/dashboard/live/live-feed.ts';
import { displayName, maskEmail, maskIp, toLiveSignIn } from '../src/dashboard/live/live-events.ts';
import { safeReturnTo } from '../src/dashboard/session/dashboard-signin.ts';
import { parseDayRange } from '../src/dashboard/widgets/date-range.ts';
import { filterFromForm, segmentFormSchema } from '../src/dashboard/widgets/segment-form.ts';
import { createLogModel } from '../src/logs/log.model.ts';
import { createLogger } from '../src/lib/logger.ts';
import type { LiveSignIn } from '../src/dashboard/live/live-events.ts';
import { composeTestInsole } from './support/insole.ts';

describe('dashboard pieces on their own', () => {
  test('live events mask the address and the email, never carry more, and count as the overview counts', () => {
    assert.equal(maskIp('203.0.113.7'), '203.0.113.x');
    assert.equal(maskIp('::ffff:198.51.100.23'), '198.51.100.x');
    assert.equal(maskIp('2001:db8:85a3:8d3:1319:8a2e:370:7348'), '2001:db8:85a3::x');
    assert.equal(maskIp('not an address'), null);
    assert.equal(maskEmail('shopper12@innovashoes.example'), 's•••@innovashoes.example');
    assert.equal(displayName('Ada Lovelace', 'ada@x.example'), 'Ada Lovelace');
    assert.equal(displayName('ada@x.example', 'ada@x.example'), 'a•••@x.example', 'a name that is an email is masked too');
    const date = new Date('2026-03-01T10:00:00Z');
    const signup = toLiveSignIn({ log_id: '1', date, type: 'ss', connection: 'facebook', ip: '203.0.113.7', user_id: 'facebook|1', details: {} }, { email: 'x@y.example' });
    assert.deepEqual(signup, { id: '1', at: date.toISOString(), kind: 'signup', connection: 'facebook', who: 'x•••@y.example', ip: '203.0.113.x', delta: { day: '2026-03-01', users: 1, signups: 1, signins: 1 } });
    const verifyFirst = toLiveSignIn({ log_id: '2', date, type: 'ss', details: { signed_in: false } }, undefined);
    assert.deepEqual(verifyFirst.delta, { day: '2026-03-01', users: 1, signups: 1, signins: 0 }, 'a verify-first sign-up signed nobody in');
    assert.deepEqual(toLiveSignIn({ log_id: '3', date, type: 's' }, { name: 'Bo' }).delta, { day: '2026-03-01', users: 0, signups: 0, signins: 1 });
  });

  test('the builder form becomes the filter of README "Segment filters"; a bad number is a 400 naming the field', () => {
    const form = segmentFormSchema.parse({
      gender: 'male', age_min: '20', age_max: '40', interests: 'fitness, running', interests_mode: 'all', country: 'DE', connection: ['facebook', 'twitter'],
      lifecycle: 'active', sentiment: ['negative'], email_verified: 'false', signed_up_days: '30', signed_up_mode: 'within', last_login_days: '90',
      last_login_mode: 'not_within', logins_min: '2', q: 'app_metadata.plan:gold', name: 'ignored in the filter',
    });
    assert.deepEqual(filterFromForm(form), {
      gender: 'male', age: { min: 20, max: 40 }, interests: { all_of: ['fitness', 'running'] }, country: 'DE', connection: ['facebook', 'twitter'],
      lifecycle: 'active', sentiment: 'negative', email_verified: false, signed_up: { within_days: 30 }, last_login: { not_within_days: 90 },
      logins_count: { min: 2 }, q: 'app_metadata.plan:gold',
    });
    assert.deepEqual(filterFromForm(segmentFormSchema.parse({})), {}, 'nothing chosen: every user');
    assert.deepEqual(filterFromForm(segmentFormSchema.parse({ interests: 'fitness' })), { interests: 'fitness' });
    assert.throws(() => segmentFormSchema.parse({ age_min: 'twenty' }), /Age from: enter a whole number/);
    assert.throws(() => segmentFormSchema.parse({ shoe: 'red' }));
  });

  test('the date range: both days shown inclusive, the API\'s end the day after; bad or long ranges fall back, saying why', () => {
    const now = new Date('2026-03-15T12:00:00Z');
    assert.deepEqual(parseDayRange({}, now), { from: '2026-02-14', to: '2026-03-15', apiTo: '2026-03-16' });
    assert.deepEqual(parseDayRange({ from: '2026-01-01', to: '2026-01-31' }, now), { from: '2026-01-01', to: '2026-01-31', apiTo: '2026-02-01' });
    assert.match(parseDayRange({ from: '2026-02-30', to: '2026-03-01' }, now).error ?? '', /YYYY-MM-DD/);
    for (const [from, to] of [['2026-13-01', '2026-12-01'], ['2026-12-01', '2026-12-32'], ['2026-00-10', '2026-01-10']]) {
      assert.deepEqual(parseDayRange({ from, to }, now), { ...parseDayRange({}, now), error: 'Choose both days of the range (YYYY-MM-DD).' }, `${from}..${to}: a day that does not exist`);
    }
    assert.match(parseDayRange({ from: '2026-03-02', to: '2026-03-01' }, now).error ?? '', /must not be after/);
    assert.match(parseDayRange({ from: '2024-01-01', to: '2026-03-01' }, now).error ?? '', /at most 366 days/);
  });

  test('search words become a prefix search of email or name with every character escaped; Auth0 syntax passes as it is', () => {
    assert.equal(searchQueryOf('ada.l@x'), 'email:ada\\.l\\@x* OR name:ada\\.l\\@x*');
    assert.equal(searchQueryOf(' logins_count:[2 TO *] '), 'logins_count:[2 TO *]');
  });

  test('sign-in returns only to dashboard pages (no open redirect); roles shown are the widest the token holds', () => {
    for (const bad of ['https://evil.example/admin', '//evil.example/admin', '/admin\\@evil', '/administrator', '/api/v2/users', undefined, '/admin/ x']) assert.equal(safeReturnTo(bad), '/admin', String(bad));
    assert.equal(safeReturnTo('/admin/segments?start=pre-order'), '/admin/segments?start=pre-order');
    const roles = { admin: ['read:users', 'update:users'], marketing: ['read:users'], auditor: ['read:logs'] };
    assert.deepEqual(rolesOf({ sub: 'x', scopes: new Set(['read:users', 'update:users']) }, roles), ['admin']);
    assert.deepEqual(rolesOf({ sub: 'x', scopes: new Set(['read:users', 'read:logs']) }, roles), ['marketing', 'auditor']);
  });
});

describe('the live feed over the logs collection', () => {
  let composed: Awaited<ReturnType<typeof composeTestInsole>>;
  before(async () => { composed = await composeTestInsole(); });
  after(() => composed.close());

  test('each sign-in once, in log_id order, including one whose earlier log_id landed after a later one; older events only for `since`', async () => {
    const logs = createLogModel(composed.core.connection);
    const id = (at: number, n: number) => `${at.toString(16).padStart(12, '0')}${String(n).padStart(20, '0')}`;
    const log = (at: number, n: number, type = 's') => ({ log_id: id(at, n), date: new Date(at), type, connection: 'facebook', user_id: `facebook|${n}`, ip: '203.0.113.5', details: {} });
    const now = Date.now();
    await logs.collection.insertOne(log(now - 3000, 1)); // before anyone watched
    await logs.collection.insertOne(log(now - 90_000, 0)); // before the page's roll-up was read: within keepMs, beyond the poll's look-back
    await logs.collection.insertOne(log(now - 150_000, 9)); // beyond keepMs
    const feed = createLiveFeed({ logs, users: composed.core.userModel, logger: createLogger('silent') }, { pollMs: 30, lookbackMs: 10_000, keepMs: 120_000 });
    const seen: LiveSignIn[] = [];
    const replayed: LiveSignIn[] = [];
    const stop = await feed.subscribe((e) => seen.push(e));
    const stopReplay = await feed.subscribe((e) => replayed.push(e), new Date(now - 100_000));
    assert.deepEqual(replayed.map((e) => e.id), [id(now - 90_000, 0), id(now - 3000, 1)], 'since: the kept events after that moment, as far back as keepMs');
    const recentOnly: LiveSignIn[] = [];
    (await feed.subscribe((e) => recentOnly.push(e), new Date(now - 5000)))();
    assert.deepEqual(recentOnly.map((e) => e.id), [id(now - 3000, 1)]);
    await logs.collection.insertOne(log(now + 200, 3, 'ss'));
    await until(() => seen.length === 1);
    await logs.collection.insertOne(log(now + 100, 2)); // an earlier id, written later (a slow instance)
    await logs.collection.insertOne({ ...log(now + 300, 4), type: 'fp' }); // not a sign-in
    await until(() => seen.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(seen.map((e) => [e.id, e.kind]), [[id(now + 200, 3), 'signup'], [id(now + 100, 2), 'signin']]);
    assert.equal(feed.watchers, 2);
    stop();
    stopReplay();
    await feed.stop();
  });

  test('a dashboard sign-out reaches the feeds of every instance once, as a sign-out and not as a sign-in; older ones and insole\'s own slo are not news', async () => {
    const logs = createLogModel(composed.core.connection);
    const record = (key?: string) => composed.core.logs.record({ type: 'slo', user_id: 'auth0|boss', client_id: 'insole-dashboard', details: key ? { dashboard_session: key } : {} });
    await record('signed-out-before');
    const instances = [0, 1].map(() => createLiveFeed({ logs, users: composed.core.userModel, logger: createLogger('silent') }, { pollMs: 30, lookbackMs: 10_000 }));
    const heard = instances.map(() => [] as string[]);
    const signIns: LiveSignIn[] = [];
    const stops = await Promise.all(instances.map(async (feed, i) => [feed.onSignOut((key) => heard[i].push(key)), await feed.subscribe((e) => signIns.push(e))]));
    await record(); // insole's end-session names no dashboard session
    await record('signed-out-now');
    await until(() => heard.every((keys) => keys.length >= 1));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(heard, [['signed-out-now'], ['signed-out-now']]);
    assert.deepEqual(signIns, []);
    for (const stop of stops.flat()) stop();
    await Promise.all(instances.map((feed) => feed.stop()));
  });
});

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
