import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { loadConfig } from '../src/config/load-config.ts';
import { createHookJobModel, type HookJob } from '../src/hooks/jobs/hook-job.model.ts';
import { judgeFailure, retryDelayMs, RetryLater, GiveUp } from '../src/hooks/jobs/job-outcome.ts';
import { createJobQueue, type JobQueue } from '../src/hooks/jobs/job-queue.ts';
import { ApiError, retryAfterMs } from '../src/integrations/json-api.ts';
import { startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { hookSettings, jobsFor, jobsOf, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { signInForTokens } from './support/relying-party.ts';
import { signUpVerified } from './support/verified-signup.ts';

describe('hooks configuration', () => {
  test('credentials come from the environment, and each hook is on when it has them', () => {
    const none = loadConfig({ env: {} });
    assert.deepEqual([none.hooks.fullcontact.enabled, none.hooks.sentiment.enabled], [false, false]);
    const config = loadConfig({ env: { FULLCONTACT_API_KEY: 'fc-key', X_BEARER_TOKEN: 'x-token' } });
    assert.deepEqual([config.hooks.fullcontact.enabled, config.hooks.fullcontact.api_key], [true, 'fc-key']);
    assert.deepEqual([config.hooks.sentiment.enabled, config.hooks.sentiment.mode, config.hooks.sentiment.x_bearer_token], [true, 'builtin', 'x-token']);
    const remote = loadConfig({ env: { SENTIMENT_SECRET: 's3cret' }, overrides: { hooks: { sentiment: { mode: 'remote', remote_url: 'https://sentiment.example/analyze' } } } });
    assert.deepEqual([remote.hooks.sentiment.enabled, remote.hooks.sentiment.secret], [true, 's3cret']);
  });

  test('a hook switched on without its credentials, or a lease shorter than a hook timeout, is refused at start-up', () => {
    assert.throws(() => loadConfig({ env: {}, overrides: { hooks: { fullcontact: { enabled: true } } } }), /hooks\.fullcontact\.api_key: required/);
    assert.throws(() => loadConfig({ env: {}, overrides: { hooks: { sentiment: { enabled: true, mode: 'remote' } } } }), /hooks\.sentiment\.remote_url[\s\S]*hooks\.sentiment\.secret/);
    assert.throws(() => loadConfig({ env: { FULLCONTACT_API_KEY: 'k' }, overrides: { hooks: { worker: { lease_ms: 5_000 } } } }), /hooks\.worker\.lease_ms: must exceed fullcontact\.timeout_ms/);
  });

  test("sentiment credentials of the other mode, or half of remote's, are refused at start-up rather than leaving the hook off", () => {
    const remoteUrl = { remote_url: 'https://sentiment.example/analyze' };
    // The easy slip: the remote service's URL and secret, without mode "remote".
    assert.throws(() => loadConfig({ env: { SENTIMENT_SECRET: 's3cret' }, overrides: { hooks: { sentiment: remoteUrl } } }), /hooks\.sentiment\.mode: is "builtin"[^\n]*set mode "remote"/);
    assert.throws(() => loadConfig({ env: {}, overrides: { hooks: { sentiment: { mode: 'remote', ...remoteUrl } } } }), /hooks\.sentiment\.secret: required in remote mode/);
    assert.throws(() => loadConfig({ env: { SENTIMENT_SECRET: 's3cret' }, overrides: { hooks: { sentiment: { mode: 'remote' } } } }), /hooks\.sentiment\.remote_url: required in remote mode/);
    assert.throws(() => loadConfig({ env: { X_BEARER_TOKEN: 'x-token' }, overrides: { hooks: { sentiment: { mode: 'remote' } } } }), /hooks\.sentiment\.mode: is "remote"[^\n]*set mode "builtin"/);
    // Said outright, the hook is off, whatever credentials are lying around.
    const off = loadConfig({ env: { SENTIMENT_SECRET: 's3cret' }, overrides: { hooks: { sentiment: { enabled: false, ...remoteUrl } } } });
    assert.equal(off.hooks.sentiment.enabled, false);
  });

  test("an API URL of a hook that is not http(s) is refused at start-up, not left to fail every job", () => {
    const env = { FULLCONTACT_API_KEY: 'k', SENTIMENT_SECRET: 's', X_BEARER_TOKEN: 't' };
    assert.throws(() => loadConfig({ env, overrides: { hooks: { fullcontact: { base_url: 'file:///etc/fullcontact' } } } }), /hooks\.fullcontact\.base_url: must be an http:\/\/ or https:\/\/ URL/);
    assert.throws(() => loadConfig({ env, overrides: { hooks: { sentiment: { x_base_url: 'htps://api.x.com' } } } }), /hooks\.sentiment\.x_base_url: must be an http/);
    assert.throws(() => loadConfig({ env, overrides: { hooks: { sentiment: { mode: 'remote', remote_url: 'ftp://sentiment.example/analyze' } } } }), /hooks\.sentiment\.remote_url: must be an http/);
    assert.equal(loadConfig({ env, overrides: { hooks: { fullcontact: { base_url: 'http://127.0.0.1:8080/fullcontact' } } } }).hooks.fullcontact.base_url, 'http://127.0.0.1:8080/fullcontact');
  });

  test('an API URL with a user name or password is refused at start-up, without repeating it (fetch refuses it in every job, password in the error)', () => {
    const env = { FULLCONTACT_API_KEY: 'k', SENTIMENT_SECRET: 's', X_BEARER_TOKEN: 't' };
    const refused = (hooks: Record<string, unknown>, path: string) => assert.throws(() => loadConfig({ env, overrides: { hooks } }),
      (err: Error) => err.message.includes(`hooks.${path}: must not carry a user name or password`) && !err.message.includes('s3cret'));
    refused({ fullcontact: { base_url: 'https://gw:s3cret@gw.example/fullcontact' } }, 'fullcontact.base_url');
    refused({ sentiment: { mode: 'remote', remote_url: 'https://svc:s3cret@sentiment.example/analyze' } }, 'sentiment.remote_url');
    refused({ sentiment: { x_base_url: 'https://:s3cret@api.x.com' } }, 'sentiment.x_base_url');
  });
});

describe('retry policy', () => {
  const policy = { baseMs: 100, maxMs: 500 };

  test('backoff is full jitter: between 0 and base·2^(attempt−1), capped', () => {
    assert.equal(retryDelayMs(1, policy, undefined, () => 0), 0);
    assert.equal(retryDelayMs(1, policy, undefined, () => 0.999), 99);
    assert.equal(retryDelayMs(3, policy, undefined, () => 0.999), 399);
    assert.equal(retryDelayMs(9, policy, undefined, () => 0.999), 499, 'capped at max');
  });

  test('with the default settings a job that keeps failing is retried for hours, long enough to ride out an API outage', () => {
    const { max_attempts, base_delay_ms, max_delay_ms } = loadConfig({ env: {} }).hooks.worker;
    const waits = Array.from({ length: max_attempts - 1 }, (_, i) => retryDelayMs(i + 1, { baseMs: base_delay_ms, maxMs: max_delay_ms }, undefined, () => 0.5));
    const hours = (ms: number) => ms / 3_600_000;
    assert.ok(hours(waits.reduce((a, b) => a + b, 0)) > 1, `on average ${hours(waits.reduce((a, b) => a + b, 0)).toFixed(2)} h of retrying before the job is dead`);
    assert.equal(waits.at(-1), max_delay_ms / 2, 'the backoff reaches its cap, max_delay_ms');
  });

  test('a Retry-After is a minimum, and an absurd one is capped at a day', () => {
    assert.equal(retryDelayMs(1, policy, 2_000, () => 0.5), 2_000);
    assert.equal(retryDelayMs(9, { baseMs: 100, maxMs: 60_000 }, 2_000, () => 0.999), 25_574, 'the backoff when it is longer');
    assert.equal(retryDelayMs(1, policy, 90 * 24 * 3600_000, () => 0), 24 * 3600_000);
  });

  test('Retry-After in seconds or as an HTTP date, and X\'s x-rate-limit-reset', () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '7' }), now), 7_000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 12:00:30 GMT' }), now), 30_000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 11:00:00 GMT' }), now), 0, 'a date in the past: now');
    assert.equal(retryAfterMs(new Headers({ 'x-rate-limit-reset': String(now / 1000 + 42) }), now), 42_000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(retryAfterMs(new Headers(), now), undefined);
  });

  test('timeouts, 408 and 5xx are retried, 429 is a rate limit; 401/403 disable the hook; other 4xx are dead at once', () => {
    const status = (s: number, retry?: number) => new ApiError('FullContact', 'status', `HTTP ${s}`, { status: s, retryAfterMs: retry });
    assert.deepEqual(judgeFailure(status(500)), { verdict: 'retry', retryAfterMs: undefined });
    assert.deepEqual(judgeFailure(status(503, 5_000)), { verdict: 'retry', retryAfterMs: 5_000 });
    assert.deepEqual(judgeFailure(status(429, 1_000)), { verdict: 'rate_limited', retryAfterMs: 1_000 }, 'see rate-limits.test.ts');
    assert.deepEqual(judgeFailure(status(408)), { verdict: 'retry', retryAfterMs: undefined });
    assert.deepEqual(judgeFailure(status(401)), { verdict: 'disable' });
    assert.deepEqual(judgeFailure(status(403)), { verdict: 'disable' });
    assert.deepEqual(judgeFailure(status(400)), { verdict: 'dead' });
    assert.deepEqual(judgeFailure(status(422)), { verdict: 'dead' });
    assert.deepEqual(judgeFailure(new ApiError('X API', 'timeout', 'no answer in time')), { verdict: 'retry' });
    assert.deepEqual(judgeFailure(new ApiError('X API', 'network', 'ECONNREFUSED')), { verdict: 'retry' });
    assert.deepEqual(judgeFailure(new RetryLater('still searching')), { verdict: 'retry', retryAfterMs: undefined });
    assert.deepEqual(judgeFailure(new GiveUp('no handle')), { verdict: 'dead' });
    assert.deepEqual(judgeFailure(new Error('database away')), { verdict: 'retry' });
  });
});

