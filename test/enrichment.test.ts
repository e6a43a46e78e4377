import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { hookSettings, jobsFor, jobsOf, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, signInForTokens } from './support/relying-party.ts';
import { confirmEmail, signUpVerified } from './support/verified-signup.ts';

/**
 * FullContact enrichment as a durable hook: the sign-in only queues a job; the worker calls the
 * (fake) Person Enrich API afterwards, retries what is worth retrying, and writes the profile once.
 * Only a verified address is looked up (enrichment-verified-email.test.ts): the shoppers here confirm
 * the link mailed at their sign-up, which queues the job as a sign-in would.
 */

const enrichedUser = (insole: TestInsole, email: string) =>
  until(`${email} to be enriched`, async () => {
    const user = await userByEmail(insole, email);
    return user?.app_metadata?.fullcontact?.status === 'matched' && user;
  });

/** The worker's "hook attempt" log lines for one job, in order. */
function attemptLines(lines: string[], jobId: string) {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'hook attempt' && l.job_id === jobId);
}

describe('FullContact enrichment after sign-in', () => {
  let fullcontact: FakeFullContact;
  let insole: TestInsole;
  const logs = captureLogs('info');

  before(async () => {
    fullcontact = await startFakeFullContact();
    insole = await startTestInsole(hookSettings({ fullcontact }, { fullcontact: { timeout_ms: 1_000 } }), testDatabaseUri(), logs.logger);
  });
  after(async () => {
    await fullcontact.close();
    await insole.stop();
  });
  beforeEach(() => fullcontact.reset());

  test('while FullContact holds its answer the sign-in completes, and the profile is enriched afterwards', async () => {
    const shopper = newShopper('held');
    const person = fullContactPerson({ email: shopper.email, twitter: 'samtrails' });
    fullcontact.know(shopper.email, person);
    const hold = fullcontact.holdNext();
    await signInForTokens(insole.issuer, shopper, 'signup');
    await confirmEmail(insole, shopper.email); // the verified address is queued; the page does not wait for FullContact
    const call = await hold.arrived; // FullContact now has the request open…

    // …and the storefront's sign-in, in its two halves (the hosted form, where post-login runs, then the code exchange), finishes all the same.
    const rp = await discoverStorefront(insole.issuer);
    const request = await buildAuthorization(rp);
    const { callback } = await completeAuthorization(insole.issuer, request, shopper);
    const tokens = await exchangeCode(rp, callback, request);
    assert.equal(call.answered, false, 'the sign-in completed while FullContact still held its answer');
    assert.equal(tokens.claims()?.email, shopper.email);
    assert.equal((await userByEmail(insole, shopper.email))?.user_metadata?.fullcontact, undefined, 'not enriched before FullContact answered');
    assert.equal(call.headers.authorization, `Bearer ${fullcontact.apiKey}`);
    assert.deepEqual(call.body, { email: shopper.email });

    hold.release();
    const user = await enrichedUser(insole, shopper.email);
    assert.deepEqual(user.user_metadata.fullcontact, person, 'the full answer, as Auth0\'s rule template stores it');
    assert.deepEqual(user.user_metadata.fullcontact_profile, {
      age_range: '30-39', age_min: 30, age_max: 39, age: 34, gender: 'male',
      location: { city: 'Boulder', region: 'Colorado', country: 'United States', formatted: 'Boulder, Colorado, United States' },
      twitter: 'samtrails',
      social_profiles: [
        { service: 'twitter', username: 'samtrails', url: 'https://twitter.com/samtrails' },
        { service: 'linkedin', username: 'samtrails', url: 'https://www.linkedin.com/in/samtrails' },
      ],
      interests: [{ name: 'Running', affinity: 'HIGH', category: 'Fitness' }, { name: 'Coffee', affinity: 'MEDIUM', category: 'Food & Drink' }],
      topics: ['running', 'fitness', 'coffee', 'food & drink'],
    });
    assert.ok(user.app_metadata.fullcontact.checked_at instanceof Date, 'a real BSON date');
    assert.equal(fullcontact.enrichCalls().length, 1, 'the sign-in queued nothing more: the job was under way');
  });

  test('FullContact failing three times (500, 503, a timeout) and then answering: enriched exactly once, one log line per attempt', async () => {
    const shopper = newShopper('flaky');
    fullcontact.know(shopper.email);
    fullcontact.script({ status: 500, body: { status: 500, message: 'Internal error' } }, { status: 503 }, { status: 200, body: {}, delayMs: 1_500 });
    await signUpVerified(insole, shopper);
    const user = await enrichedUser(insole, shopper.email);

    const [job, ...others] = await settled(insole, user.user_id, 'fullcontact');
    assert.equal(others.length, 0, 'one job');
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 4);
    assert.deepEqual(job.result, { match: true, twitter: false });
    assert.equal(fullcontact.enrichCalls().length, 4);
    // The attempt's log line follows its database write: wait for it rather than race it.
    await until('the fourth attempt to be logged', () => attemptLines(logs.lines, String(job._id)).length === 4);
    assert.deepEqual(attemptLines(logs.lines, String(job._id)).map((l) => [l.attempt, l.outcome]), [[1, 'retry'], [2, 'retry'], [3, 'retry'], [4, 'done']]);
    assert.match(String(attemptLines(logs.lines, String(job._id))[2]!.error), /fullcontact: no outcome within its 1000 ms budget/);

    // Signing in again does not ask FullContact again: the profile was enriched.
    await signInForTokens(insole.issuer, shopper);
    assert.equal((await jobsFor(insole, user.user_id, 'fullcontact')).length, 1);
    assert.equal(fullcontact.enrichCalls().length, 4);
  });

  test('429 with Retry-After: the retry waits at least as long as FullContact asked', async () => {
    const shopper = newShopper('limited');
    fullcontact.know(shopper.email);
    fullcontact.script({ status: 429, headers: { 'retry-after': '1' }, body: { status: 429, message: 'Rate limit exceeded' } });
    await signUpVerified(insole, shopper);
    const user = await enrichedUser(insole, shopper.email);

    const [first, second] = fullcontact.enrichCalls();
    assert.ok(second, 'asked again after the 429');
    assert.ok(second.at - first!.at >= 1_000, `the retry came ${second.at - first!.at} ms after the 429 (Retry-After: 1 s; backoff alone would be ≤ 50 ms)`);
    const [job] = await jobsFor(insole, user.user_id, 'fullcontact');
    assert.deepEqual([job!.attempts, job!.rate_limited], [1, 1], 'a rate limit is no failed attempt (rate-limits.test.ts)');
  });

  test('404 is recorded as "no match" and not asked again', async () => {
    const shopper = newShopper('unknown');
    await signUpVerified(insole, shopper);
    const user = await until('no match recorded', async () => {
      const u = await userByEmail(insole, shopper.email);
      return u?.app_metadata?.fullcontact?.status === 'no_match' && u;
    });
    const [job] = await settled(insole, user.user_id, 'fullcontact');
    assert.equal(job!.state, 'done');
    assert.equal(job!.attempts, 1);
    assert.deepEqual(job!.result, { match: false });
    assert.equal(user.user_metadata.fullcontact, undefined);
    await signInForTokens(insole.issuer, shopper);
    assert.equal(fullcontact.enrichCalls().length, 1);
  });

  test('202 (FullContact still searching) is asked again later', async () => {
    const shopper = newShopper('queued');
    fullcontact.know(shopper.email);
    fullcontact.script({ status: 202, body: { status: 202, message: 'Queued for search. Please retry your query later.' } });
    await signUpVerified(insole, shopper);
    const user = await enrichedUser(insole, shopper.email);
    const [job] = await jobsFor(insole, user.user_id, 'fullcontact');
    assert.equal(job!.attempts, 2);
    assert.equal(fullcontact.enrichCalls().length, 2);
  });

  test('an enriched profile is not enriched again until refresh_after_days have passed', async () => {
    const shopper = newShopper('refresh');
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, city: 'Boulder' }));
    await signUpVerified(insole, shopper);
    const user = await enrichedUser(insole, shopper.email);
    await signInForTokens(insole.issuer, shopper);
    assert.equal((await jobsFor(insole, user.user_id, 'fullcontact')).length, 1, 'fresh: no new job');

    // 91 days later (default refresh: 90 days) the shopper has moved.
    const longAgo = new Date(Date.now() - 91 * 24 * 3600_000);
    await insole.db.collection('users').updateOne({ user_id: user.user_id }, { $set: { 'app_metadata.fullcontact.checked_at': longAgo } });
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, city: 'Denver' }));
    await signInForTokens(insole.issuer, shopper);
    const refreshed = await until('the profile to be refreshed', async () => {
      const u = await userByEmail(insole, shopper.email);
      return u?.user_metadata?.fullcontact_profile?.location?.city === 'Denver' && u;
    });
    assert.ok(refreshed.app_metadata.fullcontact.checked_at > longAgo);
    const jobs = await settled(insole, user.user_id, 'fullcontact');
    // fullcontact:<user_id>:<the address's tag>:<the last look-up, or never>
    const [first, second] = jobs.map((j) => /^fullcontact:(.+):([0-9a-f]{16}):(.+)$/.exec(j.key)?.slice(1));
    assert.deepEqual([first, second], [[user.user_id, first![1], 'never'], [user.user_id, first![1], longAgo.toISOString()]]);
    assert.equal(fullcontact.enrichCalls().length, 2);
  });
});

