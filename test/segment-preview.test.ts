import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import '../src/db/connect.ts'; // the app's mongoose settings (sanitizeFilter): the report must not depend on them
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import { compileSegmentFilter, type SegmentFilter } from '../src/insight/segments/segment-filter.ts';
import { buildSegmentBreakdownPipeline, runSegmentPreview } from '../src/reports/segment-preview.report.ts';
import { createUserModel, type UserDoc, type UserModel } from '../src/users/user.model.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { day, storedProfile } from './support/insight-profiles.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { assertMatchesOpenApi } from './support/openapi-check.ts';
import { expectedPreview } from './support/segment-preview-expected.ts';
import { agedWithin, NOW, preciseShoppers, realisticShoppers, vocabulary } from './support/segment-users.ts';

const DAY_MS = 86_400_000;

/** Users at the edges of the age buckets on NOW's day (15 June 2025), and countries enough for an "other". */
function bucketEdgeShoppers(): UserDoc[] {
  const at = (id: string, facts: Partial<NonNullable<UserDoc['facts']>>, created: string) => ({
    ...storedProfile(), user_id: `auth0|${id}`, email: `${id}@innovashoes.example`, created_at: new Date(created),
    identities: [{ provider: 'google-oauth2', user_id: id, connection: 'google-oauth2', isSocial: true }],
    facts: { interests: [], interest_keys: [], connections: ['google-oauth2'], email_verified: true, computed_at: NOW, ...facts },
  });
  const born = (iso: string) => ({ born_from: day(iso), born_to: new Date(day(iso).getTime() + DAY_MS) });
  return [
    at('e01', { gender: 'male', ...born('2007-06-15'), country: 'JP' }, '2025-06-01T00:00:00Z'), // 18 today
    at('e02', { gender: 'male', ...born('2007-06-16'), country: 'CA' }, '2025-06-02T00:00:00Z'), // 17 until tomorrow
    at('e03', { gender: 'female', ...born('2000-06-15'), country: 'MX' }, '2025-06-03T00:00:00Z'), // 25 today
    at('e04', { gender: 'female', ...born('2000-06-16'), country: 'AU' }, '2025-06-03T00:00:00Z'), // 24
    at('e05', { born_from: day('1988-06-16'), born_to: day('1998-06-16'), country: 'JP' }, '2025-06-04T00:00:00Z'), // 27–36: youngest 27
    at('e06', { ...born('1890-01-01'), country: 'JP' }, '2025-06-05T00:00:00Z'), // 135: no one is
    at('e07', { ...born('2026-01-01') }, '2025-06-06T00:00:00Z'), // not born yet
    at('e08', { gender: 'male', ...born('1960-06-15'), country: 'NZ' }, '2025-06-06T00:00:00Z'), // 65 today
    { ...at('e09', { gender: 'female', country: 'CH' }, '2025-06-07T00:00:00Z'), password_hash: '$argon2id$secret', identities: [{ provider: 'auth0', user_id: 'e09', connection: 'Username-Password-Authentication', isSocial: false, sealed_tokens: { iv: 'a', tag: 'b', data: 'c' } }] },
  ];
}

const allShoppers = () => [...preciseShoppers(), ...realisticShoppers(), ...bucketEdgeShoppers()];
const isPreorder = (now: Date) => (u: UserDoc) => u.facts?.gender === 'male' && agedWithin(u, 20, 40, now) && Boolean(u.facts?.interest_keys.includes('fitness'));

