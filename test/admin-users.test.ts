import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { USER_SORT_FIELDS } from '../src/admin/user-listing.service.ts';
import { signInForTokens, oidc } from './support/relying-party.ts';
import { UserAgent } from './support/user-agent.ts';

const ADMIN = { client_id: 'backoffice', client_secret: 'backoffice-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'delete:users', 'read:logs'] };
const READER = { client_id: 'reporting', client_secret: 'reporting-secret-0123456789abcdef', scopes: ['read:users'] };
const SEEDED = 1_200;

/** Seeded shoppers: created one minute apart, every tenth a man interested in running. */
function seedUser(i: number) {
  const created = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  return {
    user_id: `auth0|seed${String(i).padStart(6, '0')}`, email: `shopper${i}@${i % 3 ? 'innovashoes.example' : 'outlet.example'}`, email_verified: i % 2 === 0,
    name: `Shopper ${i}`, nickname: `shopper${i}`, identities: [{ provider: 'auth0', user_id: `seed${i}`, connection: 'Username-Password-Authentication', isSocial: false }],
    created_at: created, updated_at: created, logins_count: i % 7, blocked: false, blocked_for: [],
    user_metadata: i % 10 === 0 ? { fullcontact_profile: { gender: 'male', topics: ['Running', 'Gym'] } } : {}, app_metadata: {},
  };
}

describe('Management API: users', () => {
  let insole: TestInsole;
  let token: string;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN), m2mClientConfig(READER), {
      client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'],
    }],
    // The paging tests walk hundreds of pages as fast as the machine allows: past the default 50 a
    // second the limit (tested in admin-access) would answer 429 on a fast run.
    admin_api: { rate_limit: { requests: 10_000 } } });
    await insole.db.collection('users').insertMany(Array.from({ length: SEEDED }, (_, i) => seedUser(i)));
    token = (await managementToken(insole, ADMIN)).access_token;
  });
  after(() => insole.stop());

  test('offset pages go past 1,000 results and cover every user once; include_totals wraps them', async () => {
    const seen = new Set<string>();
    for (let page = 0; page < 13; page++) {
      const res = await api(insole, token, 'GET', `/users?page=${page}&per_page=100&include_totals=true&sort=created_at:1`);
      assert.equal(res.status, 200);
      assert.equal(res.body.total, SEEDED);
      assert.equal(res.body.start, page * 100);
      assert.equal(res.body.length, res.body.users.length);
      for (const user of res.body.users) seen.add(user.user_id);
    }
    assert.equal(seen.size, SEEDED);
    const last = await api(insole, token, 'GET', '/users?page=11&per_page=100&sort=created_at:-1');
    assert.equal(last.body.at(-1).user_id, 'auth0|seed000000', 'descending order ends with the oldest');
  });

  /** Every user_id a cursor walk gives, following the Link header from `url` to the last page. */
  async function walkCursor(url: string | undefined): Promise<string[]> {
    const seen: string[] = [];
    while (url) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const users = await res.json() as { user_id: string; created_at: string }[];
      seen.push(...users.map((u) => u.user_id));
      url = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    return seen;
  }
  const innovashoes = encodeURIComponent('email.domain:innovashoes.example');
  const innovashoesIds = () => Array.from({ length: SEEDED }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => seedUser(i).user_id);

  test('a cursor pages through every match via the Link header, in order, each exactly once', async () => {
    assert.deepEqual(await walkCursor(`${insole.issuer}/api/v2/users?q=${innovashoes}&take=100&sort=created_at:1`), innovashoesIds());
  });

  test('a cursor pages newest first (sort=created_at:-1, user_id:-1), each user once; its cursor is refused with the other direction', async () => {
    const newestFirst = innovashoesIds().reverse();
    assert.deepEqual(await walkCursor(`${insole.issuer}/api/v2/users?q=${innovashoes}&take=100&sort=created_at:-1`), newestFirst);
    assert.deepEqual(await walkCursor(`${insole.issuer}/api/v2/users?q=${innovashoes}&take=100&sort=user_id:-1`), newestFirst);

    const first = await fetch(`${insole.issuer}/api/v2/users?take=2&sort=created_at:-1`, { headers: { authorization: `Bearer ${token}` } });
    const next = new URL(/<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')![1]);
    next.searchParams.set('sort', 'created_at:1');
    const turned = await api(insole, token, 'GET', `/users${next.search}`);
    assert.equal(turned.status, 400);
    assert.equal(turned.body.errorCode, 'invalid_query_string');
    assert.match(turned.body.message, /"from": not a cursor this list gave out/);
  });

  test('every sort of the list is served by an index of (field, user_id) over every user: none sparse, so MongoDB can sort by it', async () => {
    const indexes = await insole.db.collection('users').indexes();
    for (const field of USER_SORT_FIELDS) {
      const keys = field === 'user_id' ? ['user_id'] : [field, 'user_id'];
      const serving = indexes.find((index) => Object.keys(index.key).join() === keys.join() && !index.sparse && !index.partialFilterExpression);
      assert.ok(serving, `sort=${field}: no index on (${keys.join(', ')}) that holds every user`);
    }
  });

  test('q in Auth0 syntax over metadata paths and dates; a malformed q is a 400 naming the position', async () => {
    const q = encodeURIComponent('user_metadata.fullcontact_profile.gender:"male" AND user_metadata.fullcontact_profile.topics:Running AND created_at:[2026-01-01 TO 2026-01-01T03:00:00Z}');
    const res = await api(insole, token, 'GET', `/users?q=${q}&per_page=100&include_totals=true`);
    assert.equal(res.status, 200);
    // created one minute apart: the first 180 minutes hold users 0..179, every tenth of them matches
    assert.equal(res.body.total, 18);
    assert.ok(res.body.users.every((u: { user_metadata: { fullcontact_profile?: { gender: string } } }) => u.user_metadata.fullcontact_profile?.gender === 'male'));

    const bad = await api(insole, token, 'GET', `/users?q=${encodeURIComponent('name:(jo OR')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errorCode, 'invalid_query_string');
    assert.match(bad.body.message, /position \d+/);
  });

  test('fields and include_fields shape the answer; secrets cannot be asked for', async () => {
    const only = await api(insole, token, 'GET', '/users/auth0%7Cseed000010?fields=user_id,email');
    assert.deepEqual(Object.keys(only.body).sort(), ['email', 'user_id']);
    const without = await api(insole, token, 'GET', '/users/auth0%7Cseed000010?fields=user_metadata,identities&include_fields=false');
    assert.equal(without.body.user_metadata, undefined);
    assert.equal(without.body.identities, undefined);
    assert.equal(without.body.email, 'shopper10@innovashoes.example');
    const secret = await api(insole, token, 'GET', '/users/auth0%7Cseed000010?fields=password_hash');
    assert.equal(secret.status, 400);
    assert.match(secret.body.message, /unknown field/);
  });

  test('bad parameters are 400s in Auth0 words and name the parameter', async () => {
    for (const [query, parameter] of [['per_page=101', 'per_page'], ['page=-1', 'page'], ['sort=password_hash:1', 'sort'], ['include_totals=yes', 'include_totals'], ['take=5&page=1', 'cursor']] as const) {
      const res = await api(insole, token, 'GET', `/users?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, 'Bad Request');
      assert.ok(res.body.message.includes(parameter) || parameter === 'cursor' && /cursor paging/.test(res.body.message), `${query}: ${res.body.message}`);
    }
  });

  test('connection= filters by a connection insole has; an unknown name (a typo) is a 400 naming the known ones, in offset and cursor paging alike, not an empty list', async () => {
    const known = await api(insole, token, 'GET', '/users?connection=Username-Password-Authentication&per_page=5&include_totals=true');
    assert.deepEqual([known.status, known.body.total], [200, SEEDED]);
    assert.deepEqual((await api(insole, token, 'GET', '/users?connection=google-oauth2')).body, [], 'a known connection without users: an empty list');
    for (const query of ['connection=google', 'connection=google&take=5', 'connection=Username-Password-Authentication%20']) {
      const res = await api(insole, token, 'GET', `/users?${query}`);
      assert.deepEqual([res.status, res.body.errorCode], [400, 'inexistent_connection'], query);
      assert.match(res.body.message, /^The connection does not exist: .+\. insole names connections: Username-Password-Authentication, google-oauth2, facebook, twitter\.$/, query);
    }
  });

  test('PATCH merges metadata one level deep, null deletes a key, {} empties it', async () => {
    const id = 'auth0%7Cseed000020';
    await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { shoe_size: 44, fullcontact_profile: { gender: 'male' } } });
    let user = (await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { newsletter: true, shoe_size: null } })).body;
    assert.deepEqual(user.user_metadata, { fullcontact_profile: { gender: 'male' }, newsletter: true });
    user = (await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: {} })).body;
    assert.deepEqual(user.user_metadata, {});
    const hostile = await api(insole, token, 'PATCH', `/users/${id}`, { app_metadata: { '$set': { blocked: true } } });
    assert.equal(hostile.status, 400);
    const stored = await insole.db.collection('users').findOne({ user_id: 'auth0|seed000020' });
    assert.deepEqual(stored!.app_metadata, {});
    assert.equal(stored!.blocked, false);
  });

  test('a metadata key PATCH stores can be searched in q: any script, and a space or colon escaped with "\\"', async () => {
    const id = 'auth0%7Cseed000021';
    const patched = await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { 'größe': 42, 'shoe size': '44 EU', 'fit:note': { 'für läufer': 'ja' } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const queries = ['user_metadata.größe:42', 'user_metadata.shoe\\ size:"44 EU"', 'user_metadata.fit\\:note.für\\ läufer:ja', '_exists_:user_metadata.größe'];
    for (const q of queries) {
      const res = await api(insole, token, 'GET', `/users?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.map((user: { user_id: string }) => user.user_id), ['auth0|seed000021'], q);
    }
    const climbing = await api(insole, token, 'GET', `/users?q=${encodeURIComponent('user_metadata.\\$where:1')}`);
    assert.equal(climbing.status, 400);
    assert.match(climbing.body.message, /each part of a user_metadata path is a key/);
  });

  test('a "__proto__" metadata key, at any depth, is a 400 naming it, and nothing changes', async () => {
    const id = 'auth0%7Cseed000041';
    await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { shoe_size: 42 }, app_metadata: { tier: 'editor', plan: 'pro' } });
    // JSON.parse, not an object literal: in a literal "__proto__" sets the prototype and is never sent.
    for (const body of ['{"app_metadata":{"__proto__":{"plan":"free"}}}', '{"user_metadata":{"__proto__":null}}', '{"user_metadata":{"prefs":{"__proto__":{"x":1}}}}']) {
      const res = await api(insole, token, 'PATCH', `/users/${id}`, JSON.parse(body));
      assert.equal(res.status, 400, body);
      assert.equal(res.body.error, 'Bad Request');
      assert.match(res.body.message, /the key "__proto__" is not allowed/, body);
    }
    const stored = await insole.db.collection('users').findOne({ user_id: 'auth0|seed000041' });
    assert.deepEqual(stored!.user_metadata, { shoe_size: 42 });
    assert.deepEqual(stored!.app_metadata, { tier: 'editor', plan: 'pro' });

    const email = 'proto@innovashoes.example';
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: 'a long secret phrase', app_metadata: JSON.parse('{"__proto__":{"roles":["admin"]}}') });
    assert.equal(created.status, 400);
    assert.match(created.body.message, /"__proto__" is not allowed/);
    assert.equal(await insole.db.collection('users').countDocuments({ email }), 0);
  });

  test('"constructor" and "prototype" metadata keys are a 400 naming them, not a 200 that stores less than was sent', async () => {
    const id = 'auth0%7Cseed000042';
    await api(insole, token, 'PATCH', `/users/${id}`, { app_metadata: { plan: 'pro' } });
    // Below a $set path mongoose's casting drops these keys: the answer said 200 with { prefs: {} }.
    for (const body of [{ app_metadata: { prefs: { prototype: { colour: 'red' } } } }, { user_metadata: { prefs: { constructor: 'x', size: 42 } } }, { app_metadata: { constructor: 1 } }]) {
      const res = await api(insole, token, 'PATCH', `/users/${id}`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, /the key "(constructor|prototype)" is not allowed\.$/, JSON.stringify(body));
      assert.doesNotMatch(res.body.message, /\.\.$/, 'one full stop');
    }
    const stored = await insole.db.collection('users').findOne({ user_id: 'auth0|seed000042' });
    assert.deepEqual(stored!.app_metadata, { plan: 'pro' });
  });

  test('the 16 kB metadata cap holds for the merged object: a PATCH that would take it past is a 400 and changes nothing', async () => {
    const id = 'auth0%7Cseed000043';
    const big = 'x'.repeat(15_000);
    assert.equal((await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { k1: big } })).status, 200);
    const refused = await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { k2: big }, name: 'Not Renamed' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errorCode, 'invalid_body');
    assert.match(refused.body.message, /^user_metadata: merged with the stored one it would be 30\d{3} characters of JSON; at most 16384\.$/);
    const stored = await insole.db.collection('users').findOne({ user_id: 'auth0|seed000043' });
    assert.deepEqual(Object.keys(stored!.user_metadata), ['k1']);
    assert.equal(stored!.name, 'Shopper 43');

    // A key set to null is gone before the merged object is measured; app_metadata has a cap of its own.
    const swapped = await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { k1: null, k2: big }, app_metadata: { k3: big } });
    assert.equal(swapped.status, 200);
    assert.deepEqual(Object.keys(swapped.body.user_metadata), ['k2']);
    assert.deepEqual(Object.keys(swapped.body.app_metadata), ['k3']);
  });

  test('what the FullContact hook stored is not counted against the cap: an enriched profile past 16 kB still takes a shoe size and a null', async () => {
    const userId = 'auth0|seed000045';
    const id = encodeURIComponent(userId);
    // As the hook stores a rich answer: the whole FullContact person, and the profile made from it.
    const interests = Array.from({ length: 200 }, (_, i) => ({ name: `Interest ${i}`, id: String(i), affinity: 'HIGH', parentIds: ['7'], category: 'Fitness' }));
    const fullcontact = { fullName: 'Shopper 45', details: { interests } };
    await insole.db.collection('users').updateOne({ user_id: userId }, { $set: { user_metadata: { fullcontact, fullcontact_profile: { country: 'US' }, newsletter: true } } });
    assert.ok(JSON.stringify(fullcontact).length > 16_384);

    const patched = await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { shoe_size: 44, newsletter: null } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.user_metadata, { fullcontact, fullcontact_profile: { country: 'US' }, shoe_size: 44 });
    // The client's own keys are still held to the cap (two of 9,000 characters add up past it), as is what a body writes.
    assert.equal((await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { notes: 'x'.repeat(9_000) } })).status, 200);
    assert.equal((await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { more: 'x'.repeat(9_000) } })).status, 400);
    assert.equal((await api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { fullcontact: { ...fullcontact, fullName: 'Renamed' } } })).status, 400);
    const stored = await insole.db.collection('users').findOne({ user_id: userId });
    assert.deepEqual(Object.keys(stored!.user_metadata).sort(), ['fullcontact', 'fullcontact_profile', 'notes', 'shoe_size']);
    assert.equal(stored!.user_metadata.fullcontact.fullName, 'Shopper 45');
  });

  test('picture must be an http or https URL: javascript: and data: URLs are a 400 naming the field', async () => {
    const id = 'auth0%7Cseed000044';
    for (const picture of ['javascript:alert(1)', 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=', 'ftp://cdn.innovashoes.example/a.png']) {
      const res = await api(insole, token, 'PATCH', `/users/${id}`, { picture });
      assert.equal(res.status, 400, picture);
      assert.match(res.body.message, /picture.*must be an http or https URL/, picture);
    }
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'pictured@innovashoes.example', password: 'a long secret phrase', picture: 'javascript:alert(1)' });
    assert.equal(created.status, 400);
    assert.equal((await insole.db.collection('users').findOne({ user_id: 'auth0|seed000044' }))!.picture, undefined);
    const fine = await api(insole, token, 'PATCH', `/users/${id}`, { picture: 'https://cdn.innovashoes.example/shopper44.png' });
    assert.equal(fine.body.picture, 'https://cdn.innovashoes.example/shopper44.png');
  });

  test('a new email resets email_verified unless it is given; a taken email is a 400 in Auth0\'s words', async () => {
    const id = 'auth0%7Cseed000030';
    const moved = await api(insole, token, 'PATCH', `/users/${id}`, { email: 'Moved@Innovashoes.example' });
    assert.equal(moved.body.email, 'moved@innovashoes.example');
    assert.equal(moved.body.email_verified, false);
    const taken = await api(insole, token, 'PATCH', `/users/${id}`, { email: 'shopper31@innovashoes.example' });
    assert.deepEqual(taken.body, { statusCode: 400, error: 'Bad Request', message: 'The specified new email already exists', errorCode: 'auth0_idp_error' });
    assert.equal((await insole.db.collection('users').findOne({ user_id: 'auth0|seed000030' }))!.email, 'moved@innovashoes.example');
  });

  test('create, block (sign-in refused like a wrong password), new password (sessions end), delete', async () => {
    const email = 'lifecycle@innovashoes.example';
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: 'first secret phrase', email_verified: true, user_metadata: { source: 'import' } });
    assert.equal(created.status, 201);
    assert.equal((await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: 'another secret here' })).status, 409);
    assert.equal((await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'weak@innovashoes.example', password: 'password' })).status, 400);
    const id = encodeURIComponent(created.body.user_id);

    const { tokens, config } = await signInForTokens(insole.issuer, { email, password: 'first secret phrase' });
    await api(insole, token, 'PATCH', `/users/${id}`, { password: 'second secret phrase' });
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), 'the old session and its refresh token are gone');
    await signInForTokens(insole.issuer, { email, password: 'second secret phrase' });

    assert.equal((await api(insole, token, 'PATCH', `/users/${id}`, { blocked: true })).body.blocked, true);
    const refused = await signInAnswer(insole, email, 'second secret phrase');
    const wrong = await signInAnswer(insole, email, 'not the password at all');
    assert.equal(refused.status, wrong.status);
    assert.equal(refused.message, 'Wrong email or password.');
    assert.equal(refused.message, wrong.message);

    assert.equal((await api(insole, token, 'DELETE', `/users/${id}`)).status, 204);
    assert.equal((await api(insole, token, 'GET', `/users/${id}`)).status, 404);
    // As at Auth0: deleting again (or a user that never was) is a 204, not a 404.
    assert.equal((await api(insole, token, 'DELETE', `/users/${id}`)).status, 204);
    const events = await insole.db.collection('logs').find({ type: 'sapi', user_id: created.body.user_id }).toArray();
    assert.deepEqual(events.map((e) => e.description).sort(), ['Create a User', 'Delete a User', 'Delete a User', 'Update a User', 'Update a User']);
    assert.ok(events.every((e) => e.client_id === ADMIN.client_id));
    // The create names the user it made (only the answer knows its id); the refused one, the address it asked for.
    const creates = await insole.db.collection('logs').find({ description: 'Create a User', user_name: email }).sort({ log_id: 1 }).toArray();
    assert.deepEqual(creates.map((e) => [e.type, e.user_id ?? null, e.details.response.statusCode]), [['sapi', created.body.user_id, 201], ['fapi', null, 409]]);
  });

  test('a refused write is an fapi event naming the client and the user, whatever refused it: the scope, the input or the operation', async () => {
    const userId = 'auth0|seed000050';
    const id = encodeURIComponent(userId);
    const reader = (await managementToken(insole, READER)).access_token;
    const since = new Date();
    assert.equal((await api(insole, reader, 'PATCH', `/users/${id}`, { app_metadata: { roles: ['admin'] } })).status, 403);
    assert.equal((await api(insole, reader, 'DELETE', `/users/${id}`)).status, 403);
    assert.equal((await api(insole, token, 'PATCH', `/users/${id}`, { blocked: 'yes' })).status, 400);
    assert.equal((await api(insole, reader, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'Sneaky@innovashoes.example', password: 'a long secret phrase' })).status, 403);
    assert.equal((await api(insole, token, 'PATCH', '/users/auth0%7Cnobody', { name: 'x' })).status, 404);
    const events = await insole.db.collection('logs').find({ type: { $in: ['sapi', 'fapi'] }, date: { $gte: since } }).sort({ log_id: 1 }).toArray();
    assert.deepEqual(events.map((e) => [e.type, e.description, e.client_id, e.user_id ?? e.user_name, e.details.response.statusCode]), [
      ['fapi', 'Update a User', READER.client_id, userId, 403],
      ['fapi', 'Delete a User', READER.client_id, userId, 403],
      ['fapi', 'Update a User', ADMIN.client_id, userId, 400],
      ['fapi', 'Create a User', READER.client_id, 'Sneaky@innovashoes.example', 403],
      ['fapi', 'Update a User', ADMIN.client_id, 'auth0|nobody', 404],
    ]);
    assert.equal((await insole.db.collection('users').findOne({ user_id: userId }))!.blocked, false, 'nothing was written');
  });

  test('users-by-email finds the user whatever the case of the address', async () => {
    const res = await api(insole, token, 'GET', `/users-by-email?email=${encodeURIComponent('Shopper39@Outlet.example')}&fields=user_id`);
    assert.deepEqual(res.body, [{ user_id: 'auth0|seed000039' }]);
  });

  test('users-by-email finds addresses Google vouched for that sign-up\'s check refuses (r&d@…, a punycode TLD); text without "@" is a 400', async () => {
    const now = new Date();
    const googleUser = (sub: string, email: string) => ({
      user_id: `google-oauth2|${sub}`, email, email_verified: true, identities: [{ provider: 'google-oauth2', user_id: sub, connection: 'google-oauth2', isSocial: true }],
      created_at: now, updated_at: now, logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
    });
    // As the Google sign-in stores them: trimmed and lower-cased, otherwise as Google sent them.
    await insole.db.collection('users').insertMany([googleUser('1001', 'r&d@innovashoes.example'), googleUser('1002', 'runner@innovashoes.xn--p1ai')]);
    for (const [asked, userId] of [['R&D@Innovashoes.example', 'google-oauth2|1001'], ['runner@innovashoes.xn--p1ai', 'google-oauth2|1002']]) {
      const res = await api(insole, token, 'GET', `/users-by-email?email=${encodeURIComponent(asked)}&fields=user_id`);
      assert.deepEqual([res.status, res.body], [200, [{ user_id: userId }]], asked);
    }
    const bad = await api(insole, token, 'GET', '/users-by-email?email=innovashoes.example');
    assert.deepEqual([bad.status, bad.body.errorCode], [400, 'invalid_query_string']);
    assert.match(bad.body.message, /email/);
  });
});

/** The hosted sign-in page's answer to a password, as a shopper sees it. */
async function signInAnswer(insole: TestInsole, email: string, password: string) {
  const config = await oidc.discovery(new URL(insole.issuer), 'test-storefront', 'test-storefront-secret-0123456789', undefined, { execute: [oidc.allowInsecureRequests] });
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:4999/callback', scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
  const agent = new UserAgent(insole.issuer);
  const page = await agent.get(url.href);
  const html = await page.res.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)![1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
  const res = await agent.postForm(new URL(action, insole.issuer).href, { email, password, _csrf: csrf });
  return { status: res.res.status, message: /id="form-error">([^<]+)</.exec(await res.res.text())?.[1] };
}
