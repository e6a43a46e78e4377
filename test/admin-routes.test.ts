import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { composeTestInsole } from './support/insole.ts';
import { m2mClientConfig } from './support/management.ts';

const ADMIN = { client_id: 'routes-admin', client_secret: 'routes-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'delete:users', 'read:logs', 'read:stats', 'read:reports', 'read:segments', 'update:segments'] };
const USER = 'auth0|5f0c0ffee0c0ffee0c0ffee0';

/**
 * Route-level: the Express app as composed, without a listening server (supertest). Every way of
 * sending a bad request gets a 4xx in Auth0's error shape, and nothing is written.
 */
describe('Management API routes refuse bad input in Auth0 words, and write nothing', () => {
  let insole: Awaited<ReturnType<typeof composeTestInsole>>;
  let token: string;
  const snapshot = async () => ({
    users: await insole.db.collection('users').find({}, { projection: { _id: 0 } }).toArray(),
    segments: await insole.db.collection('segments').countDocuments(),
    jobs: await insole.db.collection('user_jobs').countDocuments(),
  });

  before(async () => {
    insole = await composeTestInsole({ clients: [m2mClientConfig(ADMIN)], admin_api: { rate_limit: { requests: 10_000 } } });
    const res = await request(insole.app).post('/oauth/token').type('form')
      .send({ grant_type: 'client_credentials', client_id: ADMIN.client_id, client_secret: ADMIN.client_secret, audience: `${insole.config.issuer}/api/v2/` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    token = res.body.access_token;
    await insole.db.collection('users').insertOne({
      user_id: USER, email: 'routes@innovashoes.example', email_verified: true, identities: [{ provider: 'auth0', user_id: '5f0c0ffee0c0ffee0c0ffee0', connection: 'Username-Password-Authentication', isSocial: false }],
      created_at: new Date(), updated_at: new Date(), logins_count: 0, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
    });
  });
  after(() => insole.close());

  const id = encodeURIComponent(USER);
  const cases: [string, string, string, unknown, string | RegExp][] = [
    ['malformed JSON', 'PATCH', `/api/v2/users/${id}`, '{"name": ', /not valid JSON/],
    ['an operator object for a string', 'PATCH', `/api/v2/users/${id}`, { name: { $gt: '' } }, /name/],
    ['an unknown field', 'PATCH', `/api/v2/users/${id}`, { role: 'admin' }, /role/],
    ['a wrong type', 'PATCH', `/api/v2/users/${id}`, { blocked: 'yes' }, /blocked/],
    ['a $-key in metadata', 'PATCH', `/api/v2/users/${id}`, { user_metadata: { $where: '1' } }, /\$where/],
    ['a dotted key in metadata', 'PATCH', `/api/v2/users/${id}`, { app_metadata: { 'roles.0': 'admin' } }, /roles\.0/],
    ['an empty patch', 'PATCH', `/api/v2/users/${id}`, {}, /Too few properties/],
    ['a common password', 'PATCH', `/api/v2/users/${id}`, { password: 'password1' }, /too common/],
    ['no connection', 'POST', '/api/v2/users', { email: 'x@innovashoes.example', password: 'a long enough secret' }, /connection/],
    ['an invalid email', 'POST', '/api/v2/users', { connection: 'Username-Password-Authentication', email: 'not-an-email', password: 'a long enough secret' }, /email/],
    ['a body too large', 'POST', '/api/v2/users', { connection: 'Username-Password-Authentication', email: 'x@innovashoes.example', password: 'a long enough secret', user_metadata: { blob: 'x'.repeat(200_000) } }, /too large/],
    ['a q with an operator', 'GET', `/api/v2/users?q=${encodeURIComponent('{"$gt":""}')}`, undefined, /position/],
    ['q given twice', 'GET', '/api/v2/users?q=a&q=b', undefined, /q/],
    ['a segment filter with an operator', 'POST', '/api/v2/segments', { name: 'x', filter: { gender: { $ne: '' } } }, /gender/],
    ['a segment preview with an unknown condition', 'POST', '/api/v2/reports/segments/preview', { filter: { gendr: 'male' } }, /gendr/],
    ['an export with a secret field', 'POST', '/api/v2/jobs/users-exports', { format: 'csv', fields: [{ name: 'password_hash' }] }, /password_hash/],
    ['a bad job id', 'GET', '/api/v2/jobs/..%2F..%2Fetc', undefined, /id/],
  ];

  for (const [what, method, path, body, message] of cases) {
    test(`${what}: ${method} ${path.slice(0, 60)}`, async () => {
      const before = await snapshot();
      let req = request(insole.app)[method.toLowerCase() as 'get' | 'post' | 'patch'](path).set('authorization', `Bearer ${token}`);
      if (typeof body === 'string') req = req.set('content-type', 'application/json').send(body);
      else if (body !== undefined) req = req.send(body as object);
      const res = await req;
      assert.ok(res.status >= 400 && res.status < 500, `HTTP ${res.status}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(Object.keys(res.body).sort(), ['error', 'errorCode', 'message', 'statusCode']);
      assert.equal(res.body.statusCode, res.status);
      assert.match(res.body.message, message instanceof RegExp ? message : new RegExp(message));
      assert.deepEqual(await snapshot(), before, 'nothing was written');
    });
  }

  test('a body that claims gzip but is not: a 400 in Auth0 words, not zlib\'s', async () => {
    const before = await snapshot();
    const res = await request(insole.app).patch(`/api/v2/users/${id}`).set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json').set('content-encoding', 'gzip').send('{"name":"Zipped"}');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { statusCode: 400, error: 'Bad Request', message: 'The request body is not in the Content-Encoding it names.', errorCode: 'invalid_request' });
    assert.deepEqual(await snapshot(), before, 'nothing was written');
  });

  test('a JSON body that is not UTF-8, or escapes a lone surrogate, is a 400, not a name stored as U+FFFD', async () => {
    const before = await snapshot();
    const latin1 = Buffer.concat([Buffer.from('{"name":"Jos'), Buffer.from([0xe9]), Buffer.from('"}')]);
    // serialize: the bytes as they are (superagent would write a Buffer out as JSON).
    const send = (bytes: Buffer) => request(insole.app).patch(`/api/v2/users/${id}`).set('authorization', `Bearer ${token}`).set('content-type', 'application/json')
      .serialize((body) => body).send(bytes as never);
    const res = await send(latin1);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { statusCode: 400, error: 'Bad Request', message: 'The request body is not UTF-8 text.', errorCode: 'invalid_body' });
    assert.deepEqual(await snapshot(), before, 'nothing was written');
    const surrogate = await send(Buffer.from(String.raw`{"name":"Jos\ud800"}`));
    assert.equal(surrogate.status, 400, 'half a surrogate pair, escaped: valid JSON, not text');
    assert.match(surrogate.body.message, /not Unicode/);
    assert.deepEqual(await snapshot(), before, 'nothing was written');
    const fine = await send(Buffer.from(String.raw`{"name":"José \ud83d\udc5f"}`));
    assert.equal(fine.body.name, 'José 👟', 'UTF-8 itself passes, and so does an escaped pair');
    const deep = await send(Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`));
    assert.equal(deep.status, 400);
    assert.match(deep.body.message, /expected object, received array/, 'a deep body is checked without recursion, then refused by the schema');
  });

  test('a request without a token or with a foreign one is a 401 before any input is read', async () => {
    assert.equal((await request(insole.app).patch(`/api/v2/users/${id}`).send({ name: { $gt: '' } })).status, 401);
    assert.equal((await request(insole.app).get('/api/v2/users').set('authorization', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).status, 401);
  });
});
