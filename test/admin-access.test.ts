import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { loadConfig } from '../src/config/load-config.ts';
import { clientGrantProblems } from '../src/oidc/resource-servers.ts';
import { startTestInsole, TEST_API, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { signInForTokens } from './support/relying-party.ts';

const ADMIN = { client_id: 'backoffice', client_secret: 'backoffice-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'delete:users', 'read:logs', 'read:stats'] };
const READER = { client_id: 'reader', client_secret: 'reader-secret-0123456789abcdef', scopes: ['read:users'] };
const NO_GRANT = { client_id: 'no-grant', client_secret: 'no-grant-secret-0123456789abcdef', scopes: [] };

describe('Management API access: M2M tokens and scopes', () => {
  let insole: TestInsole;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN), m2mClientConfig(READER), m2mClientConfig(NO_GRANT), {
      client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    }] });
  });
  after(() => insole.stop());

  test('client_credentials without a scope gets every scope granted to the client, as an RS256 JWT for the Management API', async () => {
    const { access_token, scope, expires_in } = await managementToken(insole, ADMIN);
    assert.deepEqual(scope!.split(' ').sort(), [...ADMIN.scopes].sort());
    assert.equal(expires_in, 86_400);
    assert.equal(decodeProtectedHeader(access_token).alg, 'RS256');
    assert.equal(decodeProtectedHeader(access_token).typ, 'at+jwt');
    const claims = decodeJwt(access_token);
    assert.equal(claims.aud, `${insole.issuer}/api/v2/`);
    assert.equal(claims.client_id, ADMIN.client_id);
  });

  test('a client gets what it asks of its grant; asking for more is refused with invalid_scope naming what was not granted', async () => {
    const asked = await managementToken(insole, READER, { scope: 'read:users' });
    assert.equal(asked.scope, 'read:users');
    const notGranted = { 'delete:users': 'delete:users', 'read:users delete:users update:users': 'delete:users update:users' };
    for (const [scope, named] of Object.entries(notGranted)) {
      const refused = await managementToken(insole, READER, { scope }).then(() => 'a token', (err: Error) => err.message);
      const body = JSON.stringify({ error: 'invalid_scope', error_description: `this client has not been granted scopes of the Management API: ${named}`, scope: named });
      assert.equal(refused, `no token for ${READER.client_id}: HTTP 400 ${body}`);
    }
  });

  test('a client without a grant for the Management API gets no token for it', async () => {
    const res = await fetch(`${insole.issuer}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: NO_GRANT.client_id, client_secret: NO_GRANT.client_secret, audience: `${insole.issuer}/api/v2/` }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json() as { error: string }).error, 'invalid_target');
  });

  test('client_credentials naming no API is refused: the token would be for nothing', async () => {
    const res = await fetch(`${insole.issuer}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ADMIN.client_id, client_secret: ADMIN.client_secret }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'invalid_request', error_description: 'client_credentials needs the API the token is for: send audience (or resource)' });
  });

  test('scope matrix: the right scope passes, another gets 403 in Auth0 words, no token 401', async () => {
    const admin = (await managementToken(insole, ADMIN)).access_token;
    const reader = (await managementToken(insole, READER)).access_token;
    const created = await api(insole, admin, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'matrix@innovashoes.example', password: 'a long enough secret' });
    assert.equal(created.status, 201);
    const id = encodeURIComponent(created.body.user_id);

    assert.equal((await api(insole, reader, 'GET', `/users/${id}`)).status, 200);
    const refused = await api(insole, reader, 'PATCH', `/users/${id}`, { name: 'Nope' });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, { statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: update:users', errorCode: 'insufficient_scope' });
    assert.equal((await api(insole, reader, 'DELETE', `/users/${id}`)).status, 403);
    assert.equal((await api(insole, reader, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'x@innovashoes.example', password: 'another long secret' })).status, 403);

    const anonymous = await api(insole, undefined, 'GET', `/users/${id}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, 'Unauthorized');
    assert.match(anonymous.headers.get('www-authenticate')!, /^Bearer realm=/);
    assert.equal((await api(insole, 'not.a.jwt', 'GET', `/users/${id}`)).status, 401);
  });

  test('an ID token or an access token for another API is refused with 401', async () => {
    const admin = (await managementToken(insole, ADMIN)).access_token;
    await api(insole, admin, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'shopper@innovashoes.example', password: 'shopper secret words', email_verified: true });
    const { tokens } = await signInForTokens(insole.issuer, { email: 'shopper@innovashoes.example', password: 'shopper secret words' }, 'login', { audience: TEST_API });
    const me = encodeURIComponent(decodeJwt(tokens.id_token!).sub!);
    const withIdToken = await api(insole, tokens.id_token, 'GET', `/users/${me}`);
    assert.equal(withIdToken.status, 401);
    const withApiToken = await api(insole, tokens.access_token, 'GET', `/users/${me}`);
    assert.equal(withApiToken.status, 401);
    assert.match(withApiToken.body.message, /audience/);
  });

  test('every answer carries the rate-limit headers', async () => {
    const admin = (await managementToken(insole, ADMIN)).access_token;
    const res = await api(insole, admin, 'GET', '/users/auth0%7Cnobody');
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' });
    assert.equal(res.headers.get('x-ratelimit-limit'), '50');
    assert.ok(Number(res.headers.get('x-ratelimit-remaining')) < 50);
    assert.ok(Number(res.headers.get('x-ratelimit-reset')) >= Math.floor(Date.now() / 1000));
  });
});

test('a client grant in config for an unknown API or scope is a configuration problem naming it', () => {
  const grants = [{ audience: 'https://api.unknown.example/', scope: ['read:orders'] }, { scope: ['read:users', 'read:user'] }, { audience: TEST_API, scope: ['read:orders'] }];
  const config = loadConfig({ env: { NODE_ENV: 'test', ISSUER: 'https://id.innovashoes.example' }, overrides: { apis: [{ identifier: TEST_API, scopes: ['read:orders'] }], clients: [{ ...m2mClientConfig(READER), grants }] } });
  assert.deepEqual(clientGrantProblems(config), [
    'clients.reader.grants.0.audience: https://api.unknown.example/ is neither the Management API (https://id.innovashoes.example/api/v2/) nor an API in apis',
    'clients.reader.grants.1.scope: read:user is not a scope of the Management API',
  ]);
});
