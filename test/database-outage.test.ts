import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { AMQP_URL } from './support/rabbitmq.ts';
import { buildAuthorization, discoverStorefront, signInForTokens } from './support/relying-party.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

async function until(check: () => Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('when the database goes away', () => {
  let mongo: EmbeddedMongo;
  let insole: TestInsole;
  let port: number;
  const captured = captureLogs('info');
  before(async () => {
    mongo = await startEmbeddedMongo();
    port = Number(new URL(mongo.uri).port);
    insole = await startTestInsole({}, `${mongo.uri}/outage`, captured.logger);
  });
  after(async () => { await insole.stop(); await mongo.stop(); });

  test('requests fail fast with 503, readiness says so, and service resumes when it is back', async () => {
    const config = await discoverStorefront(insole.issuer);
    const authorizeUrl = (await buildAuthorization(config)).url;
    assert.equal((await fetch(`${insole.issuer}/health/ready`)).status, 200);

    await mongo.stop();
    await until(async () => (await fetch(`${insole.issuer}/health/ready`)).status === 503, 'readiness reports the outage');
    const ready = await (await fetch(`${insole.issuer}/health/ready`)).json();
    assert.deepEqual(ready, { status: 'unavailable', checks: { database: 'down' } });
    assert.equal((await fetch(`${insole.issuer}/health/live`)).status, 200, 'the process itself is alive');
    assert.ok(captured.lines.some((line) => line.includes('"database disconnected"')), 'an outage is a warning (a shutdown\'s own close is not)');

    const page = await fetch(authorizeUrl, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(page.status, 503);
    assert.ok(page.headers.get('retry-after'));
    assert.match(await page.text(), /temporarily unavailable/);
    const api = await fetch(`${insole.issuer}/oauth/token`, { method: 'POST', headers: { accept: 'application/json' } });
    assert.equal(api.status, 503);
    assert.equal((await api.json()).error, 'temporarily_unavailable');

    mongo = await startEmbeddedMongo({ port });
    await until(async () => (await fetch(`${insole.issuer}/health/ready`)).status === 200, 'the driver reconnects');
    const again = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.equal(again.status, 200, 'the authorization request is served again');
    assert.match(await again.text(), /action="\/interaction\/[^"]+\/login"/, 'with the sign-in page');
  });
});

// Found by the fault suite: oidc-provider saves the session after the route, outside its own error
// handling, and a database lost at that moment gave Koa's bare 500 instead of the outage's 503.
describe('the database lost while the sign-in is being resumed, at the session save', () => {
  let mongo: EmbeddedMongo;
  let proxy: TcpProxy;
  let insole: TestInsole;
  before(async () => {
    mongo = await startEmbeddedMongo();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(mongo.uri).port) });
    insole = await startTestInsole({}, `mongodb://127.0.0.1:${proxy.port}/session-save`);
  });
  after(async () => { await insole.stop(); await proxy.close(); await mongo.stop(); });

  // (Recovery after a database restart is the test above; here the proxy only has to fail at one moment.)
  test('answers 503 with Retry-After, not a 500, and no redirect', async () => {
    const shopper = { email: 'resume.outage@innovashoes.example', password: 'cadence 180 per minute' };
    await signInForTokens(insole.issuer, shopper, 'signup');
    const config = await discoverStorefront(insole.issuer);
    const request = await buildAuthorization(config);
    const agent = new UserAgent(insole.issuer);
    const form = readForm(await (await agent.get(request.url)).res.text());

    // The sign-in POST resumes the authorization itself (src/oidc/resume-here.ts); the resume's writes
    // (grant, code, session) go as one update, sent once the route is done (request-writes.ts).
    const cut = proxy.stopAt((chunk) => chunk.includes('oidc_flow') && chunk.includes('updates') && chunk.includes('Session:'));
    const answer = await agent.request(new URL(form.action, insole.issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ ...shopper, _csrf: form.csrf }).toString(),
    });
    await cut;
    assert.equal(answer.status, 503);
    assert.ok(answer.headers.get('retry-after'));
    assert.equal(answer.headers.get('location'), null, 'no redirect to follow');
    assert.match(await answer.text(), /temporarily unavailable/);
  });
});

// A database that stops answering without closing its connections (a partition that drops packets):
// the driver waits on its sockets, and without a deadline the request would hang for minutes.
describe('the database silent, its connections open', () => {
  let mongo: EmbeddedMongo;
  let proxy: TcpProxy;
  let insole: TestInsole;
  const captured = captureLogs('info');
  before(async () => {
    mongo = await startEmbeddedMongo();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(mongo.uri).port) });
    insole = await startTestInsole({ answer_within_ms: 1_500 }, `mongodb://127.0.0.1:${proxy.port}/silent`, captured.logger);
  });
  after(async () => { await proxy.close(); await insole.stop(); await mongo.stop(); });

  test('a request still unanswered at answer_within_ms gets a 503 with Retry-After, and the log names it', async () => {
    const config = await discoverStorefront(insole.issuer);
    const authorizeUrl = (await buildAuthorization(config)).url;
    assert.equal((await fetch(authorizeUrl, { redirect: 'manual' })).status, 200, 'served while the database answers');

    proxy.hold();
    const answer = await fetch(authorizeUrl, { headers: { accept: 'application/json' }, redirect: 'manual' });
    assert.equal(answer.status, 503);
    assert.ok(answer.headers.get('retry-after'));
    assert.deepEqual(await answer.json(), { error: 'temporarily_unavailable', error_description: 'The service is taking too long to answer. Please try again in a moment.' });
    const line = captured.lines.map((l) => JSON.parse(l) as { msg: string; path?: string; level: number }).find((l) => l.msg.startsWith('no answer within the deadline'));
    assert.equal(line?.path, '/authorize');
    assert.equal(line?.level, 50, 'an error: something insole depends on hung');

    // No heartbeat for two intervals: readiness goes red long before the driver's 30-s connect
    // timeout would call the server lost. (A wall-clock step is not an outage: clock-step.test.ts.)
    await until(async () => (await fetch(`${insole.issuer}/health/ready`)).status === 503, 'readiness reports the silent database', 10_000);
  });
});

