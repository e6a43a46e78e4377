import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { pauseBeforeNextAttempt } from '../src/db/wait-for-database.ts';
import { until } from './support/hooks.ts';
import { freePort, startTestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, signInForTokens } from './support/relying-party.ts';
import { startServer } from './support/server-process.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

// STANDARDS "Reliability": a database outage is a 503 and a reconnect, also when it began before the
// start. Exiting instead put a Kubernetes pod in a restart loop until MongoDB came up.
describe('npm start while MongoDB is not up yet', () => {
  let dir: string;
  let configFile: string;
  let mongo: EmbeddedMongo | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'insole-db-at-start-'));
    configFile = join(dir, 'insole.json');
    await writeFile(configFile, JSON.stringify({
      data_dir: join(dir, 'data'),
      clients: [{ client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'] }],
    }));
  });
  after(async () => { await mongo?.stop(); await rm(dir, { recursive: true, force: true }); });

  async function startWaiting(mongodbUri: string) {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const server = await startServer({ PORT: String(port), ISSUER: issuer, INSOLE_CONFIG: configFile, MONGODB_URI: mongodbUri }, { until: 'waiting for MongoDB, attempt 1 failed' });
    return { server, issuer };
  }

  test('it listens, alive but not ready, answers everything else with a 503, and serves once MongoDB comes up', async () => {
    const mongoPort = await freePort();
    const { server, issuer } = await startWaiting(`mongodb://127.0.0.1:${mongoPort}/late`);
    try {
      assert.equal((await fetch(`${issuer}/health/live`)).status, 200, 'a liveness probe does not restart it');
      const ready = await fetch(`${issuer}/health/ready`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'unavailable', checks: { database: 'down', startup: 'waiting for the database' } });
      const page = await fetch(`${issuer}/authorize?client_id=test-storefront`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 503);
      assert.ok(page.headers.get('retry-after'));
      assert.match(await page.text(), /temporarily unavailable/);
      for (const [method, path] of [['POST', '/oauth/token'], ['GET', '/api/v2/users'], ['GET', '/.well-known/openid-configuration']]) {
        const answer = await fetch(`${issuer}${path}`, { method, headers: { accept: 'application/json' } });
        assert.equal(answer.status, 503, path);
        assert.deepEqual(await answer.json(), { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable. Please try again shortly.' }, path);
      }

      mongo = await startEmbeddedMongo({ port: mongoPort });
      await until('it is ready', async () => (await fetch(`${issuer}/health/ready`)).status === 200, 30_000);
      assert.deepEqual(await (await fetch(`${issuer}/health/ready`)).json(), { status: 'ok', checks: { database: 'up' } });
      // The start-up work that needed the database is done: signing keys (the token), indexes, sessions.
      const config = await discoverStorefront(issuer);
      const request = await buildAuthorization(config);
      const credentials = { email: 'early-bird@innovashoes.example', password: 'started before the database' };
      const tokens = await exchangeCode(config, (await completeAuthorization(issuer, request, credentials, 'signup')).callback, request);
      assert.match(tokens.claims()!.sub, /^auth0\|/);
      assert.match(server.output(), /"component":"user-jobs".*"msg":"job worker started"/, 'the background workers run');
      assert.match(server.output(), /"msg":"insole is listening"/);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0, server.output());
    const attempts = server.output().split('\n').filter((line) => line.includes('waiting for MongoDB'));
    assert.ok(attempts.length >= 1);
    assert.doesNotMatch(server.output(), /database disconnected/, 'a failed attempt is no outage of a connection we had');
  });

  test('SIGTERM while it waits exits 0 at once, and no log line shows the password of MONGODB_URI', async () => {
    const closed = await freePort();
    const { server } = await startWaiting(`mongodb://insole:hunter2-secret@127.0.0.1:${closed}/never`);
    const line = server.output().split('\n').find((l) => l.includes('waiting for MongoDB'))!;
    assert.match(line, new RegExp(`attempt 1 failed \\(Cannot connect to MongoDB \\(MONGODB_URI\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}\\): trying again in 1 s`));
    // In the next attempt (each waits up to the driver's 5-s server selection) or in the pause before it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const signalled = performance.now();
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.output());
    // A bound, not a speed figure: without the abort, the attempt under way held the exit for up to 5 s.
    assert.ok(performance.now() - signalled < 3_000, `exited ${Math.round(performance.now() - signalled)} ms after SIGTERM`);
    assert.match(server.output(), /"msg":"stopped"/);
    assert.doesNotMatch(server.output(), /hunter2-secret/);
  });

  test('MongoDB lost half-way through the start-up work (as the signing keys are read): the start is made again from scratch once it is back', async () => {
    const database = await startEmbeddedMongo();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(database.uri).port) });
    const captured = captureLogs('info');
    const cut = proxy.stopAt((chunk) => chunk.includes('signing_keys'));
    const starting = startTestInsole({}, `mongodb://127.0.0.1:${proxy.port}/cut-at-start`, captured.logger);
    try {
      await cut;
      await until('the attempt is said to have failed', () => captured.lines.some((line) => line.includes('waiting for MongoDB, attempt 1 failed')));
      await proxy.start();
      const insole = await starting;
      try {
        const { tokens } = await signInForTokens(insole.issuer, { email: 'second-try@innovashoes.example', password: 'the start was made again' }, 'signup');
        assert.match(tokens.claims()!.sub, /^auth0\|/, 'an ID token signed with the keys read (or made) by the second attempt');
        assert.deepEqual(await (await fetch(`${insole.issuer}/health/ready`)).json(), { status: 'ok', checks: { database: 'up' } });
      } finally {
        await insole.stop();
      }
    } finally {
      await starting.then((insole) => insole.stop(), () => undefined);
      await proxy.close();
      await database.stop();
    }
  });

  test('the pause between attempts doubles from 1 s and stays at 15 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 20].map(pauseBeforeNextAttempt), [1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
  });
});
