import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { judgeFailure, planRateLimitWait, planRetry, rateLimitPauseMs, type RetryPolicy } from '../src/hooks/jobs/job-outcome.ts';
import { ApiError } from '../src/integrations/json-api.ts';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { startFakeXApi, type FakeXApi } from './fakes/fake-x-api.ts';
import { startFakeSentiment } from './fakes/fake-sentiment.ts';
import { hookSettings, jobsFor, jobsOf, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { captureLogs } from './support/log-capture.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { signUpVerified } from './support/verified-signup.ts';

/**
 * A rate limit (HTTP 429) is the API pacing us: the job waits for it without using up its attempts,
 * however long the API keeps saying "later", and the hook pauses meanwhile.
 */

const HOUR = 3_600_000;
const TOKEN = 'scraper-token-rate-limits-0001';
const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
const t0 = new Date('2026-12-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('the retry policy for rate limits', () => {
  test('a 429 is judged a rate limit, with its Retry-After; a 503 stays a failure', () => {
    const status = (s: number, retry?: number) => new ApiError('X API', 'status', `HTTP ${s}`, { status: s, retryAfterMs: retry });
    assert.deepEqual(judgeFailure(status(429, 900_000)), { verdict: 'rate_limited', retryAfterMs: 900_000 });
    assert.deepEqual(judgeFailure(status(429)), { verdict: 'rate_limited', retryAfterMs: undefined });
    assert.deepEqual(judgeFailure(status(503, 5_000)), { verdict: 'retry', retryAfterMs: 5_000 });
  });

  test('a rate limit at the last attempt does not kill the job, and the first one is remembered', () => {
    assert.deepEqual(planRateLimitWait({ attempts: 3 }, 900_000, policy, t0, () => 0.5), { since: t0, retryInMs: 900_000 });
    assert.deepEqual(planRetry({ attempts: 3 }, {}, policy, () => 0.5), { outcome: 'dead', reason: 'attempt 3 of 3' }, 'a failure still does');
  });

  test('a job rate-limited for a month, hundreds of times, waits for the Retry-After again: age does not kill it', () => {
    const job = { attempts: 1, rate_limited: 500, rate_limited_since: t0 };
    assert.deepEqual(planRateLimitWait(job, 60_000, policy, later(30 * 24 * HOUR), () => 0), { since: t0, retryInMs: 60_000 });
  });

  test('a rate limit without Retry-After backs off on the number of rate limits met, not on the attempts', () => {
    const wait = (rate_limited: number) => planRateLimitWait({ attempts: 1, rate_limited, rate_limited_since: t0 }, undefined, policy, t0, () => 0.999).retryInMs;
    assert.deepEqual([wait(0), wait(1), wait(2), wait(9)], [99, 199, 399, 999]);
  });

  test("without Retry-After the hook's pause doubles with each rate limit in a row, up to max_delay_ms, with no jitter to make it short", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 40].map((n) => rateLimitPauseMs(n, policy)), [100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe('hooks that meet rate limits', () => {
  let fullcontact: FakeFullContact;
  let x: FakeXApi;
  before(async () => { [fullcontact, x] = await Promise.all([startFakeFullContact(), startFakeXApi()]); });
  after(async () => { await Promise.all([fullcontact.close(), x.close()]); });
  beforeEach(() => { fullcontact.reset(); x.reset(); });

  /** A shopper FullContact knows, with an X handle: enrichment, then sentiment from X. */
  async function shopperWithHandle(insole: TestInsole, tag: string) {
    const shopper = newShopper(tag);
    const handle = `${tag}${process.pid % 1000}`.slice(0, 15);
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, twitter: handle }));
    x.tweet(handle, 'These @InnovaShoes are great');
    await signUpVerified(insole, shopper);
    return (await userByEmail(insole, shopper.email))!;
  }

  test('429s, more of them than max_attempts, delay the jobs and do not kill them; Retry-After and x-rate-limit-reset are honoured', async () => {
    const insole = await startTestInsole({ ...hookSettings({ fullcontact, x }, { worker: { max_attempts: 2 } }), metrics_token: TOKEN }, testDatabaseUri());
    try {
      fullcontact.script({ status: 429, body: { status: 429, message: 'Too many requests' }, headers: { 'retry-after': '1' } });
      const xReset = () => ({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000)) });
      x.script(...Array.from({ length: 5 }, () => ({ status: 429, body: { title: 'Too Many Requests', status: 429 }, headers: xReset() })));
      const user = await shopperWithHandle(insole, 'paced');

      const [enrichment] = await settled(insole, user.user_id, 'fullcontact');
      assert.deepEqual([enrichment!.state, enrichment!.attempts, enrichment!.rate_limited], ['done', 1, 1]);
      const [first, second] = fullcontact.enrichCalls();
      assert.ok(second!.at - first!.at >= 1_000, `asked again ${second!.at - first!.at} ms later, not before Retry-After: 1`);

      const [sentiment] = await settled(insole, user.user_id, 'sentiment');
      assert.deepEqual([sentiment!.state, sentiment!.attempts, sentiment!.rate_limited], ['done', 1, 5], 'five 429s with max_attempts 2, and done');
      assert.equal(x.searchCalls().length, 6);
      assert.equal((await userByEmail(insole, user.email!))!.app_metadata.sentiment.label, 'positive');
      await until('the attempts to be counted', () => insole.hooks.metrics().sentiment!.succeeded === 1);
      const counters = insole.hooks.metrics().sentiment!;
      assert.deepEqual([counters.attempts, counters.rate_limited, counters.retried, counters.dead], [6, 5, 0, 0]);
      const scraped = await (await fetch(`${insole.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      assert.match(scraped, /^insole_hook_rate_limited_total\{hook="sentiment"\} 5$/m);
      assert.match(scraped, /^insole_hook_retried_total\{hook="sentiment"\} 0$/m);
    } finally {
      await insole.stop();
    }
  });

  test("after a 429 with Retry-After, no job of that hook calls the API before it, not only the rate-limited one", async () => {
    const insole = await startTestInsole(hookSettings({ fullcontact, x }), testDatabaseUri());
    try {
      x.script({ status: 429, headers: { 'retry-after': '3' } });
      const first = await shopperWithHandle(insole, 'paused');
      await until('X to turn the first shopper away', () => x.searchCalls()[0]?.answered);
      const second = await shopperWithHandle(insole, 'waiting'); // its sentiment job is due at once
      const jobs = await Promise.all([first, second].map(async (u) => (await settled(insole, u.user_id, 'sentiment'))[0]!));
      assert.deepEqual(jobs.map((j) => [j.state, j.rate_limited]), [['done', 1], ['done', undefined]], 'the second job was never turned away');
      const [limited, ...after] = x.searchCalls();
      assert.equal(after.length, 2);
      for (const call of after) assert.ok(call.at - limited!.at >= 3_000, `an X call ${call.at - limited!.at} ms after the 429, before its Retry-After: 3`);
    } finally {
      await insole.stop();
    }
  });

  test('a job the API has been turning away for two days still waits its turn, and is done once the API answers', async () => {
    const sentiment = await startFakeSentiment();
    const logs = captureLogs('info');
    // As a config file written for the old bound would still set it: ignored, with a warning.
    const insole = await startTestInsole(hookSettings({ fullcontact, sentiment }, { worker: { max_rate_limited_ms: 300 } }), testDatabaseUri(), logs.logger);
    try {
      const tooMany = { status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '1' } };
      sentiment.script(tooMany);
      const shopper = newShopper('backlog');
      fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, twitter: `backlog${process.pid % 1000}` }));
      await signUpVerified(insole, shopper);
      const user = (await userByEmail(insole, shopper.email))!;
      const deferred = await until('the sentiment service to turn the job away', async () => (await jobsFor(insole, user.user_id, 'sentiment')).find((j) => j.rate_limited === 1));
      // A backlog larger than a day of the API's quota: this job met its first 429 two days ago.
      const twoDaysAgo = new Date(Date.now() - 48 * HOUR);
      await jobsOf(insole).updateOne({ _id: deferred._id, state: 'pending' }, { $set: { rate_limited_since: twoDaysAgo } });
      sentiment.script(tooMany, tooMany);

      const [job] = await settled(insole, user.user_id, 'sentiment');
      assert.deepEqual([job!.state, job!.attempts, job!.rate_limited], ['done', 1, 3], `${job!.state}: ${job!.last_error}`);
      assert.equal(job!.rate_limited_since.getTime(), twoDaysAgo.getTime(), 'kept for the operator: rate-limited since then');
      const calls = sentiment.callsTo('/sentiment');
      assert.equal(calls.length, 4, 'three 429s and the answer: one call per Retry-After');
      for (let i = 1; i < calls.length; i++) assert.ok(calls[i]!.at - calls[i - 1]!.at >= 1_000, `call ${i} came ${calls[i]!.at - calls[i - 1]!.at} ms after a Retry-After: 1`);
      assert.equal((await userByEmail(insole, shopper.email))!.app_metadata.sentiment_initialized, true);
      const warnings = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40 && /max_rate_limited_ms is obsolete and ignored/.test(l.msg));
      assert.equal(warnings.length, 1);
    } finally {
      await insole.stop();
      await sentiment.close();
    }
  });

  test('429s without Retry-After pause the hook on a growing backoff: a backlog does not hammer the API, and a turned-away job goes behind the jobs already due', async () => {
    const worker = { concurrency: 1, base_delay_ms: 200, max_delay_ms: 800 };
    const insole = await startTestInsole(hookSettings({ fullcontact }, { worker }), testDatabaseUri());
    try {
      const shoppers = [newShopper('first'), newShopper('second'), newShopper('third')];
      const held = fullcontact.holdNext();
      await signUpVerified(insole, shoppers[0]!);
      await held.arrived;
      // The first lookup is in flight (concurrency 1): the other two jobs are due and wait.
      for (const shopper of shoppers.slice(1)) await signUpVerified(insole, shopper);
      fullcontact.script(...Array.from({ length: 4 }, () => ({ status: 429, body: { status: 429, message: 'Too many requests' } })));
      held.release();

      const users = await Promise.all(shoppers.map(async (s) => (await userByEmail(insole, s.email))!));
      const jobs = await Promise.all(users.map(async (u) => (await settled(insole, u.user_id, 'fullcontact'))[0]!));
      assert.deepEqual(jobs.map((j) => [j.state, j.attempts]), [['done', 1], ['done', 1], ['done', 1]]);
      assert.equal(jobs.reduce((n, j) => n + (j.rate_limited ?? 0), 0), 4);
      const calls = fullcontact.enrichCalls();
      assert.equal(calls.length, 7, 'four 429s, then one lookup per shopper');
      const asked = calls.map((c) => shoppers.findIndex((s) => s.email === (c.body as { email: string }).email));
      assert.deepEqual(asked.slice(0, 3), [0, 1, 2], 'the first job, turned away, went behind the two jobs already due');
      for (let i = 0; i < 4; i++) {
        const pause = Math.min(800, 200 * 2 ** i);
        assert.ok(calls[i + 1]!.at - calls[i]!.at >= pause, `call ${i + 1} came ${calls[i + 1]!.at - calls[i]!.at} ms after the 429 number ${i + 1}, within the hook's pause (${pause} ms)`);
      }
    } finally {
      await insole.stop();
    }
  });
});
