// Operator mistakes that insole used to accept silently, refused when npm start or the CLI starts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { freePort, testDatabaseUri } from './support/insole.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = ['src/main.ts'];
const CLI_KEYS_LIST = ['src/cli/insole.ts', 'keys', 'list'];

/**
 * Runs a program as an operator would, with `env` on top of the test's own (no MONGODB_URI unless
 * given): its exit code and everything it printed. One that has not exited after `timeoutMs` (a
 * server that started after all) is killed, and its code is null.
 */
async function runToExit(program: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const { MONGODB_URI: _unused, ...inherited } = process.env;
  const child = spawn(process.execPath, program, { cwd: ROOT, env: { ...inherited, NODE_ENV: 'development', LOG_LEVEL: 'silent', ...env } });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}

describe('operator mistakes refused at start', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'insole-mistakes-'));
    const port = await freePort();
    const configFile = join(dir, 'insole.json');
    await writeFile(configFile, JSON.stringify({ data_dir: join(dir, 'data') }));
    env = { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, INSOLE_CONFIG: configFile };
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('an SMTP_URL that cannot be read, of another scheme or without a host stops npm start and the CLI, naming mail.smtp_url and never the password', async () => {
    const cases: [string, RegExp][] = [
      ['smtp://insole:relay-pw-1@relay.example:notaport', /mail\.smtp_url: is not a valid URL: write smtp:\/\/\[user:password@\]host\[:port\]/],
      ['smtp://insole:relay#pw-2@relay.example:587', /mail\.smtp_url: is not a valid URL/],
      ['http://insole:relay-pw-3@relay.example:587', /mail\.smtp_url: must be an smtp:\/\/ or smtps:\/\/ URL/],
      ['smtps://', /mail\.smtp_url: names no host/],
    ];
    const databaseUri = testDatabaseUri();
    for (const [smtpUrl, message] of cases) {
      for (const program of [SERVER, CLI_KEYS_LIST]) {
        const { code, output } = await runToExit(program, { ...env, MONGODB_URI: databaseUri, SMTP_URL: smtpUrl });
        assert.equal(code, 1, `${program[0]} ${smtpUrl}: ${output}`);
        assert.match(output, message, `${program[0]} ${smtpUrl}`);
        assert.doesNotMatch(output, /relay-pw|relay#pw|\n\s+at |DEP0170/, 'no password, no stack, no Node warning quoting the URL');
      }
    }
  });

  test('a MONGODB_URI naming no database stops npm start and the CLI, telling the operator to name it, and nothing lands in "test"', async () => {
    const server = new URL(process.env.MONGODB_URI!);
    server.pathname = '';
    const withoutDatabase = [server.toString(), `${server}/`, `${server}/?serverSelectionTimeoutMS=2000`];
    for (const uri of withoutDatabase) {
      for (const program of [SERVER, CLI_KEYS_LIST]) {
        const { code, output } = await runToExit(program, { ...env, MONGODB_URI: uri }, 15_000);
        assert.equal(code, 1, `${program[0]} ${uri}: ${output}`);
        assert.match(output, /mongodb_uri: names no database \(the driver would use "test"\): add it to the path, e.g\. mongodb:\/\/db:27017\/insole; .* add \/test to keep it/, `${program[0]} ${uri}`);
      }
    }
    const test = await mongoose.createConnection(`${server}/test`).asPromise();
    try {
      assert.deepEqual(await test.db!.listCollections().toArray(), [], 'no signing key, no index: nothing was written to "test"');
    } finally {
      await test.close();
    }
  });

  test('the CLI in production asks only for what its command uses: keys rotate the database and a key encryption key of its own, keys list the database; npm start still wants everything', async () => {
    // No ISSUER, TRUST_PROXY, SMTP_URL or cookie keys, and config/default.json's clients: only the HTTP server uses them.
    const databaseUri = testDatabaseUri();
    const production = { ...env, NODE_ENV: 'production', MONGODB_URI: databaseUri };
    const kek = { INSOLE_KEY_ENCRYPTION_KEY: 'an-operator-key-encryption-key-0123456789abcdef' };
    const rotated = await runToExit(['src/cli/insole.ts', 'keys', 'rotate'], { ...production, ...kek });
    assert.equal(rotated.code, 0, rotated.output);
    const kid = /^New signing key (\S+): published now/m.exec(rotated.output)?.[1];
    assert.ok(kid, rotated.output);
    const listed = await runToExit(['src/cli/insole.ts', 'keys', 'list'], production);
    assert.equal(listed.code, 0, listed.output);
    assert.match(listed.output, new RegExp(`^${kid}\\tRS256\\t`, 'm'));

    const database = await mongoose.createConnection(databaseUri).asPromise();
    try {
      // Without its own key encryption key, rotating would seal the new key with the published development one.
      const refused = await runToExit(['src/cli/insole.ts', 'keys', 'rotate'], production);
      assert.equal(refused.code, 1, refused.output);
      assert.equal(refused.output.trim(), 'Invalid configuration:\n  - secrets.key_encryption_key: the development value (or an example\'s placeholder) is refused in production; set INSOLE_KEY_ENCRYPTION_KEY (openssl rand -hex 32)');
      // Another operator's key: the stored one cannot be opened, said in one line as npm start says it.
      const other = await runToExit(['src/cli/insole.ts', 'keys', 'rotate'], { ...production, INSOLE_KEY_ENCRYPTION_KEY: 'another-operator-key-encryption-key-0123456789' });
      assert.equal(other.code, 1, other.output);
      assert.match(other.output, new RegExp(`^The signing key ${kid} in the database cannot be opened with this INSOLE_KEY_ENCRYPTION_KEY`));
      assert.equal(other.output.trim().split('\n').length, 1, `one line, no stack: ${other.output}`);
      assert.equal(await database.collection('signing_keys').countDocuments(), 1, 'nothing written');
    } finally {
      await database.close();
    }
    const noDatabase = await runToExit(['src/cli/insole.ts', 'clients', 'list'], { ...env, NODE_ENV: 'production' });
    assert.equal(noDatabase.code, 1, noDatabase.output);
    assert.equal(noDatabase.output.trim(), 'Invalid configuration:\n  - mongodb_uri: the embedded database is for development; set MONGODB_URI');

    const server = await runToExit(SERVER, { ...production, ...kek });
    assert.equal(server.code, 1, server.output);
    for (const key of ['secrets.cookie_keys', 'clients.storefront.client_secret', 'issuer', 'mail.smtp_url']) assert.match(server.output, new RegExp(`^  - ${key.replaceAll('.', '\\.')}: `, 'm'), key);
  });
});
