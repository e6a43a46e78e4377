import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRoleStanding, STANDING_TTL_MS, type RoleStanding } from '../src/users/role-standing.ts';
import { composeTestInsole } from './support/insole.ts';

const scopesOf = (standing: RoleStanding) => (standing.status === 'active' ? [...standing.scopes].sort() : standing.status);

/** Where a token's user stands, read from the users collection and kept a few seconds (a clock of the test's own). */
describe('role standing: what a user token may do now', () => {
  let composed: Awaited<ReturnType<typeof composeTestInsole>>;
  before(async () => { composed = await composeTestInsole({ dashboard: { admins: ['boss.standing@innovashoes.example'] } }); });
  after(() => composed.close());

  test('kept for STANDING_TTL_MS, then read again: a role taken away, a block and a deletion show on the next read', async () => {
    const users = composed.db.collection('users');
    await users.insertOne({ user_id: 'auth0|standing1', email: 'standing1@innovashoes.example', email_verified: true, blocked: false, app_metadata: { roles: ['admin'] }, created_at: new Date() });
    let clock = 1_000_000;
    const standingOf = createRoleStanding(composed.core.users, composed.config.dashboard, { now: () => clock });
    const admin = [...composed.config.dashboard.roles.admin].sort();
    const marketing = [...composed.config.dashboard.roles.marketing].sort();
    assert.deepEqual(scopesOf(await standingOf('auth0|standing1')), admin);

    await users.updateOne({ user_id: 'auth0|standing1' }, { $set: { 'app_metadata.roles': ['marketing'] } });
    clock += STANDING_TTL_MS - 1;
    assert.deepEqual(scopesOf(await standingOf('auth0|standing1')), admin, 'still the read of a moment ago');
    clock += 1;
    assert.deepEqual(scopesOf(await standingOf('auth0|standing1')), marketing);

    await users.updateOne({ user_id: 'auth0|standing1' }, { $set: { blocked: true } });
    clock += STANDING_TTL_MS;
    assert.equal(scopesOf(await standingOf('auth0|standing1')), 'blocked');
    await users.deleteOne({ user_id: 'auth0|standing1' });
    clock += STANDING_TTL_MS;
    assert.equal(scopesOf(await standingOf('auth0|standing1')), 'gone');
  });

  test('a dashboard.admins address is admin while verified; a role config does not name gives nothing', async () => {
    const users = composed.db.collection('users');
    await users.insertOne({ user_id: 'auth0|standing2', email: 'boss.standing@innovashoes.example', email_verified: true, blocked: false, app_metadata: { roles: ['owner'] }, created_at: new Date() });
    let clock = 0;
    const standingOf = createRoleStanding(composed.core.users, composed.config.dashboard, { now: () => clock });
    assert.deepEqual(scopesOf(await standingOf('auth0|standing2')), [...composed.config.dashboard.roles.admin].sort());
    await users.updateOne({ user_id: 'auth0|standing2' }, { $set: { email_verified: false } });
    clock += STANDING_TTL_MS;
    assert.deepEqual(scopesOf(await standingOf('auth0|standing2')), []);
    // A migration script's text "false" (or any value but true) verifies nothing, as GET /roles/admin/users reads it.
    await users.updateOne({ user_id: 'auth0|standing2' }, { $set: { email_verified: 'false' } });
    clock += STANDING_TTL_MS;
    assert.deepEqual(scopesOf(await standingOf('auth0|standing2')), []);
  });
});
