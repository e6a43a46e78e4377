// Real answers of the Management API's routes beyond the users ones (logs, user blocks, link and unlink,
// stats, jobs, the segment preview, the reports and the roles), each checked against the OpenAPI document; then a check that
// every operation was answered for real, and every status these routes declare was produced.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { MANAGEMENT_SCOPES } from '../src/admin/management-api.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken, type M2mClient } from './support/management.ts';
import { assertMatchesOpenApi, findPathTemplate } from './support/openapi-check.ts';
import { finishedJob, postImport } from './support/user-jobs.ts';

const client = (id: string, scopes: string[]): M2mClient => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
const ADMIN = client('conformance-admin', [...MANAGEMENT_SCOPES]);
const IMPORTER = client('conformance-importer', ['create:users']);
const PASSWORD_USER = { connection: 'Username-Password-Authentication', password: 'a long enough secret' };
const DAY = 24 * 3600 * 1000;
const yyyymmdd = (at: Date) => at.toISOString().slice(0, 10).replaceAll('-', '');

describe('OpenAPI conformance of the logs, user blocks, link, unlink, stats, jobs and reports routes', () => {
  let insole: TestInsole;
  let doc: OpenApiDocument;
  const tokens: Record<string, string> = {};
  /** `get /logs/{id}` → the statuses really answered. */
  const answered = new Map<string, Set<number>>();
  let alice: { id: string; email: string };

  function record(method: string, path: string, status: number, body: unknown) {
    assertMatchesOpenApi(doc, method, path, status, body);
    const key = `${method.toLowerCase()} ${findPathTemplate(doc, method.toLowerCase(), path)}`;
    answered.set(key, (answered.get(key) ?? new Set()).add(status));
  }

  /** A real call, whose answer must be one the document describes. */
  async function checked(who: string | undefined, method: string, path: string, body?: unknown) {
    const res = await api(insole, who && tokens[who], method, path, body);
    record(method, path, res.status, res.body);
    return res;
  }

  async function importFile(who: string, file: string, fields?: Record<string, string>) {
    const res = await postImport(insole, tokens[who], file, fields);
    record('POST', '/jobs/users-imports', res.status, res.body);
    return res;
  }

  before(async () => {
    insole = await startTestInsole({
      clients: [m2mClientConfig(ADMIN), m2mClientConfig(IMPORTER)],
      admin_api: { rate_limit: { requests: 10_000 }, jobs: { poll_ms: 50, import_max_bytes: 4096 } },
    });
    doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    for (const c of [ADMIN, IMPORTER]) tokens[c.client_id] = (await managementToken(insole, c)).access_token;
    const email = 'conformance.alice@innovashoes.example';
    const created = await checked('conformance-admin', 'POST', '/users', { ...PASSWORD_USER, email, name: 'Alice' });
    alice = { id: created.body.user_id, email };
    // A sign-up and a login today and yesterday, as the hosted pages would log them (stats count these).
    const now = Date.now();
    await insole.db.collection('logs').insertMany([now - DAY, now].flatMap((at, i) => ['ss', 's'].map((type, j) => ({
      log_id: `${at.toString(16).padStart(12, '0')}${String(i * 2 + j).padStart(20, '0')}`, date: new Date(at), type, user_id: alice.id, user_name: email, details: {},
    }))));
  });
  after(() => insole.stop());

  test('logs: offset pages with totals, search, checkpoints, one by id, a user\'s logs; bad input and unknown ids', async () => {
    assert.ok((await checked('conformance-admin', 'GET', '/logs')).body.length >= 4);
    const totals = await checked('conformance-admin', 'GET', '/logs?include_totals=true&per_page=2&sort=date:1');
    assert.deepEqual([totals.body.start, totals.body.limit, totals.body.length], [0, 2, 2]);
    const searched = await checked('conformance-admin', 'GET', `/logs?search=${encodeURIComponent('type:sapi')}&fields=type,log_id`);
    assert.ok(searched.body.length >= 1 && searched.body.every((log: { type: string }) => log.type === 'sapi'));
    const checkpoint = await checked('conformance-admin', 'GET', '/logs?take=2');
    assert.match(checkpoint.headers.get('link')!, /rel="next"/);
    assert.equal((await checked('conformance-admin', 'GET', '/logs?q=type%3A(')).status, 400);

    const one = await checked('conformance-admin', 'GET', `/logs/${checkpoint.body[0].log_id}`);
    assert.equal(one.body._id, checkpoint.body[0].log_id);
    assert.equal((await checked('conformance-admin', 'GET', '/logs/0000000000000000000000000000dead')).status, 404);

    const userLogs = `/users/${encodeURIComponent(alice.id)}/logs`;
    assert.ok((await checked('conformance-admin', 'GET', userLogs)).body.length >= 4);
    assert.equal((await checked('conformance-admin', 'GET', `${userLogs}?include_totals=true&per_page=1`)).body.length, 1);
    assert.equal((await checked('conformance-admin', 'GET', `${userLogs}?sort=ip:1`)).status, 400);
    assert.equal((await checked(undefined, 'GET', '/logs')).status, 401);
    assert.equal((await checked('conformance-importer', 'GET', '/logs')).status, 403);
  });

  test('user blocks by id and by identifier, and unlink', async () => {
    const id = encodeURIComponent(alice.id);
    await insole.db.collection('users').updateOne({ user_id: alice.id }, {
      $set: { blocked_for: [{ identifier: alice.email, ip: '203.0.113.7' }] },
      $push: { identities: { provider: 'google-oauth2', user_id: '1234567890', connection: 'google-oauth2', isSocial: true } },
    } as never);
    assert.deepEqual((await checked('conformance-admin', 'GET', `/user-blocks/${id}`)).body, { blocked_for: [{ identifier: alice.email, ip: '203.0.113.7' }] });
    assert.equal((await checked('conformance-admin', 'GET', `/user-blocks?identifier=${encodeURIComponent(alice.email)}`)).body.blocked_for.length, 1);
    assert.deepEqual((await checked('conformance-admin', 'GET', '/user-blocks?identifier=nobody%40innovashoes.example')).body, { blocked_for: [] });
    assert.equal((await checked('conformance-admin', 'DELETE', `/user-blocks?identifier=${encodeURIComponent(alice.email)}`)).status, 204);
    assert.equal((await checked('conformance-admin', 'DELETE', `/user-blocks/${id}`)).status, 204);
    assert.equal((await checked('conformance-admin', 'GET', '/user-blocks/auth0%7Cnobody')).status, 404);
    assert.equal((await checked('conformance-admin', 'DELETE', '/user-blocks/auth0%7Cnobody')).status, 404);
    assert.equal((await checked('conformance-admin', 'GET', '/user-blocks')).status, 400);

    const unlinked = await checked('conformance-admin', 'DELETE', `/users/${id}/identities/google-oauth2/1234567890`);
    assert.deepEqual(unlinked.body.map((i: { provider: string }) => i.provider), ['auth0']);
    assert.equal((await checked('conformance-admin', 'DELETE', `/users/${id}/identities/google-oauth2/1234567890`)).status, 404);
    assert.equal((await checked('conformance-admin', 'DELETE', `/users/${id}/identities/auth0/${alice.id.slice(6)}`)).status, 400);
  });

  test('link: the secondary user\'s identities to the primary; an unknown user, an identity linked already, no scope; a move to send again', async () => {
    const created = await checked('conformance-admin', 'POST', '/users', { ...PASSWORD_USER, email: 'conformance.primary@innovashoes.example' });
    const path = `/users/${encodeURIComponent(created.body.user_id)}/identities`;
    const now = new Date();
    const google = (sub: string, extra: Record<string, unknown> = {}) => ({
      user_id: `google-oauth2|${sub}`, email_verified: false, identities: [{ provider: 'google-oauth2', user_id: sub, connection: 'google-oauth2', isSocial: true }],
      created_at: now, updated_at: now, logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {}, ...extra,
    });
    // The second still carries its last sign-in's log, not moved yet: it cannot be deleted until it is (a 503).
    await insole.db.collection('users').insertMany([google('111'), google('222', { pending_logs: [{ log_id: `90${now.getTime()}`, type: 's', date: now }] })]);
    const linked = await checked('conformance-admin', 'POST', path, { provider: 'google-oauth2', user_id: '111' });
    assert.deepEqual(linked.body.map((i: { provider: string }) => i.provider), ['auth0', 'google-oauth2']);
    assert.equal((await checked('conformance-admin', 'POST', path, { provider: 'google-oauth2', user_id: '111' })).status, 409);
    assert.equal((await checked('conformance-admin', 'POST', path, { provider: 'google-oauth2', user_id: '333' })).status, 400);
    assert.equal((await checked('conformance-admin', 'POST', '/users/auth0%7Cnobody/identities', { provider: 'google-oauth2', user_id: '222' })).status, 404);
    assert.equal((await checked('conformance-importer', 'POST', path, { provider: 'google-oauth2', user_id: '222' })).status, 403);
    assert.equal((await checked('conformance-admin', 'POST', path, { provider: 'google-oauth2', user_id: '222' })).status, 503);
  });

  test('stats: daily rows and the active-user count; a bad day is a 400', async () => {
    const today = new Date();
    const daily = await checked('conformance-admin', 'GET', `/stats/daily?from=${yyyymmdd(new Date(today.getTime() - DAY))}&to=${yyyymmdd(today)}`);
    assert.deepEqual(daily.body.map((day: { logins: number; signups: number }) => [day.logins, day.signups]), [[2, 1], [2, 1]]);
    assert.equal(typeof (await checked('conformance-admin', 'GET', '/stats/active-users')).body, 'number');
    assert.equal((await checked('conformance-admin', 'GET', '/stats/daily?from=20250230')).status, 400);
  });

  test('jobs: an export and an import with their states, errors and refusals', async () => {
    const exported = await checked('conformance-admin', 'POST', '/jobs/users-exports', { format: 'csv', fields: [{ name: 'email' }] });
    assert.equal(exported.status, 201);
    assert.equal((await checked('conformance-admin', 'GET', `/jobs/${exported.body.id}`)).status, 200);
    const done = await finishedJob(insole, tokens['conformance-admin'], exported.body.id);
    record('GET', `/jobs/${exported.body.id}`, 200, done);
    assert.ok(done.location);
    assert.equal((await checked('conformance-admin', 'GET', `/jobs/${exported.body.id}/errors`)).status, 204);
    assert.equal((await checked('conformance-importer', 'GET', `/jobs/${exported.body.id}`)).status, 403, 'an export hands out profiles: read:users');
    assert.equal((await checked('conformance-admin', 'POST', '/jobs/users-exports', { format: 'xml' })).status, 400);
    assert.equal((await checked('conformance-admin', 'POST', '/jobs/users-exports', { segment_id: 'seg_0123456789abcdef01234567' })).status, 404);

    const file = JSON.stringify([{ email: 'conformance.bob@innovashoes.example' }, { email: 'not an email' }]);
    const imported = await importFile('conformance-importer', file);
    assert.equal(imported.status, 202);
    const finished = await finishedJob(insole, tokens['conformance-importer'], imported.body.id);
    assert.deepEqual(finished.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
    const errors = await checked('conformance-importer', 'GET', `/jobs/${imported.body.id}/errors`);
    assert.deepEqual(errors.body.map((e: { index: number }) => e.index), [1]);
    assert.equal((await importFile('conformance-importer', file, {})).status, 400, 'no connection_id');
    assert.equal((await importFile('conformance-importer', JSON.stringify([{ email: 'x@innovashoes.example', name: 'x'.repeat(5000) }]))).status, 413);
    assert.equal((await checked('conformance-admin', 'GET', '/jobs/job_0000000000000000')).status, 404);
    assert.equal((await checked('conformance-admin', 'GET', '/jobs/job_0000000000000000/errors')).status, 404);
    assert.equal((await checked('conformance-admin', 'GET', '/jobs/not-a-job')).status, 400);
  });

  test('segment preview: a filter, q alone, and a bad body', async () => {
    const all = await checked('conformance-admin', 'POST', '/reports/segments/preview', { filter: {} });
    assert.ok(all.body.count >= 1 && all.body.sample.length >= 1);
    assert.equal((await checked('conformance-admin', 'POST', '/reports/segments/preview', { q: `email:"${alice.email}"` })).body.count, 1);
    assert.equal((await checked('conformance-admin', 'POST', '/reports/segments/preview', { filter: { shoe: 'red' } })).status, 400);
    assert.equal((await checked('conformance-importer', 'POST', '/reports/segments/preview', { filter: {} })).status, 403);
  });

  test('customer-insight reports: an answer and a refused parameter each', async () => {
    for (const path of ['/reports/dormant?mode=inactive&days=1', '/reports/sentiment?label=negative', '/reports/lifecycle?weeks=4', '/reports/overview']) {
      assert.equal((await checked('conformance-admin', 'GET', path)).status, 200, path);
    }
    assert.equal((await checked('conformance-admin', 'POST', '/reports/segments/users?take=5', { filter: {} })).status, 200);
    for (const path of ['/reports/dormant?days=0', '/reports/sentiment?label=angry', '/reports/lifecycle?weeks=0', '/reports/overview?from=2025-02-30']) {
      assert.equal((await checked('conformance-admin', 'GET', path)).status, 400, path);
    }
    assert.equal((await checked('conformance-admin', 'POST', '/reports/segments/users', { filter: { shoe: 'red' } })).status, 400);
  });

  test('saved segments: create (dynamic, static), list, get, update, members (JSON and CSV), delete, and their refusals', async () => {
    const dynamic = await checked('conformance-admin', 'POST', '/segments', { name: 'Conformance gold', filter: { q: 'app_metadata.plan:gold' } });
    assert.equal(dynamic.status, 201);
    const fixed = await checked('conformance-admin', 'POST', '/segments', { name: 'Conformance picked', user_ids: [alice.id] });
    assert.equal((await checked('conformance-admin', 'POST', '/segments', { name: 'Conformance gold', key: dynamic.body.key, filter: { q: 'app_metadata.plan:gold' } })).status, 409);
    assert.equal((await checked('conformance-admin', 'POST', '/segments', { name: 'x', filter: { shoe: 'red' } })).status, 400);
    await checked('conformance-admin', 'GET', '/segments');
    const id = fixed.body.id as string;
    for (let i = 0; (await checked('conformance-admin', 'GET', `/segments/${id}`)).body.is_calculating; i++) {
      assert.ok(i < 400, 'the static segment is calculated');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal((await checked('conformance-admin', 'PATCH', `/segments/${dynamic.body.id}`, { name: 'Conformance gold shoppers' })).status, 200);
    assert.equal((await checked('conformance-admin', 'PATCH', `/segments/${id}`, { filter: { gender: 'male' } })).status, 400);
    assert.equal((await checked('conformance-admin', 'GET', `/segments/${id}/members`)).body.length, 1);
    const csv = await fetch(`${insole.issuer}/api/v2/segments/${id}/members?format=csv`, { headers: { authorization: `Bearer ${tokens['conformance-admin']}` } });
    assert.equal(csv.status, 200);
    assert.match(await csv.text(), /conformance\.alice/);
    assert.equal((await checked('conformance-admin', 'DELETE', `/segments/${dynamic.body.id}`)).status, 204);
    for (const path of [`/segments/${dynamic.body.id}`, `/segments/${dynamic.body.id}/members`]) assert.equal((await checked('conformance-admin', 'GET', path)).status, 404);
    assert.equal((await checked('conformance-admin', 'PATCH', `/segments/${dynamic.body.id}`, { name: 'gone' })).status, 404);
    assert.equal((await checked('conformance-admin', 'DELETE', `/segments/${dynamic.body.id}`)).status, 404);
  });

  test('the dashboard\'s reports (dormant summary, demographics) and the verification-email job answer as documented', async () => {
    for (const path of ['/reports/dormant/summary', '/reports/dormant/summary?mode=inactive&days=1&weeks=4', '/reports/demographics', '/reports/demographics?population=all']) {
      assert.equal((await checked('conformance-admin', 'GET', path)).status, 200, path);
    }
    for (const path of ['/reports/dormant/summary?weeks=0', '/reports/demographics?population=rich']) {
      assert.equal((await checked('conformance-admin', 'GET', path)).status, 400, path);
    }
    const job = await checked('conformance-admin', 'POST', '/jobs/verification-email', { user_id: alice.id });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    assert.deepEqual([job.body.type, job.body.status], ['verification_email', 'completed']);
    assert.equal((await checked('conformance-admin', 'GET', `/jobs/${job.body.id}`)).body.type, 'verification_email');
    const verified = await checked('conformance-admin', 'POST', '/users', { ...PASSWORD_USER, email: 'conformance.verified@innovashoes.example', email_verified: true });
    assert.equal((await checked('conformance-admin', 'POST', '/jobs/verification-email', { user_id: verified.body.user_id })).status, 400);
    assert.equal((await checked('conformance-admin', 'POST', '/jobs/verification-email', { user_id: 'auth0|nobody' })).status, 404);
  });

  test('the role routes (config\'s dashboard roles) and a user\'s roles answer as documented', async () => {
    assert.equal((await checked('conformance-admin', 'GET', '/roles?include_totals=true')).status, 200);
    assert.equal((await checked('conformance-admin', 'GET', '/roles?page=-1')).status, 400);
    assert.equal((await checked('conformance-admin', 'GET', '/roles/admin')).status, 200);
    assert.equal((await checked('conformance-admin', 'GET', '/roles/nobody')).status, 404);
    const id = encodeURIComponent(alice.id);
    assert.equal((await checked('conformance-admin', 'POST', `/users/${id}/roles`, { roles: ['marketing'] })).status, 204);
    assert.deepEqual((await checked('conformance-admin', 'GET', `/users/${id}/roles`)).body.map((r: { id: string }) => r.id), ['marketing']);
    for (const path of ['/roles/marketing/users', '/roles/marketing/users?include_totals=true', '/roles/marketing/users?take=1']) {
      assert.equal((await checked('conformance-admin', 'GET', path)).status, 200, path);
    }
    assert.equal((await checked('conformance-admin', 'GET', '/roles/marketing/users?take=0')).status, 400);
    assert.equal((await checked('conformance-admin', 'GET', '/roles/nobody/users')).status, 404);
    assert.equal((await checked('conformance-admin', 'POST', '/roles/marketing/users', { users: [alice.id] })).status, 200);
    assert.equal((await checked('conformance-admin', 'POST', '/roles/marketing/users', { users: [] })).status, 400);
    assert.equal((await checked('conformance-importer', 'POST', '/roles/marketing/users', { users: [alice.id] })).status, 403);
    assert.equal((await checked('conformance-admin', 'POST', '/roles/marketing/users', { users: ['auth0|nobody'] })).status, 404);
    await insole.db.collection('users').insertOne({ ...(await insole.db.collection('users').findOne({ user_id: alice.id }, { projection: { _id: 0 } })), user_id: 'auth0|odd', email: 'odd@innovashoes.example', app_metadata: { roles: 'marketing' } });
    assert.equal((await checked('conformance-admin', 'POST', '/roles/marketing/users', { users: ['auth0|odd'] })).status, 409);
    assert.equal((await checked('conformance-admin', 'DELETE', `/users/${id}/roles`, { roles: ['marketing'] })).status, 204);
  });

  test('the ticket routes answer as documented: a ticket, a refused body, an unknown user', async () => {
    for (const kind of ['password-change', 'email-verification']) {
      const created = await checked('conformance-admin', 'POST', `/tickets/${kind}`, { user_id: alice.id, ttl_sec: 600 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await checked('conformance-admin', 'POST', `/tickets/${kind}`, { user_id: alice.id, ttl_sec: 'soon' })).status, 400);
      assert.equal((await checked('conformance-admin', 'POST', `/tickets/${kind}`, { user_id: 'auth0|nobody' })).status, 404);
    }
  });

  test('the users routes answer too, so every operation of the document has been answered for real', async () => {
    const id = encodeURIComponent(alice.id);
    await checked('conformance-admin', 'GET', '/users?per_page=1');
    await checked('conformance-admin', 'GET', `/users/${id}`);
    await checked('conformance-admin', 'PATCH', `/users/${id}`, { user_metadata: { size: 42 } });
    await checked('conformance-admin', 'GET', `/users-by-email?email=${encodeURIComponent(alice.email)}`);
    await checked('conformance-admin', 'DELETE', `/users/${id}`);

    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const statuses = [...answered.get(`${method} ${path}`) ?? []];
        assert.ok(statuses.some((status) => status < 300), `${method.toUpperCase()} ${path} was answered with success (got ${statuses.join(', ') || 'nothing'})`);
      }
    }
    // Every answer the routes of this file declare (not only the router's common ones) really happens.
    for (const route of insole.admin.routes.filter((r) => r.tag !== 'Users' || /\/(logs|identities)\b/.test(r.path))) {
      const seen = answered.get(`${route.method} ${route.path}`) ?? new Set();
      for (const status of Object.keys(route.responses).map(Number)) assert.ok(seen.has(status), `${route.method.toUpperCase()} ${route.path} → ${status} was produced`);
    }
  });
});
