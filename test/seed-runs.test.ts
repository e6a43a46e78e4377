import assert from 'node:assert/strict';
import { cli } from './support/cli-run.ts';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { createProgressBar } from '../src/cli/progress-bar.ts';
import { seedCommand, type SeedOptions } from '../src/cli/seed.command.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { deriveFacts } from '../src/insight/facts/user-facts.ts';
import type { UserDoc } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

// Running `insole seed`: the same seed gives the same shoppers, the guards refuse, the CLI reports.

const NOW = '2026-06-15T12:00:00Z';
const config = loadConfig({ env: { NODE_ENV: 'test' } });
const options = (users: number, seed: number, extra: Partial<SeedOptions> = {}): SeedOptions =>
  ({ users, seed, months: 12, now: new Date(NOW), append: false, force: false, ...extra });
const quiet = { log: () => {}, progress: { write: () => true } };

type Stored = UserDoc & { _id?: unknown };
const withoutId = ({ _id, ...user }: Stored) => user;


describe('insole seed runs', () => {
  const uris = [testDatabaseUri(), testDatabaseUri(), testDatabaseUri()];
  let connections: mongoose.Connection[];
  const usersIn = (c: mongoose.Connection) => c.db!.collection<Stored>('users').find().toArray() as Promise<Stored[]>;
  before(async () => { connections = await Promise.all(uris.map((uri) => mongoose.createConnection(uri).asPromise())); });
  after(async () => { for (const c of connections) { await c.db!.dropDatabase(); await c.close(); } });

  test('the same seed gives the same shoppers: 300 users are the first 300 of 500; --append continues the sequence', async () => {
    await seedCommand(connections[0], config, options(500, 7), quiet);
    await seedCommand(connections[1], config, options(300, 7), quiet);
    const first = new Map((await usersIn(connections[0])).map((u) => [u.user_id, withoutId(u)]));
    const again = await usersIn(connections[1]);
    assert.equal(again.length, 300);
    for (const user of again) assert.deepEqual(withoutId(user), first.get(user.user_id));

    const appended = await cli(uris[1], 'seed', '--users', '50', '--seed', '7', '--now', NOW, '--append');
    assert.equal(appended.code, 0);
    const all = await usersIn(connections[1]);
    assert.equal(all.length, 350);
    assert.equal(all.filter((u) => first.has(u.user_id)).length, 350, 'shoppers 300–349 of the same seed');
    assert.match(appended.out, /^Seeded 50 shoppers in [\d.]+ s: [\d,]+ users\/s\./);
    assert.match(appended.out, /campaigns +pre-order \(men 20–40 into fitness\) \d+ .* win-back \(never returned\) \d+ .* unhappy on X \(negative sentiment\) \d+/);
    assert.match(appended.err, /nothing goes to RabbitMQ/);
    assert.ok(!appended.err.includes('\r'), 'no carriage returns when stderr is not a terminal');
    assert.match(appended.err, /100% \(50\/50 users/);
  });

  test('--append skips a generated shopper already stored (unique user_id and email), and writes logs only for the new ones', async () => {
    const db = connections[1].db!;
    const numberOf = (email: string) => Number(/(\d+)@/.exec(email)![1]);
    const early = (await usersIn(connections[1])).filter((u) => u.email && numberOf(u.email) < 300).slice(0, 10);
    await db.collection('users').deleteMany({ user_id: { $in: early.map((u) => u.user_id) } });
    const before = { ids: new Set((await usersIn(connections[1])).map((u) => u.user_id)), logs: await db.collection('logs').countDocuments() };
    // 340 users left: the next shoppers are numbers 340–359, of which 340–349 are stored already.
    const summary = await seedCommand(connections[1], config, options(20, 7, { append: true }), quiet);
    assert.deepEqual([summary.users, summary.skipped], [10, 10]);
    const added = (await usersIn(connections[1])).filter((u) => !before.ids.has(u.user_id));
    assert.equal(added.length, 10);
    assert.ok(added.every((u) => !u.email || (numberOf(u.email) >= 350 && numberOf(u.email) < 360)));
    const logs = await db.collection('logs').find().toArray();
    const addedIds = new Set(added.map((u) => u.user_id));
    assert.ok(summary.logs > 0);
    assert.equal(logs.length - before.logs, summary.logs);
    assert.equal(logs.filter((log) => addedIds.has(log.user_id as string)).length, summary.logs);
  });

  test('another seed gives other shoppers; with FullContact on, unchecked shoppers with an email are pending', async () => {
    const enriching = loadConfig({ env: { NODE_ENV: 'test' }, overrides: { hooks: { fullcontact: { api_key: 'fc-key' } } } });
    await seedCommand(connections[2], enriching, options(300, 8), quiet);
    const other = await usersIn(connections[2]);
    const seven = new Set((await usersIn(connections[0])).map((u) => u.user_id));
    assert.equal(other.filter((u) => seven.has(u.user_id)).length, 0);
    for (const user of other) {
      const { lifecycle, active_weeks, ...derived } = user.facts!;
      const { _id, facts, ...profile } = user;
      assert.deepEqual(derived, deriveFacts(profile as UserDoc, { vocabulary: enriching.insight.interests, now: new Date(NOW), enrichmentEnabled: true, sentimentThresholds: enriching.hooks.sentiment }));
    }
    const pending = other.filter((u) => u.facts!.enrichment === 'pending');
    assert.ok(pending.length > 0);
    assert.ok(pending.every((u) => u.email && !u.app_metadata.fullcontact));
  });

  test('refused with NODE_ENV=production unless --force, and nothing is written', async () => {
    const production = { ...config, env: 'production' as const };
    const before = await connections[2].db!.collection('users').countDocuments();
    await assert.rejects(seedCommand(connections[2], production, options(5, 1, { append: true }), quiet), /NODE_ENV=production.*--force/s);
    assert.equal(await connections[2].db!.collection('users').countDocuments(), before);
    await seedCommand(connections[2], production, options(5, 1, { append: true, force: true }), quiet);
    assert.equal(await connections[2].db!.collection('users').countDocuments(), before + 5);
  });

  test('refused on a database that already has users unless --append, and on bad options, with nothing written', async () => {
    const count = () => connections[0].db!.collection('users').countDocuments();
    await assert.rejects(cli(uris[0], 'seed', '--users', '10', '--now', NOW), /already has 500 users.*--append/s);
    for (const bad of [['--users', '0'], ['--users', 'many'], ['--users', '5', '--now', 'yesterday'], ['--users', '5', '--months', '0'], []]) {
      await assert.rejects(cli(uris[0], 'seed', ...bad, '--append'), /--(users|now|months) must be/);
    }
    assert.equal(await count(), 500);
  });

  test('when the database goes away mid-run: a one-line error saying how far it got, and --append carries on', async () => {
    const direct = new URL(testDatabaseUri());
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
    const proxied = new URL(direct);
    proxied.port = String(proxy.port);
    const viaProxy = await mongoose.createConnection(proxied.toString(), { serverSelectionTimeoutMS: 1_000 }).asPromise();
    const connection = await mongoose.createConnection(direct.toString()).asPromise();
    try {
      // The database "dies" as the progress reaches a tenth: 2,000 users (one batch) are written by then.
      const progress = { write: (line: string) => { if (line.startsWith('10%')) void proxy.stop(); return true; } };
      await assert.rejects(seedCommand(viaProxy, config, options(20_000, 3), { log: () => {}, progress }), (err: Error) => {
        assert.equal(err.name, 'CliError');
        assert.match(err.message, /^The database failed after 2,000 shoppers were written \(.+\)\. .*--append/s);
        return true;
      });
      const written = await connection.db!.collection('users').countDocuments();
      assert.ok(written >= 2000 && written <= 4000, `${written} users`);
      const appended = await seedCommand(connection, config, options(100, 3, { append: true }), quiet);
      assert.deepEqual([appended.users, appended.skipped], [100, 0], 'the numbering went on after the users written: none generated twice');
      assert.equal(await connection.db!.collection('users').countDocuments(), written + 100);
    } finally {
      await viaProxy.close().catch(() => {});
      await proxy.close();
      await connection.db!.dropDatabase();
      await connection.close();
    }
  });
});

describe('the progress bar', () => {
  const recorder = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, output: { isTTY, columns: 100, write: (text: string) => chunks.push(text) } };
  };

  test('on a terminal it redraws one line at most every 100 ms and ends it', () => {
    let now = 0;
    const { chunks, output } = recorder(true);
    const bar = createProgressBar(output, { total: 1000, unit: 'users' }, () => now);
    for (let done = 100; done <= 1000; done += 100) { now += 40; bar.update(done); }
    bar.finish();
    assert.ok(chunks.length >= 4 && chunks.length <= 7, `${chunks.length} writes`);
    assert.ok(chunks.slice(0, -1).every((c) => c.startsWith('\r') && !c.includes('\n')));
    assert.match(chunks.at(-2)!, /100% 1,000\/1,000 users · 2,500\/s/);
    assert.equal(chunks.at(-1), '\n');
  });

  test('elsewhere it prints a plain line at each tenth', () => {
    let now = 0;
    const { chunks, output } = recorder(false);
    const bar = createProgressBar(output, { total: 1000, unit: 'users' }, () => now);
    for (let done = 50; done <= 1000; done += 50) { now += 100; bar.update(done); }
    bar.finish();
    assert.deepEqual(chunks.map((c) => c.split(' ')[0]), ['10%', '20%', '30%', '40%', '50%', '60%', '70%', '80%', '90%', '100%']);
    assert.ok(chunks.every((c) => c.endsWith('\n') && !c.includes('\r')));
  });
});