describe('FullContact refusing the API key (401)', () => {
  let fullcontact: FakeFullContact;
  const databaseUri = testDatabaseUri();
  before(async () => { fullcontact = await startFakeFullContact('the-real-key'); });
  after(() => fullcontact.close());

  test('the hook disables itself, says so in logs and metrics, and its jobs wait for a working key', async () => {
    const logs = captureLogs('info');
    const wrongKey = await startTestInsole(hookSettings({ fullcontact }, { fullcontact: { api_key: 'a-revoked-key' } }), databaseUri, logs.logger);
    let first;
    try {
      first = newShopper('refused');
      fullcontact.know(first.email);
      await signUpVerified(wrongKey, first);
      const user = await userByEmail(wrongKey, first.email);
      const [job] = await until('the job to be parked', async () => {
        const jobs = await jobsFor(wrongKey, user!.user_id, 'fullcontact');
        return jobs[0]?.state === 'disabled' && jobs;
      });
      assert.match(job!.last_error, /FullContact: HTTP 401/);
      await until('the parked attempt to be counted', () => wrongKey.hooks.metrics().fullcontact!.parked === 1);
      const status = wrongKey.hooks.metrics().fullcontact!;
      assert.equal(status.enabled, false);
      assert.equal(status.disabled, 1);
      assert.equal(status.parked, 1);
      assert.match(status.disabled_reason!, /HTTP 401/);
      const disabledLine = logs.lines.map((l) => JSON.parse(l)).find((l) => /^hook disabled: fullcontact/.test(l.msg));
      assert.ok(disabledLine, 'an error line says the hook disabled itself');
      assert.equal(disabledLine.level, 50);

      // While disabled, sign-ins queue nothing and FullContact hears nothing more.
      const second = newShopper('refused-too');
      fullcontact.know(second.email);
      await signUpVerified(wrongKey, second);
      const secondUser = await userByEmail(wrongKey, second.email);
      assert.equal((await jobsFor(wrongKey, secondUser!.user_id, 'fullcontact')).length, 0);
      assert.equal(fullcontact.enrichCalls().length, 1);
    } finally {
      await wrongKey.stop();
    }

    // Restarted with the right key: the parked job is queued again and done.
    const fixed = await startTestInsole(hookSettings({ fullcontact }, { fullcontact: { api_key: 'the-real-key' } }), databaseUri);
    try {
      await enrichedUser(fixed, first.email);
      assert.equal(fixed.hooks.metrics().fullcontact!.enabled, true);
    } finally {
      await fixed.stop();
    }
  });
});

