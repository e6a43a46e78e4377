// Auth0's role endpoints over insole's dashboard roles (config dashboard.roles; app_metadata.roles,
// and admin for a verified address in dashboard.admins): reading them, and giving and taking them
// through the same write funnel and audit as PATCH /users.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserDoc } from '../src/users/user.model.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { seedVerifiedUser } from './support/user-jobs.ts';

const client = (id: string, scopes: string[]) => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
const READER = client('roles-reader', ['read:users']);
const ROLE_READER = client('roles-role-reader', ['read:users', 'read:roles', 'read:role_members']);
const GRANTER = client('roles-granter', ['read:users', 'update:users', 'create:role_members']);
const REMOVER = client('roles-remover', ['read:users', 'update:users', 'delete:role_members']);
const CLIENTS = [READER, ROLE_READER, GRANTER, REMOVER];
// Admins by config, once verified; one per test, as emails are unique.
const ADMINS = ['boss@innovashoes.example', 'chief@innovashoes.example', 'owner@innovashoes.example', 'head@innovashoes.example'];
const ROLES = { admin: ['read:users', 'update:users'], marketing: ['read:users', 'read:reports'], support: [] };

describe('role endpoints of the Management API (Auth0\'s /roles and /users/{id}/roles)', () => {
  let insole: TestInsole;
  const tokens: Record<string, string> = {};
  before(async () => {
    insole = await startTestInsole({
      clients: CLIENTS.map(m2mClientConfig), dashboard: { admins: ADMINS, roles: ROLES },
      admin_api: { rate_limit: { requests: 10_000 } }, // many calls, some at once
    });
    for (const c of CLIENTS) tokens[c.client_id] = (await managementToken(insole, c)).access_token;
  });
  after(() => insole.stop());

  const seed = (n: number, extra: Partial<UserDoc>) => seedVerifiedUser(insole.db, n, extra);
  const stored = (userId: string) => insole.db.collection('users').findOne({ user_id: userId });
  const rolesPath = (userId: string) => `/users/${encodeURIComponent(userId)}/roles`;
  const call = (who: { client_id: string }, method: string, path: string, body?: unknown) => api(insole, tokens[who.client_id], method, path, body);
  const apiEvents = (userId: string) => insole.db.collection('logs').find({ user_id: userId, type: { $in: ['sapi', 'fapi'] } }).sort({ log_id: 1 }).toArray();

  test('GET /roles lists config\'s roles, each id its name; read:roles is needed; paging and name_filter as Auth0', async () => {
    const all = await call(ROLE_READER, 'GET', '/roles');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.map((r: { id: string }) => r.id), ['admin', 'marketing', 'support']);
    assert.deepEqual(all.body[1], { id: 'marketing', name: 'marketing', description: 'Dashboard role: gives the Management API scopes read:users, read:reports.' });
    const page = await call(ROLE_READER, 'GET', '/roles?page=1&per_page=2&include_totals=true');
    assert.deepEqual({ ...page.body, roles: page.body.roles.map((r: { id: string }) => r.id) }, { start: 2, limit: 2, total: 3, roles: ['support'] });
    assert.deepEqual((await call(ROLE_READER, 'GET', '/roles?name_filter=MARK')).body.map((r: { id: string }) => r.id), ['marketing']);
    const refused = await call(READER, 'GET', '/roles');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, 'Insufficient scope, expected any of: read:roles');
    assert.equal((await call(ROLE_READER, 'GET', '/roles?per_page=0')).status, 400);
  });

  test('GET /roles/{id} answers the role; a role config does not define is a 404', async () => {
    assert.deepEqual((await call(ROLE_READER, 'GET', '/roles/admin')).body, { id: 'admin', name: 'admin', description: 'Dashboard role: gives the Management API scopes read:users, update:users.' });
    const missing = await call(ROLE_READER, 'GET', '/roles/rol_0123456789abcdef');
    assert.equal(missing.status, 404);
    assert.deepEqual([missing.body.errorCode, missing.body.message], ['inexistent_role', 'The role does not exist.']);
  });

  test('GET /roles/{id}/users: holders by app_metadata.roles and, for admin, a verified address in dashboard.admins; offset and checkpoint paging', async () => {
    const boss = await seed(100, { email: ADMINS[0] });
    await seed(101, { email: ADMINS[1], email_verified: false }); // anyone can sign up with any address: no role until verified
    const admins = [boss, await seed(102, { app_metadata: { roles: ['admin', 'marketing'] } }), await seed(103, { app_metadata: { roles: ['admin'] }, name: 'Ada', picture: 'https://img.example/ada.png' })];
    await seed(104, { app_metadata: { roles: 'admin' } }); // not a list: no role, as the dashboard reads it
    await seed(105, { email: 'unverified.boss@innovashoes.example', email_verified: false, app_metadata: { roles: ['marketing'] } });
    const ids = admins.map((u) => u.user_id).sort();

    const res = await call(ROLE_READER, 'GET', '/roles/admin/users');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((u: { user_id: string }) => u.user_id), ids);
    assert.deepEqual(res.body.find((u: { user_id: string }) => u.user_id === admins[2].user_id), { user_id: admins[2].user_id, email: admins[2].email, name: 'Ada', picture: 'https://img.example/ada.png' });

    const second = await call(ROLE_READER, 'GET', '/roles/admin/users?page=1&per_page=2&include_totals=true');
    assert.deepEqual({ ...second.body, users: second.body.users.map((u: { user_id: string }) => u.user_id) }, { start: 2, limit: 2, total: 3, users: ids.slice(2) });

    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await call(ROLE_READER, 'GET', `/roles/admin/users?take=2${next ? `&from=${encodeURIComponent(next)}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.users.map((u: { user_id: string }) => u.user_id));
      next = page.body.next;
    } while (next);
    assert.deepEqual(seen, ids, 'every holder once, in user_id order');

    const indexes = await insole.db.collection('users').indexes();
    assert.ok(indexes.some((index) => Object.keys(index.key).join() === 'app_metadata.roles'), 'the holders are found by an index, not by reading every user');
    assert.equal((await call(ROLE_READER, 'GET', '/roles/admin/users?take=2&page=1')).status, 400);
    assert.equal((await call(ROLE_READER, 'GET', '/roles/nobody/users')).status, 404);
    assert.equal((await call(READER, 'GET', '/roles/admin/users')).body.message, 'Insufficient scope, expected any of: read:role_members');
  });

  test('GET /users/{id}/roles needs read:users and read:roles; it answers the roles config defines, the dashboard.admins one included', async () => {
    const boss = await seed(110, { email: ADMINS[2], app_metadata: { roles: ['marketing', 'wholesale'] } });
    const res = await call(ROLE_READER, 'GET', rolesPath(boss.user_id));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.map((r: { id: string }) => r.id), ['admin', 'marketing'], 'wholesale is no role config defines');
    const totals = await call(ROLE_READER, 'GET', `${rolesPath(boss.user_id)}?include_totals=true`);
    assert.deepEqual([totals.body.total, totals.body.roles.length], [2, 2]);
    const refused = await call(READER, 'GET', rolesPath(boss.user_id));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, 'Insufficient scope, expected all of: read:users,read:roles');
    assert.equal((await call(ROLE_READER, 'GET', rolesPath('auth0|nobody'))).status, 404);
  });

  test('POST /users/{id}/roles adds to app_metadata.roles (other keys kept) in one audited write; already held writes nothing', async () => {
    const shopper = await seed(120, { app_metadata: { plan: 'gold', roles: ['wholesale'] } });
    assert.equal((await call(GRANTER, 'POST', rolesPath(shopper.user_id), { roles: ['marketing', 'admin'] })).status, 204);
    const after = await stored(shopper.user_id);
    assert.deepEqual(after!.app_metadata, { plan: 'gold', roles: ['wholesale', 'marketing', 'admin'] });
    assert.ok(after!.updated_at > shopper.updated_at);
    assert.equal(typeof after!.facts.rev, 'number', 'written through the user changes, facts with it');
    assert.deepEqual((await call(ROLE_READER, 'GET', rolesPath(shopper.user_id))).body.map((r: { id: string }) => r.id), ['admin', 'marketing']);

    assert.equal((await call(GRANTER, 'POST', rolesPath(shopper.user_id), { roles: ['admin'] })).status, 204);
    assert.deepEqual(await stored(shopper.user_id), after, 'already held: not a field changed');
    const events = await apiEvents(shopper.user_id);
    assert.deepEqual(events.map((e) => [e.type, e.description, e.client_id, e.details.response.statusCode]), [
      ['sapi', 'Assign roles to a user', GRANTER.client_id, 204], ['sapi', 'Assign roles to a user', GRANTER.client_id, 204],
    ]);
  });

  test('POST /users/{id}/roles refuses, writes nothing and logs fapi: no create:role_members, an unknown role, an unknown user, bad bodies', async () => {
    const shopper = await seed(130, { app_metadata: { plan: 'basic' } });
    const before = await stored(shopper.user_id);
    const refusals = [
      [REMOVER, { roles: ['marketing'] }, 403, /expected any of: create:role_members/],
      [GRANTER, { roles: ['marketing', 'rol_abc', 'owner'] }, 400, /roles do not exist: "rol_abc", "owner"\. The roles are config dashboard\.roles: admin, marketing, support/],
      [GRANTER, { roles: [] }, 400, /roles/],
      [GRANTER, { roles: 'marketing' }, 400, /roles/],
      [GRANTER, { roles: [{ $gt: '' }] }, 400, /roles/],
      [GRANTER, { roles: ['marketing'], user_id: 'x' }, 400, /user_id/],
    ] as const;
    for (const [who, body, status, message] of refusals) {
      const res = await call(who, 'POST', rolesPath(shopper.user_id), body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
    assert.deepEqual(await stored(shopper.user_id), before, 'nothing written');
    const events = await apiEvents(shopper.user_id);
    assert.deepEqual(events.map((e) => [e.type, e.details.response.statusCode]), refusals.map(([, , status]) => ['fapi', status]));
    const nobody = await call(GRANTER, 'POST', rolesPath('auth0|nobody'), { roles: ['admin'] });
    assert.deepEqual([nobody.status, nobody.body.errorCode], [404, 'inexistent_user']);
  });

  test('POST /users/{id}/roles: roles that are no list (a PATCH wrote a string) are a 409, and the metadata cap holds', async () => {
    const odd = await seed(140, { app_metadata: { roles: 'admin' } });
    const conflict = await call(GRANTER, 'POST', rolesPath(odd.user_id), { roles: ['marketing'] });
    assert.equal(conflict.status, 409);
    assert.match(conflict.body.message, /app_metadata\.roles holds no list/);
    assert.deepEqual((await stored(odd.user_id))!.app_metadata, { roles: 'admin' });

    const full = await seed(141, { app_metadata: { notes: 'x'.repeat(16 * 1024 - 30) } });
    const capped = await call(GRANTER, 'POST', rolesPath(full.user_id), { roles: ['marketing'] });
    assert.equal(capped.status, 400);
    assert.match(capped.body.message, /app_metadata: merged with the stored one it would be \d+ characters of JSON; at most 16384/);
    assert.equal((await stored(full.user_id))!.app_metadata.roles, undefined);
  });

  test('roles given at the same moment by several requests are all kept', async () => {
    const users = await Promise.all([150, 151, 152].map((n) => seed(n, {})));
    await Promise.all(users.flatMap((user) => ['admin', 'marketing', 'support'].map(async (role) => {
      assert.equal((await call(GRANTER, 'POST', rolesPath(user.user_id), { roles: [role] })).status, 204);
    })));
    for (const user of users) assert.deepEqual([...(await stored(user.user_id))!.app_metadata.roles].sort(), ['admin', 'marketing', 'support']);
  });

  test('POST /roles/{id}/users gives the role to each user (200, no body), other roles and keys kept; one sapi event', async () => {
    const [a, b] = [await seed(180, { app_metadata: { plan: 'gold', roles: ['support'] } }), await seed(181, { app_metadata: { roles: ['marketing'] } })];
    const res = await call(GRANTER, 'POST', '/roles/marketing/users', { users: [a.user_id, b.user_id, a.user_id] });
    assert.deepEqual([res.status, res.body], [200, undefined]);
    assert.deepEqual((await stored(a.user_id))!.app_metadata, { plan: 'gold', roles: ['support', 'marketing'] });
    assert.deepEqual(await stored(b.user_id), { ...b, app_metadata: { roles: ['marketing'] } }, 'held already: not a field changed');
    const events = await insole.db.collection('logs').find({ description: 'Assign users to a role' }).toArray();
    assert.deepEqual(events.map((e) => [e.type, e.client_id, e.details.response.statusCode]), [['sapi', GRANTER.client_id, 200]]);
  });

  test('POST /roles/{id}/users checks every user before it writes: an unknown user (404), roles that are no list (409), no create:role_members (403), bad bodies', async () => {
    const [ok, odd] = [await seed(190, {}), await seed(191, { app_metadata: { roles: 'admin' } })];
    const was = [await stored(ok.user_id), await stored(odd.user_id)];
    const refusals = [
      ['/roles/admin/users', GRANTER, { users: [ok.user_id, 'auth0|nobody'] }, 404, /The user does not exist: auth0\|nobody\. Nothing was written/],
      ['/roles/admin/users', GRANTER, { users: [ok.user_id, odd.user_id] }, 409, /app_metadata\.roles holds no list/],
      ['/roles/ghost/users', GRANTER, { users: [ok.user_id] }, 404, /The role does not exist/],
      ['/roles/admin/users', REMOVER, { users: [ok.user_id] }, 403, /expected any of: create:role_members/],
      ['/roles/admin/users', GRANTER, { users: [] }, 400, /users/],
      ['/roles/admin/users', GRANTER, { users: [{ $gt: '' }] }, 400, /users/],
      ['/roles/admin/users', GRANTER, { roles: ['admin'] }, 400, /roles|users/],
    ] as const;
    for (const [path, who, body, status, message] of refusals) {
      const res = await call(who, 'POST', path, body);
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}`);
      assert.match(res.body.message, message);
    }
    assert.deepEqual([await stored(ok.user_id), await stored(odd.user_id)], was, 'nothing written, not even for the user that could take it');
  });

  test('DELETE /users/{id}/roles takes roles away with delete:role_members; a role not held is no error', async () => {
    const manager = await seed(160, { app_metadata: { plan: 'gold', roles: ['admin', 'marketing', 'wholesale'] } });
    const refused = await call(GRANTER, 'DELETE', rolesPath(manager.user_id), { roles: ['admin'] });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /expected any of: delete:role_members/);
    assert.equal((await call(REMOVER, 'DELETE', rolesPath(manager.user_id), { roles: ['admin', 'ghost'] })).status, 400, 'an unknown role');
    assert.deepEqual((await stored(manager.user_id))!.app_metadata.roles, ['admin', 'marketing', 'wholesale']);

    assert.equal((await call(REMOVER, 'DELETE', rolesPath(manager.user_id), { roles: ['admin', 'support'] })).status, 204);
    assert.deepEqual((await stored(manager.user_id))!.app_metadata, { plan: 'gold', roles: ['marketing', 'wholesale'] });
    assert.deepEqual((await call(ROLE_READER, 'GET', '/roles/admin/users')).body.some((u: { user_id: string }) => u.user_id === manager.user_id), false);
    const events = await apiEvents(manager.user_id);
    assert.deepEqual(events.map((e) => [e.type, e.description, e.details.response.statusCode]), [
      ['fapi', 'Remove roles from a user', 403], ['fapi', 'Remove roles from a user', 400], ['sapi', 'Remove roles from a user', 204],
    ]);
  });

  test('DELETE /users/{id}/roles cannot take admin from a verified address in dashboard.admins: a 400 saying where it comes from, nothing written', async () => {
    const boss = await seed(170, { email: ADMINS[3], app_metadata: { roles: ['admin', 'marketing'] } });
    const res = await call(REMOVER, 'DELETE', rolesPath(boss.user_id), { roles: ['marketing', 'admin'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.errorCode, 'operation_not_supported');
    assert.match(res.body.message, /The role admin comes from config dashboard\.admins/);
    assert.deepEqual((await stored(boss.user_id))!.app_metadata.roles, ['admin', 'marketing']);
    assert.equal((await call(REMOVER, 'DELETE', rolesPath(boss.user_id), { roles: ['marketing'] })).status, 204, 'a role app_metadata gives is removable');
  });
});