describe('segment preview report: one aggregation, compared with plain JavaScript', () => {
  let connection: mongoose.Connection;
  let User: UserModel;
  let stored: UserDoc[];
  before(async () => {
    connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
    User = createUserModel(connection);
    await connection.db!.collection('users').insertMany(allShoppers().map((user) => ({ ...user })));
    stored = await connection.db!.collection('users').find({}).toArray() as unknown as UserDoc[];
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  const previews: [string, SegmentFilter, (now: Date) => (u: UserDoc) => boolean][] = [
    ['every user: all buckets, 14 countries (the top 10 and other), unknowns', {}, () => () => true],
    ['the pre-order segment', PREORDER_SEGMENT_FILTER, isPreorder],
    ['everyone outside it', { not: PREORDER_SEGMENT_FILTER }, (now) => (u) => !isPreorder(now)(u)],
    ['a q leaf alone', { q: 'identities.connection:google-oauth2' }, () => (u) => u.identities.some((i) => i.connection === 'google-oauth2')],
    ['nobody', { city: '(.*)+$' }, () => () => false],
  ];
  for (const [title, filter, membership] of previews) {
    test(title, async () => {
      const preview = await runSegmentPreview(User, compileSegmentFilter(filter, { now: NOW, vocabulary }), NOW);
      const expected = expectedPreview(stored, membership(NOW), NOW);
      assert.deepEqual({ count: preview.count, breakdown: preview.breakdown }, { count: expected.count, breakdown: expected.breakdown });
      assert.deepEqual(preview.sample.map((u) => u.user_id), expected.sample);
    });
  }

  test('the age buckets at their edges: an 18th, 25th and 65th birthday today; straddling bounds by the youngest age', async () => {
    const preview = await runSegmentPreview(User, { user_id: { $in: ['auth0|e01', 'auth0|e02', 'auth0|e03', 'auth0|e04', 'auth0|e05', 'auth0|e06', 'auth0|e07', 'auth0|e08'] } }, NOW);
    assert.deepEqual(preview.breakdown.age, [
      { bucket: '0-17', count: 1 }, { bucket: '18-24', count: 2 }, { bucket: '25-34', count: 2 }, { bucket: '35-44', count: 0 },
      { bucket: '45-54', count: 0 }, { bucket: '55-64', count: 0 }, { bucket: '65+', count: 1 }, { bucket: 'unknown', count: 2 },
    ]);
    const dayBefore = await runSegmentPreview(User, { user_id: { $in: ['auth0|e01', 'auth0|e03', 'auth0|e08'] } }, new Date(NOW.getTime() - DAY_MS));
    assert.deepEqual(dayBefore.breakdown.age.filter((row) => row.count).map((row) => row.bucket), ['0-17', '18-24', '55-64'], 'the eve of those birthdays');
  });

  test('count and breakdown are one $match, a $project of the four grouped fields and one $facet; the sample leaves secrets in the database', async () => {
    const pipeline = buildSegmentBreakdownPipeline({ 'facts.gender': 'male' }, NOW);
    assert.deepEqual(pipeline.map((stage) => Object.keys(stage)[0]), ['$match', '$project', '$facet']);
    const preview = await runSegmentPreview(User, { user_id: 'auth0|e09' }, NOW);
    assert.equal(preview.sample.length, 1);
    assert.equal('password_hash' in preview.sample[0], false);
    assert.equal('sealed_tokens' in preview.sample[0].identities[0], false);
    assert.equal(preview.sample[0].identities[0].connection, 'Username-Password-Authentication');
  });
});

const REPORTER = { client_id: 'reporter', client_secret: 'reporter-secret-0123456789abcdef', scopes: ['read:reports'] };
const READER = { client_id: 'reader', client_secret: 'reader-secret-0123456789abcdef', scopes: ['read:users', 'read:segments'] };
const REPORTER_WITH_USERS = { client_id: 'reporter-users', client_secret: 'reporter-users-secret-0123456789abcdef', scopes: ['read:reports', 'read:users'] };

describe('POST /api/v2/reports/segments/preview', () => {
  let insole: TestInsole;
  let doc: OpenApiDocument;
  let reporter: string;
  let stored: UserDoc[];
  const preview = (body: unknown, token = reporter) => api(insole, token, 'POST', '/reports/segments/preview', body);

  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(REPORTER), m2mClientConfig(READER), m2mClientConfig(REPORTER_WITH_USERS)], admin_api: { rate_limit: { requests: 1000, window_seconds: 60 } } });
    await insole.db.collection('users').insertMany(allShoppers().map((user) => ({ ...user })));
    stored = await insole.db.collection('users').find({}).toArray() as unknown as UserDoc[];
    doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    reporter = (await managementToken(insole, REPORTER)).access_token;
  });
  after(() => insole.stop());

  test('the pre-order campaign: count, breakdown and sample as plain JavaScript computes them now, in the documented shape', async () => {
    const before = new Date();
    const res = await preview({ filter: PREORDER_SEGMENT_FILTER });
    const after = new Date();
    assert.equal(res.status, 200);
    assertMatchesOpenApi(doc, 'POST', '/reports/segments/preview', 200, res.body);
    // The server resolves ages at its own now, between these two: either reading is right (they differ only across a UTC midnight).
    const readings = [before, after].map((now) => expectedPreview(stored, isPreorder(now), now));
    const got = { count: res.body.count, breakdown: res.body.breakdown, sample: res.body.sample.map((u: { user_id: string }) => u.user_id) };
    assert.ok(readings.some((expected) => JSON.stringify(expected) === JSON.stringify(got)), `got ${JSON.stringify(got)}\nexpected ${JSON.stringify(readings[0])}`);
    assert.ok(res.body.count > 0);
    assert.equal(res.body.description, 'men aged 20–40 interested in fitness');
    const marco = res.body.sample.find((u: { user_id: string }) => u.user_id.startsWith('facebook|'));
    assert.equal(marco?.created_at, stored.find((u) => u.user_id === marco?.user_id)!.created_at.toISOString(), 'Auth0 profiles: ISO dates');
    assert.equal('facts' in marco, false, 'facts stay inside');
  });

  test('{ q } alone is { filter: { q } }; metadata paths and facts can be mixed', async () => {
    const alone = await preview({ q: 'app_metadata.plan:gold' });
    assert.equal(alone.status, 200);
    assert.deepEqual(alone.body.sample.map((u: { user_id: string }) => u.user_id).sort(), ['auth0|p01', 'auth0|p18']);
    assert.equal(alone.body.description, 'users matching q "app_metadata.plan:gold"');
    const mixed = await preview({ filter: { gender: 'male', country: 'DE', q: 'app_metadata.plan:gold' } });
    assert.deepEqual([mixed.body.count, mixed.body.sample[0].user_id], [1, 'auth0|p01']);
  });

  test('the sample shows what the report rows show to read:reports alone; whole profiles (metadata, IPs, identities) need read:users', async () => {
    const narrow = await preview({ q: 'app_metadata.plan:gold' });
    assertMatchesOpenApi(doc, 'POST', '/reports/segments/preview', 200, narrow.body);
    assert.deepEqual(narrow.body.sample.map((u: object) => Object.keys(u).sort()), [['created_at', 'email', 'name', 'user_id'], ['created_at', 'email', 'name', 'user_id']]);
    const wide = await preview({ q: 'app_metadata.plan:gold' }, (await managementToken(insole, REPORTER_WITH_USERS)).access_token);
    assertMatchesOpenApi(doc, 'POST', '/reports/segments/preview', 200, wide.body);
    assert.deepEqual(wide.body.sample.map((u: { app_metadata: { plan: string } }) => u.app_metadata.plan), ['gold', 'gold']);
    assert.deepEqual(wide.body.sample.map((u: { user_id: string }) => u.user_id), narrow.body.sample.map((u: { user_id: string }) => u.user_id));
  });

  test('scopes: read:reports → 200, other scopes → 403 in Auth0 words, no token → 401', async () => {
    assert.equal((await preview({ filter: {} })).status, 200);
    const reader = (await managementToken(insole, READER)).access_token;
    const refused = await preview({ filter: {} }, reader);
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, { statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: read:reports', errorCode: 'insufficient_scope' });
    const anonymous = await api(insole, undefined, 'POST', '/reports/segments/preview', { filter: {} });
    assert.equal(anonymous.status, 401);
    assertMatchesOpenApi(doc, 'POST', '/reports/segments/preview', 401, anonymous.body);
  });

  test('hostile and malformed bodies → 400 with the property and the reason', async () => {
    const cases: [unknown, string][] = [
      [{ filter: { gender: { $ne: '' } } }, 'Payload property "filter.gender": expected a gender (male, female, another word, or unknown), or a list of 1 to 50 of them.'],
      [{ filter: { all: [{ gendr: 'male' }] } }, 'Payload property "filter.all.0": unknown condition "gendr"; a filter knows all, any, not, gender, age, interests, country, city, connection, email_verified, lifecycle, signed_up, last_login, logins_count, sentiment, sentiment_score, q.'],
      [{ filter: { $where: 'sleep(5000)' } }, 'Payload property "filter": unknown condition "$where"; a filter knows all, any, not, gender, age, interests, country, city, connection, email_verified, lifecycle, signed_up, last_login, logins_count, sentiment, sentiment_score, q.'],
      [{ filter: { age: { min: 20, mx: 40 } } }, 'Payload property not allowed: filter.age.mx.'],
      [{ filter: { age: { min: 41, max: 40 } } }, 'Payload property "filter.age": min must not be above max.'],
      [{ filter: { last_login: { within_days: '30' } } }, 'Payload property "filter.last_login.within_days": Invalid input: expected number, received string.'],
      [{ q: 'name:(' }, 'Payload property "q": Query syntax error at position 6: expected a term.'],
      [{ filter: { gender: 'male' }, q: 'name:x' }, 'Payload validation error: give either filter or q (one of them).'],
      [{}, 'Payload validation error: give either filter or q (one of them).'],
      [{ filter: {}, limit: 5 }, 'Payload property not allowed: limit.'],
      [{ filter: 'gender:male' }, 'Payload property "filter": expected a filter object, such as { "gender": "male" }.'],
      [{ filter: { city: 'Ber\u0000lin' } }, 'Payload property "filter.city": control characters are not allowed.'],
      [{ filter: { interests: ['fitness', 'yo\tga'] } }, 'Payload property "filter.interests.1": control characters are not allowed.'],
    ];
    for (const [body, message] of cases) {
      const res = await preview(body);
      assert.deepEqual(res.body, { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_body' }, JSON.stringify(body));
      assertMatchesOpenApi(doc, 'POST', '/reports/segments/preview', 400, res.body);
    }
  });

  test('a 12,000-level NOT chain (near the 100 kB body limit) is a 400, and the server answers the next request', async () => {
    const levels = 12_000;
    const body = `{"filter":${'{"not":'.repeat(levels)}{"gender":"male"}${'}'.repeat(levels)}}`;
    assert.ok(body.length < 100 * 1024);
    const res = await fetch(`${insole.issuer}/api/v2/reports/segments/preview`, { method: 'POST', headers: { authorization: `Bearer ${reporter}`, 'content-type': 'application/json' }, body });
    assert.equal(res.status, 400);
    assert.match((await res.json() as { message: string }).message, /^Payload property "filter(\.not){8}": filters may nest at most 8 levels deep\.$/);
    assert.equal((await preview({ filter: { city: '(.*)+$' } })).body.count, 0, 'regex metacharacters are literal');
  });
});
