import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { cli } from './support/cli-run.ts';
import { until } from './support/hooks.ts';
import { testDatabaseUri } from './support/insole.ts';
import { seededUser, seedUsers } from './support/user-jobs.ts';

const ROOT = new URL('..', import.meta.url).pathname;
/** Enough users that an export runs for many cursor batches after its file is opened. */
const USERS = 20_000;
/** Shoppers interested in fitness (the segment report's `--interest fitness`), signed up after every seeded user. */
const RUNNERS = 400;

/** The CLI as a process of its own (signals go to it, not to the test runner). */
function cliProcess(databaseUri: string, ...args: string[]) {
  const child = spawn(process.execPath, ['src/cli/insole.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URI: databaseUri } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stderr }));
  return { child, exit };
}

/** The temporary file an output is written to before it takes its name: `.NAME.<random>.part` beside it. */
const partialFile = async (folder: string, name: string) => (await readdir(folder)).find((entry) => entry.startsWith(`.${name}.`) && entry.endsWith('.part'));

describe('CLI outputs appear whole or not at all: a failed or interrupted export or report leaves no half file', () => {
  const databaseUri = testDatabaseUri();
  let connection: mongoose.Connection;
  let folder: string;
  const users = () => connection.db!.collection('users');
  before(async () => {
    connection = await mongoose.createConnection(databaseUri).asPromise();
    await seedUsers(connection.db!, USERS);
    await seedUsers(connection.db!, RUNNERS, (n) => seededUser(USERS + n, {
      email: `runner${n}@innovashoes.example`, facts: { interest_keys: ['fitness'], interests: ['running'] } as never,
    }));
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });
  test.beforeEach(async () => { folder = await mkdtemp(join(tmpdir(), 'insole-cli-output-')); });
  test.afterEach(() => rm(folder, { recursive: true, force: true }));

  test('an export that fails mid-way (a stored user it cannot write, after thousands it wrote) leaves no file, and no temporary one', async () => {
    // Stored by hand, not by insole: a date as text. The export refuses it (invalid_stored_user), after every user stored before it.
    await users().insertOne(seededUser(USERS + RUNNERS + 1, { email: 'broken@innovashoes.example', created_at: 'last Tuesday' as never }) as never);
    try {
      const file = join(folder, 'users.json');
      await assert.rejects(cli(databaseUri, 'users', 'export', '--output', file), /The stored user auth0\|seed\d+ has no created_at/);
      assert.deepEqual(await readdir(folder), [], 'neither users.json nor its temporary file');
    } finally {
      await users().deleteOne({ email: 'broken@innovashoes.example' });
    }
    // The same export once the user is mended: the whole file, readable by its owner only (customer data).
    const file = join(folder, 'users.json');
    const { code, out } = await cli(databaseUri, 'users', 'export', '--output', file, '--fields', 'user_id');
    assert.equal(code, 0, out);
    assert.equal((await readFile(file, 'utf8')).trimEnd().split('\n').length, USERS + RUNNERS);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(folder), ['users.json']);
  });

  test('report --force that fails mid-way keeps the previous file as it was; without --force it leaves none', async () => {
    const file = join(folder, 'runners.csv');
    const report = ['report', 'segment', '--interest', 'fitness', '--output', file];
    assert.equal((await cli(databaseUri, ...report)).code, 0);
    const previous = await readFile(file, 'utf8');
    assert.equal(previous.trimEnd().split('\r\n').length, RUNNERS + 1, 'a header and every runner');
    // A runner stored by hand with its topics as text, not a list, signed up last: the row writer throws after every other runner.
    await users().insertOne(seededUser(USERS + RUNNERS + 2, { email: 'odd-runner@innovashoes.example', facts: { interest_keys: ['fitness'], interests: 'running' } as never }) as never);
    try {
      await assert.rejects(cli(databaseUri, ...report, '--force'), /filter is not a function/);
      assert.equal(await readFile(file, 'utf8'), previous, 'the previous list, byte for byte');
      assert.deepEqual(await readdir(folder), ['runners.csv'], 'no temporary file');

      const fresh = join(folder, 'fresh.csv');
      await assert.rejects(cli(databaseUri, 'report', 'segment', '--interest', 'fitness', '--output', fresh), /filter is not a function/);
      assert.deepEqual(await readdir(folder), ['runners.csv'], 'no fresh.csv, no temporary file');
    } finally {
      await users().deleteOne({ email: 'odd-runner@innovashoes.example' });
    }
    // --force that succeeds replaces the file with the same bytes.
    assert.equal((await cli(databaseUri, ...report, '--force')).code, 0);
    assert.equal(await readFile(file, 'utf8'), previous);
  });

  test('a file that appears while the export runs is not overwritten: the export is refused at the end, as at the start', async () => {
    const file = join(folder, 'users.csv');
    const run = cliProcess(databaseUri, 'users', 'export', '--format', 'csv', '--output', file);
    await until('the export to open its temporary file', () => partialFile(folder, 'users.csv'), 30_000);
    await writeFile(file, 'written by someone else meanwhile\n', { flag: 'wx' });
    const { code, stderr } = await run.exit;
    assert.equal(code, 1);
    assert.equal(stderr.trim(), `${file} exists: name a new file (an export never overwrites one).`);
    assert.equal(await readFile(file, 'utf8'), 'written by someone else meanwhile\n');
    assert.deepEqual(await readdir(folder), ['users.csv'], 'no temporary file');
  });

  test('Ctrl-C (SIGINT) during a long export leaves neither the file nor its temporary file', async () => {
    const file = join(folder, 'users.json');
    const run = cliProcess(databaseUri, 'users', 'export', '--output', file);
    await until('the export to open its temporary file', () => partialFile(folder, 'users.json'), 30_000);
    run.child.kill('SIGINT');
    const { signal } = await run.exit;
    assert.equal(signal, 'SIGINT', 'ended by the signal, as without the clean-up');
    assert.deepEqual(await readdir(folder), []);
  });
});