describe('FullContact unreachable (nothing listens at base_url)', () => {
  test("the sign-in completes, and the job's last error and attempt log say why, not just \"fetch failed\"", async () => {
    const fullcontact = await startFakeFullContact(); // for its settings: the calls go to a port nothing listens on
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const logs = captureLogs('info');
    const insole = await startTestInsole(hookSettings({ fullcontact }, { fullcontact: { base_url: `http://127.0.0.1:${closedPort}` } }), testDatabaseUri(), logs.logger);
    try {
      const shopper = newShopper('unreachable');
      await signUpVerified(insole, shopper);
      const user = await userByEmail(insole, shopper.email);
      const [job] = await until('an attempt to fail', async () => {
        const jobs = await jobsFor(insole, user!.user_id, 'fullcontact');
        return jobs[0]?.last_error && jobs;
      });
      assert.match(job!.last_error, /^FullContact: no answer: fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
      const [line] = attemptLines(logs.lines, String(job!._id));
      assert.match(String(line?.error), /ECONNREFUSED/);
    } finally {
      await insole.stop();
      await fullcontact.close();
    }
  });
});

describe('durable hooks switched off', () => {
  test('with hooks.enabled false a sign-in queues nothing', async () => {
    const fullcontact = await startFakeFullContact();
    const insole = await startTestInsole({ hooks: { ...hookSettings({ fullcontact }).hooks, enabled: false } });
    try {
      const shopper = newShopper('off');
      fullcontact.know(shopper.email);
      await signUpVerified(insole, shopper);
      assert.equal(await jobsOf(insole).countDocuments(), 0);
      assert.deepEqual(insole.hooks.metrics(), {});
    } finally {
      await insole.stop();
      await fullcontact.close();
    }
  });
});
