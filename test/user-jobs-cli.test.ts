import assert from 'node:assert/strict';
import { cli, cliWithStdoutClosed } from './support/cli-run.ts';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { m2mClientConfig, managementToken } from './support/management.ts';
import { exportThroughApi, seededUser, seedUsers, JOBS_SETTINGS } from './support/user-jobs.ts';

const ADMIN = { client_id: 'cli-jobs-admin', client_secret: 'cli-jobs-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users'] };


describe('insole users export / users import: the jobs\' own code from the command line', () => {
  const databaseUri = testDatabaseUri();
  let insole: TestInsole;
  let folder: string;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN)], admin_api: JOBS_SETTINGS() }, databaseUri);
    folder = await mkdtemp(join(tmpdir(), 'insole-cli-jobs-'));
    await seedUsers(insole.db, 25, (n) => seededUser(n, { name: n === 3 ? '=1+2' : `Runner ${n}`, user_metadata: { size: 40 + (n % 5) }, app_metadata: { tier: n % 2 ? 'gold' : 'silver' } }));
  });
  after(() => insole.stop());

  test('users export --output writes exactly the data the API export file holds, nothing else', async () => {
    const token = (await managementToken(insole, ADMIN)).access_token;
    for (const format of ['json', 'csv'] as const) {
      const file = join(folder, `users.${format}`);
      const { code, out } = await cli(databaseUri, 'users', 'export', '--format', format, '--output', file);
      assert.equal(code, 0);
      assert.match(out, new RegExp(`Exported 25 user\\(s\\) to ${file.replaceAll('.', '\\.')}`));
      const { text } = await exportThroughApi(insole, token, { format });
      assert.equal(await readFile(file, 'utf8'), text, `${format}: same bytes as the job's file, unzipped`);
    }
    const csv = await readFile(join(folder, 'users.csv'), 'utf8');
    assert.match(csv, /,"'=1\+2",/, 'formula neutralised as in the job');

    const chosen = join(folder, 'chosen.csv');
    assert.equal((await cli(databaseUri, 'users', 'export', '--format', 'csv', '--fields', 'email,user_metadata.size', '--limit', '2', '--output', chosen)).code, 0);
    assert.deepEqual((await readFile(chosen, 'utf8')).split('\r\n').slice(0, 2), ['email,user_metadata.size', `"'shopper0@innovashoes.example",40`]);

    await assert.rejects(cli(databaseUri, 'users', 'export', '--output', chosen), /exists/, 'never overwrites');
    await assert.rejects(cli(databaseUri, 'users', 'export', '--fields', 'email,password_hash'), /unknown field "password_hash"/);
    await assert.rejects(cli(databaseUri, 'users', 'export', '--fields', 'email,user_id,email'), /two fields are exported as "email": name it once/, 'the CLI has no export_as to give');
    await assert.rejects(cli(databaseUri, 'users', 'export', '--format', 'xml'), /--format must be json or csv/);
  });

  test('users export refuses the options of other commands (a report\'s --label, --gender) before the database is opened', async () => {
    // A database nobody listens on: the options are refused before the CLI tries to reach it.
    const unreachable = 'mongodb://127.0.0.1:9/unreachable';
    await assert.rejects(cli(unreachable, 'users', 'export', '--limit', '1', '--label', 'negative', '--gender', 'male'),
      { name: 'CliError', message: 'users export has no option --label, --gender' });
    await assert.rejects(cli(unreachable, 'users', 'import', '--file', 'users.json', '--fields', 'email'),
      { name: 'CliError', message: 'users import has no option --fields' });
  });

  test('users export | head: a reader that closes the pipe early ends the export quietly, exit code 0', async () => {
    for (const args of [['users', 'export'], ['users', 'export', '--format', 'csv', '--limit', '2']]) {
      assert.deepEqual(await cliWithStdoutClosed(databaseUri, ...args), { code: 0, stderr: '' }, args.join(' '));
    }
  });

  test('users import takes an export as it is; refused records are printed and make the exit code 1', async () => {
    const exported = join(folder, 'for-import.json');
    assert.equal((await cli(databaseUri, 'users', 'export', '--output', exported)).code, 0);
    const fresh = testDatabaseUri();
    const first = await cli(fresh, 'users', 'import', '--file', exported);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /25 inserted, 0 updated, 0 failed, of 25/);

    const again = await cli(fresh, 'users', 'import', '--file', exported);
    assert.equal(again.code, 1);
    assert.match(again.out, /record 0 \(shopper0@innovashoes\.example\): DUPLICATED_USER The user already exists\./);
    assert.match(again.out, /0 inserted, 0 updated, 25 failed, of 25/);

    const changes = join(folder, 'changes.json');
    await writeFile(changes, JSON.stringify([{ email: 'shopper4@innovashoes.example', name: 'Renamed', email_verified: true }, { email: 'broken', name: 5 }]));
    const upsert = await cli(fresh, 'users', 'import', '--file', changes, '--upsert');
    assert.equal(upsert.code, 1);
    assert.match(upsert.out, /record 1 \(broken\): FORMAT Invalid email address \[email\]/);
    assert.match(upsert.out, /record 1 \(broken\): INVALID_TYPE .* \[name\]/);
    assert.match(upsert.out, /0 inserted, 1 updated, 1 failed, of 2/);

    await assert.rejects(cli(fresh, 'users', 'import'), /--file/);
    await writeFile(join(folder, 'bad.json'), '[{"email":');
    await assert.rejects(cli(fresh, 'users', 'import', '--file', join(folder, 'bad.json')), /not valid JSON/);
  });
});