describe('the hook_jobs queue', () => {
  let insole: TestInsole;
  let queue: JobQueue;
  before(async () => {
    const monitored = new URL(testDatabaseUri());
    monitored.searchParams.set('monitorCommands', 'true');
    insole = await startTestInsole({}, monitored.toString());
    queue = createJobQueue(createHookJobModel(insole.connection), { requeueDeadAfterMs: 24 * 3600_000 });
  });
  after(() => insole.stop());

  const someJob = (hook = 'test-hook') => ({ hook, user_id: `auth0|${new Types.ObjectId().toHexString()}`, key: `${hook}:${new Types.ObjectId().toHexString()}` });

  test('a job is queued once per key: enqueueing the same key again is a no-op', async () => {
    const job = someJob();
    assert.equal(await queue.enqueue(job), true);
    assert.equal(await queue.enqueue(job), false);
    assert.equal(await jobsOf(insole).countDocuments({ key: job.key }), 1);
  });

  test("a key already taken (a sign-in while the user's job is pending) costs one command, as a new job does", async () => {
    const job = someJob('taken-hook');
    const commands: string[] = [];
    const count = (event: { commandName: string; command: Record<string, unknown> }) => {
      if (event.command[event.commandName] === 'hook_jobs' && JSON.stringify(event.command).includes(job.key)) commands.push(event.commandName);
    };
    insole.connection.getClient().on('commandStarted', count);
    try {
      assert.equal(await queue.enqueue(job), true);
      assert.equal(commands.length, 1, `a new job: ${commands.join(', ')}`);
      assert.equal(await queue.enqueue(job), false);
      assert.equal(commands.length, 2, `the key taken: ${commands.slice(1).join(', ')}`);
    } finally {
      insole.connection.getClient().off('commandStarted', count);
    }
    assert.equal(await jobsOf(insole).countDocuments({ key: job.key }), 1);
  });

  test('twenty workers claiming at once: exactly one gets the job', async () => {
    const job = someJob('race-hook');
    await queue.enqueue(job);
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.claim(`worker-${i}`, ['race-hook'], 60_000)));
    const winners = claims.filter((c): c is HookJob => c !== null);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]!.attempts, 1);
    assert.equal(winners[0]!.state, 'running');
  });

  test('a live lease is respected; an expired one is reclaimed, and the old worker can no longer record an outcome', async () => {
    const job = someJob('lease-hook');
    const t0 = new Date();
    await queue.enqueue(job, t0);
    const first = (await queue.claim('worker-a', ['lease-hook'], 10_000, t0))!;
    assert.equal(await queue.claim('worker-b', ['lease-hook'], 10_000, new Date(t0.getTime() + 5_000)), null, 'still leased');
    const second = (await queue.claim('worker-b', ['lease-hook'], 10_000, new Date(t0.getTime() + 10_001)))!;
    assert.equal(second.worker, 'worker-b');
    assert.equal(second.attempts, 2);
    assert.equal(await queue.complete(first, { by: 'a' }), false, 'fenced: worker-a lost its lease');
    assert.equal(await queue.complete(second, { by: 'b' }), true);
    const stored = await jobsOf(insole).findOne({ key: job.key });
    assert.deepEqual([stored!.state, stored!.result], ['done', { by: 'b' }]);
  });

  test('a claim that returns after its lease would have run out (the driver held it while the database was away) renews the lease', async () => {
    const job = someJob('late-claim-hook');
    await queue.enqueue(job, new Date(Date.now() - 10_000));
    const sent = new Date(Date.now() - 4_000); // as if the command had waited 4 s of a 5 s lease
    const late = (await queue.claim('worker-a', ['late-claim-hook'], 5_000, sent))!;
    assert.ok(late.lease_until!.getTime() >= Date.now() + 4_000, `lease renewed from the present: ${late.lease_until!.toISOString()}`);
    assert.equal(await queue.claim('worker-b', ['late-claim-hook'], 5_000, new Date(Date.now() + 1_500)), null, 'nobody else runs it meanwhile');
    assert.equal(await queue.complete(late, { by: 'a' }), true);
  });

  test('a released job (shutdown) does not count the interrupted attempt and is due at once', async () => {
    const job = someJob('release-hook');
    await queue.enqueue(job);
    const claimed = (await queue.claim('worker-a', ['release-hook'], 60_000))!;
    assert.equal(await queue.release(claimed), true);
    const again = (await queue.claim('worker-b', ['release-hook'], 60_000))!;
    assert.equal(again.key, job.key);
    assert.equal(again.attempts, 1);
  });

  test('only the named hooks are claimed', async () => {
    await queue.enqueue(someJob('other-hook'));
    assert.equal(await queue.claim('worker-a', ['nobody'], 60_000), null);
  });
});

