import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load-config.ts';
import { judgeFailure, planRetry, type RetryPolicy } from '../src/hooks/jobs/job-outcome.ts';
import { ApiError } from '../src/integrations/json-api.ts';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { startFakeXApi, type FakeXApi } from './fakes/fake-x-api.ts';
import { hookSettings, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';

/** A rate limit (HTTP 429) is the API pacing us: the job waits for it without using up its attempts, for a bounded time. */

const HOUR = 3_600_000;
const TOKEN = 'scraper-token-rate-limits-0001';
const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRateLimitedMs: 24 * HOUR };
const rateLimited = (retryAfterMs?: number) => ({ verdict: 'rate_limited' as const, retryAfterMs });
const t0 = new Date('2026-12-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('the retry policy for rate limits', () => {
  test('a 429 is judged a rate limit, with its Retry-After; a 503 stays a failure', () => {
    const status = (s: number, retry?: number) => new ApiError('X API', 'status', `HTTP ${s}`, { status: s, retryAfterMs: retry });
    assert.deepEqual(judgeFailure(status(429, 900_000)), { verdict: 'rate_limited', retryAfterMs: 900_000 });
    assert.deepEqual(judgeFailure(status(429)), { verdict: 'rate_limited', retryAfterMs: undefined });
    assert.deepEqual(judgeFailure(status(503, 5_000)), { verdict: 'retry', retryAfterMs: 5_000 });
  });

  test('a rate limit at the last attempt does not kill the job, and the first one starts its clock', () => {
    const plan = planRetry({ attempts: 3 }, rateLimited(900_000), policy, t0, () => 0.5);
    assert.deepEqual(plan, { outcome: 'rate_limited', since: t0, retryInMs: 900_000 });
    assert.deepEqual(planRetry({ attempts: 3 }, { verdict: 'retry' }, policy, t0, () => 0.5), { outcome: 'dead', reason: 'attempt 3 of 3' }, 'a failure still does');
  });

  test("the clock runs from the job's first rate limit, and at max_rate_limited_ms the job is dead", () => {
    const job = { attempts: 1, rate_limited: 95, rate_limited_since: t0 };
    assert.deepEqual(planRetry(job, rateLimited(60_000), policy, later(24 * HOUR - 1), () => 0), { outcome: 'rate_limited', since: t0, retryInMs: 60_000 });
    assert.deepEqual(planRetry(job, rateLimited(60_000), policy, later(24 * HOUR), () => 0),
      { outcome: 'dead', reason: 'rate-limited since 2026-12-01T10:00:00.000Z, 95 times: over max_rate_limited_ms (86400000)' });
  });

  test('a rate limit without Retry-After backs off on the number of rate limits met, not on the attempts', () => {
    const wait = (rate_limited: number) => planRetry({ attempts: 1, rate_limited, rate_limited_since: t0 }, rateLimited(), policy, t0, () => 0.999);
    assert.deepEqual([wait(0), wait(1), wait(2), wait(9)].map((p) => (p.outcome === 'rate_limited' ? p.retryInMs : p.outcome)), [99, 199, 399, 999]);
  });

  test("with the defaults, a job X turns away at every one of its 15-minute windows still gets a whole day", () => {
    const { max_rate_limited_ms, max_attempts, base_delay_ms, max_delay_ms } = loadConfig({ env: {} }).hooks.worker;
    const defaults = { maxAttempts: max_attempts, baseDelayMs: base_delay_ms, maxDelayMs: max_delay_ms, maxRateLimitedMs: max_rate_limited_ms };
    const window = 15 * 60_000;
    let job = { attempts: 1, rate_limited: 0, rate_limited_since: null as Date | null };
    let now = t0;
    for (;;) {
      const plan = planRetry(job, rateLimited(window), defaults, now, () => 0.5);
      if (plan.outcome !== 'rate_limited') break;
      job = { attempts: 1, rate_limited: job.rate_limited + 1, rate_limited_since: plan.since };
      now = new Date(now.getTime() + plan.retryInMs);
    }
    assert.equal(job.rate_limited, 96, 'turned away at 96 windows (24 h) before it is dead, instead of 16 attempts');
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
    await signInForTokens(insole.issuer, shopper, 'signup');
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

  test('a job rate-limited for longer than max_rate_limited_ms is dead, saying so', async () => {
    const insole = await startTestInsole(hookSettings({ fullcontact, x }, { worker: { max_rate_limited_ms: 300 } }), testDatabaseUri());
    try {
      x.script(...Array.from({ length: 200 }, () => ({ status: 429, headers: { 'retry-after': '0' } })));
      const user = await shopperWithHandle(insole, 'throttled');
      const [sentiment] = await settled(insole, user.user_id, 'sentiment');
      assert.equal(sentiment!.state, 'dead');
      assert.match(sentiment!.last_error, /^X API: HTTP 429 \(rate-limited since \S+, \d+ times: over max_rate_limited_ms \(300\)\)$/);
      assert.ok(sentiment!.rate_limited >= 1 && sentiment!.rate_limited === x.searchCalls().length - 1, `${sentiment!.rate_limited} deferrals, ${x.searchCalls().length} calls`);
    } finally {
      await insole.stop();
    }
  });
});
