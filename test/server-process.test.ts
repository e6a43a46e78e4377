import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { until } from './support/hooks.ts';
import { freePort, testDatabaseUri } from './support/insole.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode } from './support/relying-party.ts';
import { startServer } from './support/server-process.ts';
import { startInbox } from './support/smtp.ts';

const ROOT = new URL('..', import.meta.url).pathname;

describe('npm start on the embedded defaults', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'insole-start-'));
    const port = await freePort();
    const configFile = join(dir, 'insole.json');
    await writeFile(configFile, JSON.stringify({
      data_dir: join(dir, 'data'),
      clients: [{ client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'] }],
    }));
    env = { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, INSOLE_CONFIG: configFile };
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('users survive a restart, and SIGTERM stops the server cleanly with exit code 0', async () => {
    const credentials = { email: 'persist@innovashoes.example', password: 'still here after restart' };
    let server = await startServer(env);
    const issuer = env.ISSUER;
    assert.match(server.output(), /MONGODB_URI is not set: starting the embedded development database/);
    const config = await discoverStorefront(issuer);
    let request = await buildAuthorization(config);
    const first = await exchangeCode(config, (await completeAuthorization(issuer, request, credentials, 'signup')).callback, request);

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.match(server.output(), /"msg":"stopped"/);
    assert.doesNotMatch(server.output(), /database disconnected/, 'its own close at shutdown is no outage to warn of');

    // Structured logs: one JSON object a line, request lines carry a request id, no secret leaks.
    const lines = server.output().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.msg === 'request');
    // One line per request of the sign-up, the POST (which resumes the authorization itself) with its 303 to the store.
    const logged = requests.map((line) => `${line.method} ${String(line.path).replace(/^\/interaction\/[^/]+/, '/interaction/:uid')} ${line.status}`);
    for (const hop of ['GET /authorize 200', 'GET /interaction/:uid/signup 200', 'POST /interaction/:uid/signup 303', 'POST /oauth/token 200']) {
      assert.ok(logged.includes(hop), `${hop} is logged, in: ${logged.join(', ')}`);
    }
    for (const line of requests) assert.match(String(line.request_id), /^[\w.-]+$/);
    for (const secret of [credentials.password, first.access_token, first.refresh_token!, first.id_token!, 'test-storefront-secret']) {
      assert.ok(!server.output().includes(secret), 'a credential appeared in the logs');
    }
    assert.ok(!/[?&](code|state)=/.test(server.output()), 'query strings are not logged');

    server = await startServer(env);
    request = await buildAuthorization(await discoverStorefront(issuer));
    const second = await exchangeCode(config, (await completeAuthorization(issuer, request, credentials, 'login')).callback, request);
    assert.equal(second.claims()!.sub, first.claims()!.sub, 'the same user, read back from ./data');
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });

  test('SIGTERM with shutdown.drain_ms: readiness fails at once while requests are still served, then the server stops with exit code 0', async () => {
    const configFile = join(dir, 'draining.json');
    await writeFile(configFile, JSON.stringify({ data_dir: join(dir, 'data-drain'), shutdown: { drain_ms: 5_000 } }));
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const server = await startServer({ PORT: String(port), ISSUER: issuer, INSOLE_CONFIG: configFile });
    assert.equal((await fetch(`${issuer}/health/ready`)).status, 200);

    server.child.kill('SIGTERM');
    let ready: Response | undefined;
    for (let tries = 0; tries < 200; tries++) {
      ready = await fetch(`${issuer}/health/ready`);
      if (ready.status === 503) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(ready!.status, 503);
    assert.deepEqual(await ready!.json(), { status: 'unavailable', checks: { database: 'up', shutdown: 'draining' } });
    const page = await fetch(`${issuer}/.well-known/openid-configuration`);
    assert.equal(page.status, 200, 'still serving while the load balancer takes it out of rotation');
    assert.equal(page.headers.get('connection'), 'close', 'keep-alive clients are sent elsewhere');
    assert.equal(server.child.exitCode, null, 'not stopped yet');
    assert.equal(await server.exited, 0);
    assert.match(server.output(), /"msg":"draining: readiness fails, requests are still served"/);
  });

  test('SIGTERM the moment the server listens (its areas still starting) still stops it cleanly, exit code 0', async () => {
    const port = await freePort();
    const server = await startServer({ ...env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}` });
    server.child.kill('SIGTERM'); // as soon as 'insole is listening' is out, before 'ready at'
    assert.equal(await server.exited, 0, server.output());
    assert.match(server.output(), /"msg":"stopped"/);
  });

  test('SIGTERM waits for the mails being sent: the verification link a sign-up page just promised still goes out, then exit code 0', async () => {
    let release!: () => void;
    const inbox = await startInbox({ holdUntil: new Promise<void>((resolve) => { release = resolve; }) });
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      server = await startServer({ ...env, PORT: String(port), ISSUER: issuer, MONGODB_URI: testDatabaseUri(), SMTP_URL: inbox.url });
      const email = 'mail-at-shutdown@innovashoes.example';
      await completeAuthorization(issuer, await buildAuthorization(await discoverStorefront(issuer)), { email, password: 'a link is on its way' }, 'signup');
      await until('the verification mail is being sent', () => inbox.held.includes(email));
      server.child.kill('SIGTERM');
      // The relay answers once insole says it waits for the mail (before, it stopped and exited regardless).
      await until('insole waits for the mail, or has stopped', () => /waiting for the mails being sent|"msg":"stopped"/.test(server!.output()));
      release();
      assert.equal(await server.exited, 0);
      assert.match((await inbox.waitFor(email, /Confirm your email/)).text ?? '', /\/email\/verify\?ticket=/);
    } finally {
      release();
      if (server?.child.exitCode === null) server.child.kill('SIGKILL');
      await inbox.close();
    }
  });

  test('Ctrl-C in a terminal (SIGINT to the whole process group): the embedded database outlives the shutdown, which writes the last log events', async () => {
    const dataDir = join(dir, 'data-ctrl-c');
    const configFile = join(dir, 'ctrl-c.json');
    // The sign-up's log waits for the batched move (gather_ms), which the shutdown makes after the drain.
    await writeFile(configFile, JSON.stringify({
      data_dir: dataDir, events: { gather_ms: 60_000 }, shutdown: { drain_ms: 1_000 },
      clients: [{ client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'] }],
    }));
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const server = await startServer({ PORT: String(port), ISSUER: issuer, INSOLE_CONFIG: configFile }, { group: true });
    const email = 'ctrl-c@innovashoes.example';
    await completeAuthorization(issuer, await buildAuthorization(await discoverStorefront(issuer)), { email, password: 'stopped from the terminal' }, 'signup');
    process.kill(-server.child.pid!, 'SIGINT'); // what the terminal does
    assert.equal(await server.exited, 0, server.output());
    const database = await startEmbeddedMongo({ dataFile: join(dataDir, 'mongo', 'insole.mv') });
    const connection = await mongoose.createConnection(`${database.uri}/insole`).asPromise();
    try {
      assert.equal(await connection.collection('logs').countDocuments({ type: 'ss', user_name: email }), 1, 'the sign-up\'s log was written before the database stopped');
    } finally {
      await connection.close();
      await database.stop();
    }
  });

  test('the start warns about each development secret still in use, by its variable', async () => {
    const port = await freePort();
    const server = await startServer({ ...env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, INSOLE_COOKIE_SECRETS: 'a-real-cookie-key-from-the-secret-store-0123456789' });
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const warning = server.output().split('\n').find((line) => line.includes('using the development secrets'));
    assert.ok(warning, 'the key encryption key is still the development one: that needs saying too');
    assert.match(warning, /set INSOLE_KEY_ENCRYPTION_KEY before going live/);
    assert.doesNotMatch(warning, /INSOLE_COOKIE_SECRETS/, 'the cookie keys are set');
    assert.doesNotMatch(server.output(), /a-real-cookie-key-from-the-secret-store/);
  });

  test('a port in use is refused at start with a clear message, not a hang', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const port = (taken.address() as { port: number }).port;
    const { MONGODB_URI: _unused, ...inherited } = process.env;
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...inherited, ...env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, NODE_ENV: 'development' } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    taken.close();
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`cannot listen on port ${port}: another program uses it`));
  });

  test('a MONGODB_URI that cannot be read, or reached within mongodb_wait_at_start_seconds, stops npm start and the CLI with one line, no stack and no password', async () => {
    const closed = await freePort(); // nothing listens there
    // Unset, npm start waits for a database that cannot be reached (database-at-start.test.ts); an unreadable address is never waited for.
    const configFile = join(dir, 'wait-at-start.json');
    await writeFile(configFile, JSON.stringify({ data_dir: join(dir, 'data-wait'), mongodb_wait_at_start_seconds: 1 }));
    const cases: [string, RegExp][] = [
      ['mongodb://', /^Cannot connect to MongoDB \(MONGODB_URI\): Protocol and host list are required/],
      ['mongodb://insole:pa:ss-w0rd@db@example/insole', /^Cannot connect to MongoDB \(MONGODB_URI\): Password contains unescaped characters/],
      [`mongodb://insole:hunter2-secret@127.0.0.1:${closed}/insole`, new RegExp(`^Cannot connect to MongoDB \\(MONGODB_URI\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}`)],
    ];
    for (const [uri, message] of cases) {
      for (const program of [['src/main.ts'], ['src/cli/insole.ts', 'clients', 'list']]) {
        const child = spawn(process.execPath, program, { cwd: ROOT, env: { ...process.env, ...env, INSOLE_CONFIG: configFile, MONGODB_URI: uri, NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
        let stderr = '';
        child.stderr.on('data', (d) => { stderr += d; });
        const code = await new Promise((resolve) => child.on('exit', resolve));
        assert.equal(code, 1, `${program[0]} ${uri}`);
        assert.match(stderr, message, `${program[0]} ${uri}`);
        assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
        assert.doesNotMatch(stderr, /pa:ss-w0rd|hunter2-secret/);
      }
    }
  });

  test('a second npm start on the same data_dir is refused in one line saying another insole has the file', async () => {
    const port = await freePort();
    const first = await startServer({ ...env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}` });
    const secondPort = await freePort();
    const { MONGODB_URI: _unused, ...inherited } = process.env;
    const second = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...inherited, ...env, PORT: String(secondPort), ISSUER: `http://127.0.0.1:${secondPort}`, NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    let stderr = '';
    second.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise((resolve) => second.on('exit', resolve));
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, 'the first one kept running');
    assert.equal(code, 1);
    assert.match(stderr, /^The embedded database's file .*insole\.mv is in use by another insole \(npm start in another terminal\?\)/);
    assert.equal(stderr.trim().split('\n').length, 1, `one line, not H2's stack: ${stderr}`);
  });

  test('a data_dir the embedded database cannot create stops npm start and the CLI with one line naming data_dir', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const configFile = join(dir, 'unwritable.json');
    await writeFile(configFile, JSON.stringify({ data_dir: join(blocker, 'data') }));
    const { MONGODB_URI: _unused, ...inherited } = process.env;
    for (const program of [['src/main.ts'], ['src/cli/insole.ts', 'keys', 'list']]) {
      const child = spawn(process.execPath, program, { cwd: ROOT, env: { ...inherited, ...env, INSOLE_CONFIG: configFile, NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 1, program[0]);
      assert.match(stderr, /^The embedded database cannot create its folder \(data_dir\): ENOTDIR/, program[0]);
      assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
    }
  });

  test('a broken configuration is refused at start with every problem listed', async () => {
    const configFile = join(dir, 'broken.json');
    await writeFile(configFile, JSON.stringify({ port: 'eighty', brand: { primary_color: 'orange' }, surprise: true }));
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...process.env, INSOLE_CONFIG: configFile, NODE_ENV: 'development' } });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /port:/);
    assert.match(stderr, /brand\.primary_color:/);
    assert.match(stderr, /surprise/);
  });
});