describe('the hook worker', () => {
  let fullcontact: FakeFullContact;
  before(async () => { fullcontact = await startFakeFullContact(); });
  after(() => fullcontact.close());

  test("a crashed worker's job is reclaimed once its lease has expired, and done once", async () => {
    const databaseUri = testDatabaseUri();
    // The shopper signs up while no hook is configured; then the job a crashed instance left behind is planted.
    const plain = await startTestInsole({}, databaseUri);
    const shopper = newShopper('crashed');
    fullcontact.know(shopper.email);
    await signUpVerified(plain, shopper);
    const user = (await userByEmail(plain, shopper.email))!;
    const now = new Date();
    await jobsOf(plain).insertOne({
      hook: 'fullcontact', user_id: user.user_id, key: `fullcontact:${user.user_id}:never`, state: 'running', attempts: 1,
      worker: 'crashed-host:4242:deadbeef', lease_until: new Date(now.getTime() - 1), run_after: now, created_at: now, updated_at: now,
    });
    await plain.stop();

    const insole = await startTestInsole(hookSettings({ fullcontact }), databaseUri);
    try {
      const [job] = await settled(insole, user.user_id, 'fullcontact');
      assert.equal(job!.state, 'done');
      assert.equal(job!.attempts, 2);
      assert.notEqual(job!.worker, 'crashed-host:4242:deadbeef');
      assert.equal(fullcontact.enrichCalls().filter((c) => (c.body as { email: string }).email === shopper.email).length, 1);
    } finally {
      await insole.stop();
    }
  });

  test('a job that keeps failing is dead after max_attempts, with the last error', async () => {
    const logs = captureLogs('info');
    const insole = await startTestInsole(hookSettings({ fullcontact }, { worker: { max_attempts: 3 } }), testDatabaseUri(), logs.logger);
    try {
      const shopper = newShopper('doomed');
      fullcontact.know(shopper.email);
      fullcontact.script({ status: 500 }, { status: 502 }, { status: 503 });
      await signUpVerified(insole, shopper);
      const user = (await userByEmail(insole, shopper.email))!;
      const [job] = await settled(insole, user.user_id, 'fullcontact');
      assert.equal(job!.state, 'dead');
      assert.equal(job!.attempts, 3);
      assert.equal(job!.last_error, 'FullContact: HTTP 503 (attempt 3 of 3)');
      // Counters and the log line follow the job's database write: wait for them rather than race them.
      await until('the last attempt to be counted', () => insole.hooks.metrics().fullcontact!.dead === 1);
      const { fullcontact: counters } = insole.hooks.metrics();
      assert.deepEqual({ attempts: counters!.attempts, retried: counters!.retried, dead: counters!.dead, succeeded: counters!.succeeded }, { attempts: 3, retried: 2, dead: 1, succeeded: 0 });
      const outcomes = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'hook attempt').map((l) => `${l.attempt}:${l.outcome}`);
      assert.deepEqual(outcomes, ['1:retry', '2:retry', '3:dead']);
      // Dead stays dead for requeue_dead_after_ms (24 h): signing in again at once queues nothing (dead-jobs.test.ts: after it).
      await signInForTokens(insole.issuer, shopper);
      assert.equal((await jobsFor(insole, user.user_id, 'fullcontact')).length, 1);
    } finally {
      await insole.stop();
    }
  });

  test('stopping releases the lease of an attempt still in flight, for another instance to take at once', async () => {
    const databaseUri = testDatabaseUri();
    const insole = await startTestInsole(hookSettings({ fullcontact }), databaseUri);
    const shopper = newShopper('interrupted');
    fullcontact.know(shopper.email);
    const hold = fullcontact.holdNext();
    await signUpVerified(insole, shopper);
    await hold.arrived;
    const user = (await userByEmail(insole, shopper.email))!;
    await insole.stop(100); // FullContact still holds its answer when the grace runs out
    hold.release();
    assert.equal(insole.hooks.metrics().fullcontact!.released, 1);

    const next = await startTestInsole({}, databaseUri); // no hooks: only to read the database
    try {
      const [job] = await jobsFor(next, user.user_id, 'fullcontact');
      assert.deepEqual([job!.state, job!.attempts, job!.worker, job!.lease_until], ['pending', 0, null, null]);
      assert.ok(job!.run_after <= new Date(), 'due at once');
    } finally {
      await next.stop();
    }
  });

  test('two insole instances on one database: every job is done exactly once', async () => {
    const databaseUri = testDatabaseUri();
    const settings = hookSettings({ fullcontact });
    const [a, b] = [await startTestInsole(settings, databaseUri), await startTestInsole(settings, databaseUri)];
    try {
      fullcontact.delayMs = 50;
      const shoppers = Array.from({ length: 10 }, (_, i) => newShopper(`pair${i}`));
      for (const s of shoppers) fullcontact.know(s.email);
      // Sign-ups alternate between the instances, then everybody signs in again on the other one.
      await Promise.all(shoppers.map((s, i) => signUpVerified(i % 2 ? a : b, s)));
      await Promise.all(shoppers.map((s, i) => signInForTokens((i % 2 ? b : a).issuer, s)));
      await until('every job to be done', async () => (await jobsOf(a).countDocuments({ state: 'done' })) === shoppers.length);

      const jobs = await jobsOf(a).find().toArray();
      assert.equal(jobs.length, shoppers.length);
      assert.deepEqual(jobs.map((j) => [j.state, j.attempts]), shoppers.map(() => ['done', 1]), 'each done at its first attempt');
      for (const s of shoppers) {
        assert.equal(fullcontact.enrichCalls().filter((c) => (c.body as { email: string }).email === s.email).length, 1, `${s.email} enriched once`);
      }
      const attempts = [a, b].map((i) => i.hooks.metrics().fullcontact!.attempts);
      assert.equal(attempts[0]! + attempts[1]!, shoppers.length, `attempts per instance: ${attempts.join(' + ')}`);
    } finally {
      fullcontact.delayMs = 0;
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
