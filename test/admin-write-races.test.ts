// Management API writes that read a user, check it, then write: a concurrent request that lands
// between the check and the write must not get past the check. Each test holds one request's write
// at the database wire (a TCP proxy in front of the run's MongoDB-wire server) while another runs,
// so the interleaving is forced, not left to timing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { proxiedDatabase } from './support/proxied-database.ts';
import type { TcpProxy } from './support/tcp-proxy.ts';

const ADMIN = { client_id: 'race-admin', client_secret: 'race-admin-secret-0123456789abcdef', scopes: ['read:users', 'update:users', 'create:role_members', 'delete:role_members'] };
// A storefront's token: it keeps profiles, it may not give or take dashboard roles.
const STORE = { client_id: 'race-store', client_secret: 'race-store-secret-0123456789abcdef', scopes: ['read:users', 'update:users'] };
const BOSS = 'race.boss@innovashoes.example';
const CHIEF = 'race.chief@innovashoes.example';

/** A findAndModify (mongoose's findOneAndUpdate) whose bytes hold `marker`: the write of one request. */
const writeWith = (marker: string) => (chunk: Buffer) => chunk.includes('findAndModify') && chunk.includes(marker);

describe('Management API writes racing each other', () => {
  let proxy: TcpProxy;
  let insole: TestInsole;
  let token: string;
  let storeToken: string;
  let serial = 0;
  before(async () => {
    let uri: string;
    ({ proxy, uri } = await proxiedDatabase());
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN), m2mClientConfig(STORE)], dashboard: { admins: [BOSS, CHIEF], roles: { admin: ['read:users', 'update:users'], marketing: ['read:users'] } } }, uri);
    token = (await managementToken(insole, ADMIN)).access_token;
    storeToken = (await managementToken(insole, STORE)).access_token;
  });
  after(async () => { await insole.stop(); await proxy.close(); });

  const users = () => insole.db.collection('users');
  async function seedUser(extra: Record<string, unknown> = {}): Promise<string> {
    const now = new Date();
    const user_id = `auth0|race${String(++serial).padStart(6, '0')}`;
    await users().insertOne({
      user_id, email: `race${serial}@innovashoes.example`, email_verified: true, name: `Racer ${serial}`,
      identities: [{ provider: 'auth0', user_id: user_id.slice(6), connection: 'Username-Password-Authentication', isSocial: false }],
      created_at: now, updated_at: now, logins_count: 0, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {}, ...extra,
    });
    return user_id;
  }

  test('two metadata PATCHes each within the 16 kB cap, together past it: the one written second is the 400 it would get alone', async () => {
    const userId = await seedUser();
    const path = `/users/${encodeURIComponent(userId)}`;
    const hold = proxy.holdAt(writeWith('user_metadata.second'));
    // The second PATCH has read the user and checked the cap; its write waits at the wire.
    const second = api(insole, token, 'PATCH', path, { user_metadata: { second: 'y'.repeat(9_000) } });
    await hold.held;
    const first = await api(insole, token, 'PATCH', path, { user_metadata: { first: 'x'.repeat(9_000) } });
    assert.equal(first.status, 200, first.body.message);
    hold.release();
    const late = await second;
    assert.equal(late.status, 400, `the late PATCH was answered ${late.status}: it stored ${JSON.stringify(late.body.user_metadata ?? {}).length} characters`);
    assert.match(late.body.message, /^user_metadata: merged with the stored one it would be 18\d{3} characters of JSON; at most 16384\.$/);
    const stored = await users().findOne({ user_id: userId });
    assert.deepEqual(Object.keys(stored!.user_metadata), ['first']);
    assert.ok(JSON.stringify(stored!.user_metadata).length <= 16_384);
  });

  test('a role given while a PATCH fills app_metadata up to the cap: the role, retried over it, is the 400 of the cap', async () => {
    const userId = await seedUser();
    const path = `/users/${encodeURIComponent(userId)}`;
    // {"notes":"x…"} is 16,379 characters: within the cap alone, past it with "roles":["marketing"].
    const notes = 'x'.repeat(16_384 - 17);
    const hold = proxy.holdAt(writeWith('app_metadata.roles'));
    const giving = api(insole, token, 'POST', `${path}/roles`, { roles: ['marketing'] });
    await hold.held;
    const patched = await api(insole, token, 'PATCH', path, { app_metadata: { notes } });
    assert.equal(patched.status, 200, patched.body.message);
    hold.release();
    const given = await giving;
    assert.equal(given.status, 400, `the role was answered ${given.status}`);
    assert.match(given.body.message, /^app_metadata: merged with the stored one it would be 16401 characters of JSON; at most 16384\.$/);
    const stored = await users().findOne({ user_id: userId });
    assert.deepEqual(stored!.app_metadata, { notes });
  });

  // The role check of a PATCH (role scopes) holds for what is stored: a write that lands before it
  // must not turn a change that needed no role scope into one that gives or takes a role.
  test('email_verified: true from a storefront while another PATCH moves the address to one in dashboard.admins: the late one is the 403 it would get alone, no admin made', async () => {
    const userId = await seedUser({ email_verified: false });
    const path = `/users/${encodeURIComponent(userId)}`;
    const hold = proxy.holdAt(writeWith(userId));
    // Checked against the address as read (in no config list): no role given, no role scope needed.
    const verifying = api(insole, storeToken, 'PATCH', path, { email_verified: true });
    await hold.held;
    const moved = await api(insole, storeToken, 'PATCH', path, { email: BOSS });
    assert.equal(moved.status, 200, moved.body.message);
    hold.release();
    const late = await verifying;
    assert.equal(late.status, 403, `the late PATCH was answered ${late.status}`);
    assert.match(late.body.message, /expected create:role_members \(it would give the role admin\)/);
    const stored = await users().findOne({ user_id: userId });
    assert.deepEqual([stored!.email, stored!.email_verified], [BOSS, false], 'the address in dashboard.admins is not verified: no admin');
  });

  test('app_metadata: {} from a storefront while an admin gives a role: the late one is the 403 it would get alone, the role stays', async () => {
    const userId = await seedUser({ app_metadata: { plan: 'gold' } });
    const path = `/users/${encodeURIComponent(userId)}`;
    const hold = proxy.holdAt(writeWith(userId));
    // Checked against the user as read (no roles): emptying app_metadata takes no role away.
    const clearing = api(insole, storeToken, 'PATCH', path, { app_metadata: {} });
    await hold.held;
    const given = await api(insole, token, 'POST', `${path}/roles`, { roles: ['marketing'] });
    assert.equal(given.status, 204, given.body?.message);
    hold.release();
    const late = await clearing;
    assert.equal(late.status, 403, `the late PATCH was answered ${late.status}`);
    assert.match(late.body.message, /expected delete:role_members \(it would take away the role marketing\)/);
    const stored = await users().findOne({ user_id: userId });
    assert.deepEqual(stored!.app_metadata, { plan: 'gold', roles: ['marketing'] });
  });

  test('admin taken out of app_metadata.roles while a PATCH verifies the user\'s dashboard.admins address: the late one is the 400 it would get alone, nothing taken', async () => {
    const userId = await seedUser({ email: CHIEF, email_verified: false, app_metadata: { roles: ['admin'] } });
    const path = `/users/${encodeURIComponent(userId)}`;
    const hold = proxy.holdAt(writeWith(userId));
    // Checked against the user as read (admin only by app_metadata.roles): the role can be taken there.
    const removing = api(insole, token, 'DELETE', `${path}/roles`, { roles: ['admin'] });
    await hold.held;
    const verified = await api(insole, storeToken, 'PATCH', path, { email_verified: true });
    assert.equal(verified.status, 200, verified.body.message);
    hold.release();
    const late = await removing;
    assert.deepEqual([late.status, late.body?.errorCode], [400, 'operation_not_supported'], `the late DELETE was answered ${late.status}: the user stays admin by config`);
    assert.match(late.body.message, /^The role admin comes from config dashboard\.admins/);
    const stored = await users().findOne({ user_id: userId });
    assert.deepEqual([stored!.email_verified, stored!.app_metadata], [true, { roles: ['admin'] }]);
  });

  async function seedGoogleUser(sub: string): Promise<string> {
    const now = new Date();
    await users().insertOne({
      user_id: `google-oauth2|${sub}`, email: `${sub}@gmail.example`, email_verified: true,
      identities: [{ provider: 'google-oauth2', user_id: sub, connection: 'google-oauth2', isSocial: true }],
      created_at: now, updated_at: now, logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
    });
    return `google-oauth2|${sub}`;
  }

  // The block lands after the link checked the secondary and while its identities are being added to the primary.
  for (const [how, block] of [
    ['an admin blocks it (PATCH blocked: true)', (userId: string) => api(insole, token, 'PATCH', `/users/${encodeURIComponent(userId)}`, { blocked: true })],
    ['brute-force protection blocks an IP for it (blocked_for)', (userId: string) => users().updateOne({ user_id: userId }, { $push: { blocked_for: { identifier: 'x@gmail.example', ip: '10.0.0.9' } } as never })],
  ] as const) {
    test(`a secondary blocked while its link is written (${how}): the link is the 400 of a blocked secondary and moves nothing`, async () => {
      const primaryId = await seedUser();
      const sub = `racer${Date.now()}${serial}`;
      const secondaryId = await seedGoogleUser(sub);
      const hold = proxy.holdAt(writeWith(sub));
      const linking = api(insole, token, 'POST', `/users/${encodeURIComponent(primaryId)}/identities`, { provider: 'google-oauth2', user_id: sub });
      await hold.held;
      await block(secondaryId);
      hold.release();
      const res = await linking;
      assert.deepEqual([res.status, res.body.errorCode], [400, 'operation_not_supported'], res.body.message);
      assert.match(res.body.message, /is blocked/);
      const [primary, secondary] = await Promise.all([users().findOne({ user_id: primaryId }), users().findOne({ user_id: secondaryId })]);
      assert.ok(secondary, 'the blocked secondary still exists');
      assert.deepEqual(primary!.identities.map((i: { provider: string }) => i.provider), ['auth0'], 'its Google is not on the primary');
      assert.deepEqual(secondary.identities.map((i: { user_id: string }) => i.user_id), [sub]);
      // The refused link let go of the secondary: once unblocked it links into another user too (not a 409 "being linked").
      await users().updateOne({ user_id: secondaryId }, { $set: { blocked: false, blocked_for: [] } });
      const again = await api(insole, token, 'POST', `/users/${encodeURIComponent(await seedUser())}/identities`, { provider: 'google-oauth2', user_id: sub });
      assert.equal(again.status, 201, again.body.message);
      assert.equal(await users().countDocuments({ user_id: secondaryId }), 0);
    });
  }

  test('a role given to the secondary while a storefront\'s link is written: the link is the 403 it would get alone, the secondary keeps its role and its Google', async () => {
    const primaryId = await seedUser();
    const sub = `racer${Date.now()}${serial}`;
    const secondaryId = await seedGoogleUser(sub);
    const hold = proxy.holdAt(writeWith(sub));
    // Checked against the secondary as read (no roles): deleting it takes none away, no role scope needed.
    const linking = api(insole, storeToken, 'POST', `/users/${encodeURIComponent(primaryId)}/identities`, { provider: 'google-oauth2', user_id: sub });
    await hold.held;
    const given = await api(insole, token, 'POST', `/users/${encodeURIComponent(secondaryId)}/roles`, { roles: ['marketing'] });
    assert.equal(given.status, 204, given.body?.message);
    hold.release();
    const res = await linking;
    assert.deepEqual([res.status, res.body.errorCode], [403, 'insufficient_scope'], res.body.message);
    assert.match(res.body.message, /expected delete:role_members \(it would take away the role marketing\)/);
    const [primary, secondary] = await Promise.all([users().findOne({ user_id: primaryId }), users().findOne({ user_id: secondaryId })]);
    assert.deepEqual(primary!.identities.map((i: { provider: string }) => i.provider), ['auth0'], 'its Google is taken off the primary again');
    assert.deepEqual([secondary?.app_metadata, secondary?.identities.map((i: { user_id: string }) => i.user_id)], [{ roles: ['marketing'] }, [sub]]);
    assert.equal(secondary!.linked_to, undefined, 'the refused link let go of it');
  });

  test('a primary blocked while the link adds identities to it (PATCH blocked: true): the 400 of a blocked primary, nothing moved, the secondary free', async () => {
    const primaryId = await seedUser();
    const sub = `racer${Date.now()}${serial}`;
    const secondaryId = await seedGoogleUser(sub);
    const hold = proxy.holdAt(writeWith(sub));
    const linking = api(insole, token, 'POST', `/users/${encodeURIComponent(primaryId)}/identities`, { provider: 'google-oauth2', user_id: sub });
    await hold.held;
    const blocking = await api(insole, token, 'PATCH', `/users/${encodeURIComponent(primaryId)}`, { blocked: true });
    assert.equal(blocking.status, 200, blocking.body.message);
    hold.release();
    const res = await linking;
    assert.deepEqual([res.status, res.body.errorCode], [400, 'operation_not_supported'], res.body.message);
    assert.match(res.body.message, /^The primary user auth0\|race\d+ is blocked: /);
    const [primary, secondary] = await Promise.all([users().findOne({ user_id: primaryId }), users().findOne({ user_id: secondaryId })]);
    assert.deepEqual(primary!.identities.map((i: { provider: string }) => i.provider), ['auth0'], 'its Google is not on the blocked primary');
    assert.deepEqual(secondary?.identities.map((i: { user_id: string }) => i.user_id), [sub], 'the secondary still exists, whole');
    assert.equal(secondary!.linked_to, undefined, 'the refused link let go of it');
  });
});
