// Dashboard roles (app_metadata.roles, and admin for a verified address in dashboard.admins) are
// privileges: the Management API changes them only for a token with Auth0's role scopes
// (create:role_members to give, delete:role_members to take away), whatever else it may write.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserDoc } from '../src/users/user.model.ts';
import { cli, cliProcess } from './support/cli-run.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { finishedJob, postImport, seedVerifiedUser, JOBS_SETTINGS } from './support/user-jobs.ts';

const client = (id: string, scopes: string[]) => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
// A storefront backend: keeps profiles and their metadata, creates and imports shoppers.
const STORE = client('roles-storefront', ['read:users', 'create:users', 'update:users']);
const GRANTER = client('roles-granter', ['read:users', 'create:users', 'update:users', 'create:role_members']);
const ROLE_ADMIN = client('roles-admin', ['read:users', 'create:users', 'update:users', 'create:role_members', 'delete:role_members']);
const ADMINS = ['boss@innovashoes.example', 'owner@innovashoes.example', 'chief@innovashoes.example', 'head@innovashoes.example'];
const PASSWORD_USER = { connection: 'Username-Password-Authentication', password: 'a long enough secret' };

describe('dashboard roles through the Management API need the role scopes', () => {
  const databaseUri = testDatabaseUri();
  let insole: TestInsole;
  const tokens: Record<string, string> = {};
  before(async () => {
    insole = await startTestInsole({
      clients: [STORE, GRANTER, ROLE_ADMIN].map(m2mClientConfig), dashboard: { admins: ADMINS },
      admin_api: JOBS_SETTINGS(), // many calls and job polls: a rate limit the tests do not reach
    }, databaseUri);
    for (const c of [STORE, GRANTER, ROLE_ADMIN]) tokens[c.client_id] = (await managementToken(insole, c)).access_token;
  });
  after(() => insole.stop());

  const seed = (n: number, extra: Partial<UserDoc>) => seedVerifiedUser(insole.db, n, extra);
  const stored = (userId: string) => insole.db.collection('users').findOne({ user_id: userId });
  const path = (userId: string) => `/users/${encodeURIComponent(userId)}`;

  test('update:users alone cannot give a role by PATCH: a 403 naming create:role_members and app_metadata.roles, and nothing is written', async () => {
    const shopper = await seed(1, { app_metadata: { plan: 'basic' } });
    const before = await stored(shopper.user_id);
    for (const body of [{ app_metadata: { roles: ['admin'] } }, { user_metadata: { shoe_size: 44 }, app_metadata: { roles: ['marketing'], plan: 'gold' } }]) {
      const res = await api(insole, tokens[STORE.client_id], 'PATCH', path(shopper.user_id), body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.equal(res.body.errorCode, 'insufficient_scope');
      assert.match(res.body.message, /app_metadata\.roles/);
      assert.match(res.body.message, /create:role_members \(it would give the role (admin|marketing)\)/);
    }
    assert.deepEqual(await stored(shopper.user_id), before, 'not a field changed, updated_at included');

    const granted = await api(insole, tokens[GRANTER.client_id], 'PATCH', path(shopper.user_id), { app_metadata: { roles: ['admin'] } });
    assert.equal(granted.status, 200);
    assert.deepEqual(granted.body.app_metadata, { plan: 'basic', roles: ['admin'] });
  });

  test('update:users alone cannot take roles away, however app_metadata is rewritten, but still keeps the other keys and user_metadata', async () => {
    const manager = await seed(2, { app_metadata: { roles: ['marketing'], plan: 'basic' }, user_metadata: { shoe_size: 41 } });
    const before = await stored(manager.user_id);
    const refused = [
      [{ app_metadata: {} }, /delete:role_members \(it would take away the role marketing\)/],
      [{ app_metadata: { roles: null } }, /delete:role_members/],
      [{ app_metadata: { roles: [] } }, /delete:role_members/],
      [{ app_metadata: { roles: 'marketing' } }, /delete:role_members/], // not a list: no role the dashboard reads
      [{ app_metadata: { roles: ['admin'] } }, /create:role_members \(it would give the role admin\) and delete:role_members \(it would take away the role marketing\)/],
    ] as const;
    for (const [body, message] of refused) {
      const res = await api(insole, tokens[STORE.client_id], 'PATCH', path(manager.user_id), body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
    const nulled = await api(insole, tokens[STORE.client_id], 'PATCH', path(manager.user_id), { app_metadata: null });
    assert.equal(nulled.status, 400, 'app_metadata: null is not an object');
    assert.deepEqual(await stored(manager.user_id), before, 'nothing written');

    // Other keys, user_metadata, and the same roles sent back (a read-modify-write client) are profile data.
    const kept = await api(insole, tokens[STORE.client_id], 'PATCH', path(manager.user_id), { app_metadata: { plan: 'gold', loyalty: { points: 12 } }, user_metadata: { shoe_size: 44 } });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    const resent = await api(insole, tokens[STORE.client_id], 'PATCH', path(manager.user_id), { app_metadata: { roles: ['marketing'], plan: 'platinum' } });
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    const after = await stored(manager.user_id);
    assert.deepEqual(after!.app_metadata, { roles: ['marketing'], plan: 'platinum', loyalty: { points: 12 } });
    assert.deepEqual(after!.user_metadata, { shoe_size: 44 });
  });

  test('create:role_members gives roles but does not take them away: that is delete:role_members', async () => {
    const manager = await seed(3, { app_metadata: { roles: ['marketing'] } });
    const res = await api(insole, tokens[GRANTER.client_id], 'PATCH', path(manager.user_id), { app_metadata: {} });
    assert.equal(res.status, 403);
    assert.match(res.body.message, /delete:role_members/);
    assert.deepEqual((await stored(manager.user_id))!.app_metadata, { roles: ['marketing'] });

    const removed = await api(insole, tokens[ROLE_ADMIN.client_id], 'PATCH', path(manager.user_id), { app_metadata: { roles: null } });
    assert.equal(removed.status, 200);
    assert.deepEqual((await stored(manager.user_id))!.app_metadata, {});
  });

  test('update:users alone cannot make a user admin through dashboard.admins: verifying such an address, or moving a user onto it', async () => {
    // Someone signed up with the owner's address before the owner did; the email is not theirs to verify.
    const squatter = await seed(4, { email: ADMINS[0], email_verified: false });
    const shopper = await seed(5, {});
    const moves = [[squatter, { email_verified: true }], [shopper, { email: ADMINS[1], email_verified: true }]] as const;
    for (const [user, body] of moves) {
      const before = await stored(user.user_id);
      const res = await api(insole, tokens[STORE.client_id], 'PATCH', path(user.user_id), body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.match(res.body.message, /create:role_members \(it would give the role admin\)/);
      assert.deepEqual(await stored(user.user_id), before);
    }
    // An address that is not verified gives no role: that move is profile data.
    const unverified = await api(insole, tokens[STORE.client_id], 'PATCH', path(shopper.user_id), { email: ADMINS[1] });
    assert.equal(unverified.status, 200);
    assert.equal((await stored(shopper.user_id))!.email_verified, false);
    assert.equal((await api(insole, tokens[GRANTER.client_id], 'PATCH', path(shopper.user_id), { email_verified: true })).status, 200);
  });

  test('update:users alone cannot take over a role holder: a new password or email for an admin or a marketer is a 403 naming create:role_members, and nothing is written', async () => {
    const admin = await seed(10, { app_metadata: { roles: ['admin'] } });
    const marketer = await seed(11, { app_metadata: { roles: ['marketing'] } });
    const attempts = [
      [admin, { password: 'chosen by the storefront' }, /change the password of a user with dashboard roles \(admin\): expected create:role_members/],
      [admin, { email: 'mine@storefront.example', email_verified: true }, /change the email of a user with dashboard roles \(admin\)/],
      [marketer, { email: 'mine@storefront.example', password: 'chosen by the storefront' }, /change the password and email of a user with dashboard roles \(marketing\)/],
    ] as const;
    for (const [user, body, message] of attempts) {
      const before = await stored(user.user_id);
      const res = await api(insole, tokens[STORE.client_id], 'PATCH', path(user.user_id), body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.equal(res.body.errorCode, 'insufficient_scope');
      assert.match(res.body.message, message);
      assert.deepEqual(await stored(user.user_id), before, 'not a field changed');
    }
    // Their profile data is still the store's to keep; a shopper's password and email too; the role scope may do the rest.
    assert.equal((await api(insole, tokens[STORE.client_id], 'PATCH', path(admin.user_id), { name: 'Ada Admin', user_metadata: { shoe_size: 40 } })).status, 200);
    const shopper = await seed(12, {});
    assert.equal((await api(insole, tokens[STORE.client_id], 'PATCH', path(shopper.user_id), { email: 'shopper12.new@innovashoes.example', password: 'a new long secret' })).status, 200);
    const wholesaler = await seed(13, { app_metadata: { roles: ['wholesale'] } }); // the store's own role: no dashboard scope
    assert.equal((await api(insole, tokens[STORE.client_id], 'PATCH', path(wholesaler.user_id), { password: 'a new long secret' })).status, 200);
    assert.equal((await api(insole, tokens[GRANTER.client_id], 'PATCH', path(marketer.user_id), { password: 'set by the role admin' })).status, 200);
  });

  test('create:users alone cannot create a user with a role (app_metadata.roles, or a verified admin address); create:role_members can', async () => {
    const bodies = [
      { ...PASSWORD_USER, email: 'new.admin@innovashoes.example', email_verified: true, app_metadata: { roles: ['admin'] } },
      { ...PASSWORD_USER, email: 'new.owner@innovashoes.example', app_metadata: { plan: 'basic', roles: ['marketing'] } },
      { ...PASSWORD_USER, email: ADMINS[2], email_verified: true },
    ];
    for (const body of bodies) {
      const res = await api(insole, tokens[STORE.client_id], 'POST', '/users', body);
      assert.equal(res.status, 403, JSON.stringify(body));
      assert.match(res.body.message, /create:role_members .*app_metadata\.roles|app_metadata\.roles.*create:role_members/);
      assert.equal(await insole.db.collection('users').countDocuments({ email: body.email }), 0, 'no user created');
    }
    const created = await api(insole, tokens[GRANTER.client_id], 'POST', '/users', bodies[0]);
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.app_metadata, { roles: ['admin'] });
    // A store creating ordinary shoppers is unaffected.
    assert.equal((await api(insole, tokens[STORE.client_id], 'POST', '/users', { ...PASSWORD_USER, email: 'new.shopper@innovashoes.example', email_verified: true, app_metadata: { plan: 'basic' } })).status, 201);
    assert.equal((await api(insole, tokens[STORE.client_id], 'POST', '/users', { ...PASSWORD_USER, email: ADMINS[2] })).status, 201, 'an admin address, unverified: no role yet');
  });

  test('create:users alone cannot import a role, inserted or upserted, nor take roles away by upsert; each such record fails and the others go on', async () => {
    const plain = await seed(6, { app_metadata: { plan: 'basic' } });
    const manager = await seed(7, { app_metadata: { roles: ['marketing'], plan: 'basic' } });
    const other = await seed(8, { app_metadata: {} });
    const file = JSON.stringify([
      { email: 'imported.admin@innovashoes.example', email_verified: true, app_metadata: { roles: ['admin'] } },
      { email: plain.email, email_verified: true, app_metadata: { plan: 'basic', roles: ['admin'] } },
      { email: manager.email, email_verified: true, app_metadata: { plan: 'gold' } }, // an upsert replaces app_metadata: roles gone
      { email: ADMINS[3], email_verified: true, app_metadata: { plan: 'basic' } }, // admin by dashboard.admins
      { email: other.email, email_verified: true, app_metadata: { plan: 'gold' } },
    ]);
    const job = await postImport(insole, tokens[STORE.client_id], file, { connection_id: PASSWORD_USER.connection, upsert: 'true' });
    assert.equal(job.status, 202);
    const done = await finishedJob(insole, tokens[STORE.client_id], job.body.id);
    assert.deepEqual(done.summary, { failed: 4, updated: 1, inserted: 0, total: 5 });
    const errors = await api(insole, tokens[STORE.client_id], 'GET', `/jobs/${job.body.id}/errors`);
    assert.deepEqual(errors.body.map((e: { index: number }) => e.index), [0, 1, 2, 3]);
    for (const [i, scope] of ['create:role_members', 'create:role_members', 'delete:role_members', 'create:role_members'].entries()) {
      assert.equal(errors.body[i].errors[0].code, 'INSUFFICIENT_SCOPE');
      assert.equal(errors.body[i].errors[0].path, 'app_metadata.roles');
      assert.match(errors.body[i].errors[0].message, new RegExp(scope));
    }
    assert.equal(await insole.db.collection('users').countDocuments({ email: { $in: ['imported.admin@innovashoes.example', ADMINS[3]] } }), 0);
    assert.deepEqual((await stored(plain.user_id))!.app_metadata, { plan: 'basic' });
    assert.deepEqual((await stored(manager.user_id))!.app_metadata, { roles: ['marketing'], plan: 'basic' });
    assert.deepEqual((await stored(other.user_id))!.app_metadata, { plan: 'gold' });

    // The same file from a token with the role scopes: every record goes in.
    const again = await postImport(insole, tokens[ROLE_ADMIN.client_id], file, { connection_id: PASSWORD_USER.connection, upsert: 'true' });
    const all = await finishedJob(insole, tokens[ROLE_ADMIN.client_id], again.body.id);
    assert.deepEqual(all.summary, { failed: 0, updated: 3, inserted: 2, total: 5 });
    assert.deepEqual((await insole.db.collection('users').findOne({ email: 'imported.admin@innovashoes.example' }))!.app_metadata, { roles: ['admin'] });
    assert.deepEqual((await stored(plain.user_id))!.app_metadata, { plan: 'basic', roles: ['admin'] });
    assert.deepEqual((await stored(manager.user_id))!.app_metadata, { plan: 'gold' });
  });

  test('an import without upsert that inserts a role fails that record for create:users alone', async () => {
    const file = [{ email: 'insert.only@innovashoes.example', app_metadata: { roles: ['marketing'] } }, { email: 'insert.plain@innovashoes.example' }].map((r) => JSON.stringify(r)).join('\n');
    const job = await postImport(insole, tokens[STORE.client_id], file);
    const done = await finishedJob(insole, tokens[STORE.client_id], job.body.id);
    assert.deepEqual(done.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
    assert.equal(await insole.db.collection('users').countDocuments({ email: 'insert.only@innovashoes.example' }), 0);
  });

  test('the operator still grants roles with the CLI (users grant-admin), which no update:users client can', async () => {
    const colleague = await seed(9, { app_metadata: { plan: 'basic' } });
    assert.equal((await api(insole, tokens[STORE.client_id], 'PATCH', path(colleague.user_id), { app_metadata: { roles: ['marketing'] } })).status, 403);
    const { code, out } = await cli(databaseUri, 'users', 'grant-admin', '--email', colleague.email!, '--role', 'marketing');
    assert.equal(code, 0, out);
    assert.match(out, /now has the role marketing/);
    assert.deepEqual((await stored(colleague.user_id))!.app_metadata, { plan: 'basic', roles: ['marketing'] });
  });

  test('users grant-admin refuses an app_metadata.roles that is no list (a migrated text), naming the user and the field, as the API\'s role assignment does: nothing changes', async () => {
    const migrated = await seed(31, { app_metadata: { roles: 'admin,marketing', plan: 'basic' } });
    const before = await stored(migrated.user_id);
    const { code, stdout, stderr } = await cliProcess(databaseUri, 'users', 'grant-admin', '--email', migrated.email!, '--role', 'marketing');
    assert.deepEqual([code, stdout], [1, ''], stderr);
    assert.match(stderr, new RegExp(`${migrated.user_id.replace('|', '\\|')} \\(${migrated.email}\\): app_metadata\\.roles holds a string, not a list of roles\\. Nothing was changed`));
    assert.deepEqual(await stored(migrated.user_id), before, 'not a field changed, updated_at included');
    const api409 = await api(insole, tokens[ROLE_ADMIN.client_id], 'POST', `${path(migrated.user_id)}/roles`, { roles: ['marketing'] });
    assert.equal(api409.status, 409, 'the API refuses it alike');

    const mixed = await seed(32, { app_metadata: { roles: ['marketing', 7] } });
    const granted = await cliProcess(databaseUri, 'users', 'grant-admin', '--email', mixed.email!);
    assert.equal(granted.code, 0, granted.stderr);
    assert.deepEqual((await stored(mixed.user_id))!.app_metadata.roles, ['marketing', 7, 'admin'], 'a list is kept whole, as the API keeps it');
  });
});
