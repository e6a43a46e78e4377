import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { reindexCommand } from '../src/cli/reindex.command.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { deriveFacts } from '../src/insight/facts/user-facts.ts';
import type { UserDoc } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';
import { seededUser, seedUsers } from './support/user-jobs.ts';

const config = loadConfig({ env: { NODE_ENV: 'test' } });
const USERS = 1_234;

/** Users stored before insight existed (no facts); every fifth likes a running club on Facebook. */
const legacy = (n: number): UserDoc => {
  const { facts: _facts, ...user } = seededUser(n, n % 5 === 0 ? { likes: [{ id: `p${n}`, name: 'Boulder Running Club', category: 'Sports Club' }] } : {});
  return user as UserDoc;
};

describe('insole reindex: every user\'s facts computed again', () => {
  let connection: mongoose.Connection;
  let written = '';
  before(async () => {
    connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
    await seedUsers(connection.db!, USERS, legacy);
  });
  after(() => connection.close());

  test('users without facts get exactly the facts their profile says, with a progress bar on the way', async () => {
    const done = await reindexCommand(connection, config, { write: (text: string) => { written += text; return true; } });
    assert.equal(done, USERS);
    const users = await connection.db!.collection<UserDoc>('users').find().toArray();
    assert.equal(users.filter((u) => !u.facts).length, 0);
    for (const user of users) {
      const { lifecycle, active_weeks: _w, segments: _s, rev, computed_at: _c, ...stored } = user.facts as unknown as Record<string, unknown>;
      const { computed_at: _c2, ...fresh } = deriveFacts(user, { vocabulary: config.insight.interests, now: new Date() }) as unknown as Record<string, unknown>;
      assert.deepEqual(stored, fresh, user.user_id);
      assert.equal(rev, 1);
      assert.equal((lifecycle as { state: string }).state, 'never_returned', 'signed up in 2024, never signed in');
    }
    assert.equal(users.filter((u) => u.facts!.interest_keys.includes('running')).length, Math.ceil(USERS / 5));
    assert.match(written, /Computing the facts of 1,234 users/);
    assert.match(written, /1,234/);
  });

  test('after a change of the vocabulary, a reindex moves the interest keys', async () => {
    const changed = loadConfig({ env: { NODE_ENV: 'test' }, overrides: { insight: { interests: { clubs: ['running club'] } } } });
    await reindexCommand(connection, changed, { write: () => true });
    const users = connection.db!.collection<UserDoc>('users');
    assert.equal(await users.countDocuments({ 'facts.interest_keys': 'clubs' }), Math.ceil(USERS / 5));
    assert.equal(await users.countDocuments({ 'facts.interest_keys': 'running' }), 0);
  });
});