// Found by the fault-suite work: SIGTERM after the database's process died took longer than drain_ms
// + grace_ms, each last database write of the shutdown (the event relay's round, the areas' stops)
// waiting out the driver's 5-s server selection in turn. A bound, not a speed: grace_ms, the 1 s the
// last writes get after it, and a margin (3 s in all, for a loaded machine) stay below the 5-s wait
// that the unbounded shutdown always adds.
// CI of 2026-12-06 then read 6.3 s: the hook worker's grace began only once its poll loop's claim,
// waiting on the gone database, gave up (5 s); the FullContact call ran on until then, and the
// outbound HTTP close waited for it. Whether a claim was in flight depended on the machine's load;
// a database that answers nothing (a partition: every command hangs) makes it certain.
describe('SIGTERM with the database away', () => {
  let mongo: EmbeddedMongo;
  let proxy: TcpProxy;
  let insole: TestInsole;
  let fullcontact: Server;
  const asked: IncomingMessage[] = [];
  const captured = captureLogs('info');
  const GRACE_MS = 1_000;
  before(async () => {
    mongo = await startEmbeddedMongo();
    // A FullContact that never answers: a hook attempt is in flight at the shutdown, and its worker
    // hands the job back (a database write) once the grace interrupts it.
    fullcontact = createServer((req) => { asked.push(req); });
    await new Promise<void>((resolve) => fullcontact.listen(0, '127.0.0.1', resolve));
    const base_url = `http://127.0.0.1:${(fullcontact.address() as AddressInfo).port}`;
    const work = { events: { amqp_url: AMQP_URL }, hooks: { fullcontact: { api_key: 'gone-at-shutdown', base_url, timeout_ms: 30_000 } } };
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(mongo.uri).port) });
    insole = await startTestInsole({ ...work, shutdown: { drain_ms: 0, grace_ms: GRACE_MS } }, `mongodb://127.0.0.1:${proxy.port}/gone-at-shutdown`, captured.logger);
  });
  after(async () => {
    await insole.stop();
    await proxy.close();
    await mongo.stop();
    fullcontact.closeAllConnections();
    await new Promise((resolve) => fullcontact.close(resolve));
  });

  test('the shutdown still ends within the grace (plus a margin), saying what it left unfinished', async () => {
    const shopper = { email: 'gone.at.shutdown@innovashoes.example', password: 'heel drop 8 millimetres' };
    await signInForTokens(insole.issuer, shopper, 'signup');
    await insole.db.collection('users').updateOne({ email: shopper.email }, { $set: { email_verified: true } });
    await signInForTokens(insole.issuer, shopper); // queues the FullContact look-up of the (now verified) address
    await until(async () => asked.length > 0, 'the hook attempt to be calling FullContact');
    proxy.hold();
    // Two missed heartbeats: by then the worker (one attempt in flight of its 8) has sent its next
    // claim, polling every 500 ms, and the claim waits for an answer that never comes.
    await until(async () => (await fetch(`${insole.issuer}/health/ready`)).status === 503, 'readiness reports the outage', 10_000);

    const started = performance.now();
    await insole.stop();
    const took = performance.now() - started;
    assert.ok(took < GRACE_MS + 4_000, `stopped after ${Math.round(took)} ms; the bound is grace_ms (${GRACE_MS}), 1 s for the last writes and a margin`);
    assert.ok(captured.lines.some((line) => line.includes('shutdown grace is over')), 'the log says the shutdown cut its last work short');
    assert.ok(asked[0]!.destroyed, 'the FullContact call was interrupted at the grace, not left running');
  });
});

describe('what counts as the database being away', () => {
  test('driver network errors, and the EPIPE the driver lets through unwrapped; not the same code from elsewhere', async () => {
    const { isDatabaseUnavailableError } = await import('../src/db/connect.ts');
    // As logged by an instance whose database stopped mid-request (the fault suite, CI run of 2026-12-03).
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), {
      code: 'EPIPE',
      stack: 'Error: This socket has been ended by the other party\n    at Socket.writeAfterFIN [as write] (node:net:795:14)\n'
        + '    at Connection.writeCommand (/srv/insole/node_modules/mongodb/lib/cmap/connection.js:408:29)',
    });
    assert.equal(isDatabaseUnavailableError(epipe), true);
    assert.equal(isDatabaseUnavailableError(Object.assign(new Error('x'), { name: 'MongoNetworkError' })), true);
    assert.equal(isDatabaseUnavailableError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', stack: 'Error: write EPIPE\n    at afterWriteDispatched (node:internal/stream_base_commons:161:15)' })), false);
    assert.equal(isDatabaseUnavailableError(new Error('E11000 duplicate key')), false);
    assert.equal(isDatabaseUnavailableError(null), false);
    // A bulk write wraps the driver's error; one refused for its documents carries their write errors instead.
    const wrapped = (cause: unknown) => Object.assign(new Error('connection 6 to 127.0.0.1:40969 closed'), { name: 'MongoBulkWriteError', errorResponse: cause });
    assert.equal(isDatabaseUnavailableError(wrapped(Object.assign(new Error('closed'), { name: 'MongoNetworkError' }))), true);
    assert.equal(isDatabaseUnavailableError(wrapped({ message: 'E11000 duplicate key', code: 11000 })), false);
  });
});
