import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STOREFRONT, startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken, type M2mClient } from './support/management.ts';
import { attempt } from './support/sign-in-attempt.ts';

const client = (id: string, scopes: string[]): M2mClient => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
const ADMIN = client('support-desk', ['read:users', 'create:users', 'update:users']);
const READER = client('user-reader', ['read:users']);
const LOGS = client('log-reader', ['read:logs']);
const CLIENTS = [m2mClientConfig(ADMIN), m2mClientConfig(READER), m2mClientConfig(LOGS), {
  client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri],
}];
const PASSWORD = 'a long enough secret here';

/** The API's write events (sapi/fapi) since `since`, as stored. */
async function apiEvents(insole: TestInsole, since: Date) {
  return insole.db.collection('logs').find({ type: { $in: ['sapi', 'fapi'] }, date: { $gte: since } }).sort({ log_id: 1 }).toArray();
}

describe('Management API: user blocks and unlinking', () => {
  const databaseUri = testDatabaseUri();
  const settings = {
    clients: CLIENTS, trust_proxy: 'loopback', // the tests act as browsers behind a proxy on loopback
    attack_protection: { brute_force: { max_attempts: 3 } }, admin_api: { rate_limit: { requests: 10_000 } },
  };
  let insole: TestInsole;
  let unprotected: TestInsole; // the same database, brute-force protection off
  const tokens: Record<string, string> = {};

  before(async () => {
    insole = await startTestInsole(settings, databaseUri);
    unprotected = await startTestInsole({ ...settings, attack_protection: { brute_force: { enabled: false } } }, databaseUri);
    for (const c of [ADMIN, READER, LOGS]) tokens[c.client_id] = (await managementToken(insole, c)).access_token;
  });
  after(async () => { await unprotected.stop(); await insole.stop(); });

  async function newUser(email: string): Promise<string> {
    const created = await api(insole, tokens['support-desk'], 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: PASSWORD, email_verified: true });
    assert.equal(created.status, 201);
    return created.body.user_id;
  }

  /** Three wrong passwords from `ip`: that IP is blocked for that user. */
  async function blockFrom(email: string, ip: string): Promise<void> {
    for (let i = 0; i < 3; i++) assert.equal((await attempt(insole, email, `wrong ${i}`, ip)).status, 401);
    assert.equal((await attempt(insole, email, PASSWORD, ip)).status, 401, 'blocked: even the right password fails');
  }

  test('brute-force blocks read by id and by identifier, lifted by DELETE (204): the IP signs in again; a sapi event names client and user', async () => {
    const email = 'locked.out@innovashoes.example';
    const userId = await newUser(email);
    const id = encodeURIComponent(userId);
    await blockFrom(email, '203.0.113.7');

    const expected = { blocked_for: [{ identifier: email, ip: '203.0.113.7' }] };
    assert.deepEqual((await api(insole, tokens['user-reader'], 'GET', `/user-blocks/${id}`)).body, expected);
    assert.deepEqual((await api(insole, tokens['user-reader'], 'GET', `/user-blocks?identifier=${encodeURIComponent(' Locked.Out@innovashoes.example')}`)).body, expected);
    assert.deepEqual((await api(insole, tokens['user-reader'], 'GET', `/user-blocks/${id}?consider_brute_force_enablement=true`)).body, expected);
    // Auth0: with consider_brute_force_enablement, no blocks are reported while the protection is off.
    const elsewhere = (await managementToken(unprotected, READER)).access_token;
    assert.deepEqual((await api(unprotected, elsewhere, 'GET', `/user-blocks/${id}?consider_brute_force_enablement=true`)).body, { blocked_for: [] });
    assert.deepEqual((await api(unprotected, elsewhere, 'GET', `/user-blocks/${id}`)).body, expected);

    const since = new Date();
    const lifted = await api(insole, tokens['support-desk'], 'DELETE', `/user-blocks/${id}`);
    assert.equal(lifted.status, 204);
    assert.deepEqual((await api(insole, tokens['user-reader'], 'GET', `/user-blocks/${id}`)).body, { blocked_for: [] });
    assert.ok((await attempt(insole, email, PASSWORD, '203.0.113.7')).left, 'the unblocked IP signs in');

    const [event] = await apiEvents(insole, since);
    assert.equal(event.type, 'sapi');
    assert.equal(event.client_id, ADMIN.client_id);
    assert.equal(event.user_id, userId);
    assert.equal(event.description, 'Unblock a User');
    assert.deepEqual(event.details.request, { method: 'DELETE', path: `/api/v2/user-blocks/${id}`, channel: 'api', auth: { strategy: 'jwt', client_id: ADMIN.client_id } });
    assert.deepEqual(event.details.response, { statusCode: 204 });
  });

  test('DELETE /user-blocks?identifier= lifts the blocks of the user with that email; the event names it', async () => {
    const email = 'by.identifier@innovashoes.example';
    await newUser(email);
    await blockFrom(email, '203.0.113.8');
    const since = new Date();
    assert.equal((await api(insole, tokens['support-desk'], 'DELETE', `/user-blocks?identifier=${encodeURIComponent(email)}`)).status, 204);
    assert.deepEqual((await api(insole, tokens['user-reader'], 'GET', `/user-blocks?identifier=${encodeURIComponent(email)}`)).body, { blocked_for: [] });
    assert.ok((await attempt(insole, email, PASSWORD, '203.0.113.8')).left, 'the unblocked IP signs in');
    const events = await apiEvents(insole, since);
    assert.deepEqual(events.map((e) => [e.type, e.client_id, e.user_name]), [['sapi', ADMIN.client_id, email]]);
  });

  test('unknown user ids are 404 (and a refused write is a fapi event), an unknown identifier has no blocks; a missing identifier is 400', async () => {
    const since = new Date();
    const unknown = await api(insole, tokens['support-desk'], 'DELETE', '/user-blocks/auth0%7Cnobody');
    assert.deepEqual(unknown.body, { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' });
    const events = await apiEvents(insole, since);
    assert.deepEqual(events.map((e) => [e.type, e.client_id, e.user_id, e.details.response.statusCode]), [['fapi', ADMIN.client_id, 'auth0|nobody', 404]]);

    assert.equal((await api(insole, tokens['user-reader'], 'GET', '/user-blocks/auth0%7Cnobody')).status, 404);
    // By identifier, as at Auth0 (no 404 declared there): nobody with that email, so no blocks.
    const none = await api(insole, tokens['user-reader'], 'GET', '/user-blocks?identifier=nobody%40innovashoes.example');
    assert.deepEqual([none.status, none.body], [200, { blocked_for: [] }]);
    assert.equal((await api(insole, tokens['support-desk'], 'DELETE', '/user-blocks?identifier=nobody%40innovashoes.example')).status, 204);
    for (const [method, path, parameter] of [['GET', '/user-blocks', 'identifier'], ['DELETE', '/user-blocks?identifier=', 'identifier'], ['GET', '/user-blocks/auth0%7Cx?consider_brute_force_enablement=maybe', 'consider_brute_force_enablement']]) {
      const res = await api(insole, tokens['support-desk'], method, path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.errorCode, 'invalid_query_string');
      assert.match(res.body.message, new RegExp(parameter));
    }
  });

  test('unlink: 200 with the identities left, logged as unlink and sapi; the main identity is a 400 and a fapi', async () => {
    const now = new Date();
    const userId = 'auth0|6750c0ffee0000000000beef';
    await insole.db.collection('users').insertOne({
      user_id: userId, email: 'linked@innovashoes.example', email_verified: true,
      identities: [
        { provider: 'auth0', user_id: '6750c0ffee0000000000beef', connection: 'Username-Password-Authentication', isSocial: false },
        { provider: 'google-oauth2', user_id: '1122334455', connection: 'google-oauth2', isSocial: true, profileData: { email: 'linked@innovashoes.example' } },
      ],
      created_at: now, updated_at: now, logins_count: 3, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
    });
    const path = `/users/${encodeURIComponent(userId)}/identities`;
    assert.equal((await api(insole, tokens['user-reader'], 'DELETE', `${path}/google-oauth2/1122334455`)).status, 403);
    assert.equal((await api(insole, undefined, 'DELETE', `${path}/google-oauth2/1122334455`)).status, 401);

    const since = new Date();
    const res = await api(insole, tokens['support-desk'], 'DELETE', `${path}/google-oauth2/1122334455`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, [{ provider: 'auth0', user_id: '6750c0ffee0000000000beef', connection: 'Username-Password-Authentication', isSocial: false }]);
    assert.equal((await insole.db.collection('users').findOne({ user_id: userId }))!.identities.length, 1);
    const logged = await insole.db.collection('logs').find({ date: { $gte: since } }).sort({ log_id: 1 }).toArray();
    assert.deepEqual(logged.map((l) => [l.type, l.user_id]), [['unlink', userId], ['sapi', userId]]);
    assert.deepEqual(logged[0].details, { unlinked: 'google-oauth2|1122334455', by: `api:${ADMIN.client_id}` });
    assert.equal(logged[1].client_id, ADMIN.client_id);

    assert.equal((await api(insole, tokens['support-desk'], 'DELETE', `${path}/google-oauth2/1122334455`)).status, 404, 'already unlinked');
    const main = await api(insole, tokens['support-desk'], 'DELETE', `${path}/auth0/6750c0ffee0000000000beef`);
    assert.deepEqual(main.body, { statusCode: 400, error: 'Bad Request', message: 'Main identity cannot be removed', errorCode: 'operation_not_supported' });
    const refused = (await apiEvents(insole, since)).filter((e) => e.type === 'fapi');
    assert.deepEqual(refused.map((e) => [e.client_id, e.user_id, e.details.response.statusCode]), [[ADMIN.client_id, userId, 404], [ADMIN.client_id, userId, 400]]);
  });

  test('scope matrix: read:users reads blocks, update:users lifts them; another scope 403, no token 401', async () => {
    const id = encodeURIComponent(await newUser('matrix@innovashoes.example'));
    const identifier = 'identifier=matrix%40innovashoes.example';
    for (const [method, path, allowed] of [['GET', `/user-blocks/${id}`, 'user-reader'], ['GET', `/user-blocks?${identifier}`, 'user-reader'], ['DELETE', `/user-blocks/${id}`, 'support-desk'], ['DELETE', `/user-blocks?${identifier}`, 'support-desk']]) {
      assert.ok([200, 204].includes((await api(insole, tokens[allowed], method, path)).status), `${method} ${path}`);
      const refused = await api(insole, tokens['log-reader'], method, path);
      assert.equal(refused.status, 403, `${method} ${path}`);
      assert.equal(refused.body.message, `Insufficient scope, expected any of: ${method === 'GET' ? 'read:users' : 'update:users'}`);
      assert.equal((await api(insole, undefined, method, path)).status, 401);
    }
    assert.equal((await api(insole, tokens['user-reader'], 'DELETE', `/user-blocks/${id}`)).status, 403, 'reading is not lifting');
  });
});
