import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { createHookJobModel } from '../src/hooks/jobs/hook-job.model.ts';
import { createJobQueue, type JobQueue } from '../src/hooks/jobs/job-queue.ts';
import { startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { hookSettings, jobsFor, jobsOf, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { signUpVerified } from './support/verified-signup.ts';

/**
 * A dead job kept its key, and keys are per round of work (`fullcontact:<user>:never` until a lookup
 * succeeds), so the user's later sign-ins queued nothing: never enriched again. Now a sign-in a while
 * after the death queues the work again, and the dead job stays for the operator.
 */

const HOUR = 3_600_000;

describe('a dead job and the sign-ins after it (the queue, on an injected clock)', () => {
  let insole: TestInsole;
  let queue: JobQueue;
  before(async () => {
    insole = await startTestInsole();
    queue = createJobQueue(createHookJobModel(insole.connection), { requeueDeadAfterMs: 24 * HOUR });
  });
  after(() => insole.stop());

  /** A job of a hook of its own, claimed and buried at `t0` with `error`. */
  async function deadJob(error: string) {
    const hook = `dead-${new Types.ObjectId().toHexString()}`;
    const job = { hook, user_id: 'auth0|dead', key: `${hook}:auth0|dead:never` };
    const t0 = new Date();
    await queue.enqueue(job, t0);
    const claimed = (await queue.claim('worker-a', [hook], 60_000, t0))!;
    assert.equal(await queue.bury(claimed, error, t0), true);
    return { job, t0, at: (ms: number) => new Date(t0.getTime() + ms) };
  }

  test('within requeue_dead_after_ms of its death the key stays taken: nothing is queued', async () => {
    const { job, at } = await deadJob('FullContact: HTTP 500 (attempt 16 of 16)');
    assert.equal(await queue.enqueue(job, at(24 * HOUR - 1)), false);
    assert.deepEqual((await jobsOf(insole).find({ hook: job.hook }).toArray()).map((j) => [j.key, j.state]), [[job.key, 'dead']]);
  });

  test('after it, a new job takes the key, and the dead one is kept with its error, marked superseded', async () => {
    const { job, at } = await deadJob('FullContact: HTTP 502 (attempt 16 of 16)');
    assert.equal(await queue.enqueue(job, at(24 * HOUR)), true);
    const [dead, fresh] = await jobsOf(insole).find({ hook: job.hook }).sort({ created_at: 1 }).toArray();
    assert.deepEqual([fresh!.key, fresh!.state, fresh!.attempts], [job.key, 'pending', 0]);
    assert.deepEqual([dead!.key, dead!.state, dead!.last_error, dead!.attempts], [`${job.key}#dead:${String(dead!._id)}`, 'dead', 'FullContact: HTTP 502 (attempt 16 of 16)', 1]);
    assert.deepEqual(dead!.superseded_at, at(24 * HOUR));
    assert.ok(dead!.expire_at > at(24 * HOUR), 'kept as long as a done job, then MongoDB may drop it');
    assert.equal(await queue.enqueue(job, at(25 * HOUR)), false, 'the new job is live: no second one');
  });

  test('sign-ins racing after the death queue one job between them', async () => {
    const { job, at } = await deadJob('X API: HTTP 400');
    const queued = await Promise.all(Array.from({ length: 6 }, () => queue.enqueue(job, at(30 * HOUR))));
    assert.equal(queued.filter(Boolean).length, 1);
    const jobs = await jobsOf(insole).find({ hook: job.hook }).toArray();
    assert.deepEqual(jobs.map((j) => j.state).sort(), ['dead', 'pending']);
  });

  test('the dead gauge leaves a superseded job out: its work was queued again', async () => {
    const { job, at } = await deadJob('FullContact: HTTP 503 (attempt 16 of 16)');
    assert.deepEqual((await queue.countOpen())[job.hook], { dead: 1 });
    await queue.enqueue(job, at(24 * HOUR));
    assert.deepEqual((await queue.countOpen())[job.hook], { pending: 1 });
  });
});

describe('a shopper whose FullContact job died', () => {
  let fullcontact: FakeFullContact;
  before(async () => { fullcontact = await startFakeFullContact(); });
  after(() => fullcontact.close());

  test('is enriched at a later sign-in, once requeue_dead_after_ms has passed', async () => {
    const insole = await startTestInsole(hookSettings({ fullcontact }, { worker: { max_attempts: 1, requeue_dead_after_ms: 0 } }), testDatabaseUri());
    try {
      const shopper = newShopper('revived');
      fullcontact.know(shopper.email);
      fullcontact.script({ status: 500 });
      await signUpVerified(insole, shopper);
      const user = (await userByEmail(insole, shopper.email))!;
      const [dead] = await settled(insole, user.user_id, 'fullcontact');
      assert.equal(dead!.state, 'dead');
      assert.match(dead!.key, new RegExp(`^fullcontact:${user.user_id.replace('|', '\\|')}:[0-9a-f]{16}:never$`));

      await signInForTokens(insole.issuer, shopper);
      const jobs = await until('the enrichment to be queued again and done', async () => {
        const all = await jobsFor(insole, user.user_id, 'fullcontact');
        return all.length === 2 && all[1]!.state === 'done' && all;
      });
      assert.deepEqual([jobs[1]!.key, jobs[1]!.result], [dead!.key, { match: true, twitter: false }], 'the same round of work, queued again');
      assert.deepEqual([jobs[0]!.state, jobs[0]!.last_error], ['dead', 'FullContact: HTTP 500 (attempt 1 of 1)'], 'the dead job is still there for the operator');
      assert.equal((await userByEmail(insole, shopper.email))!.app_metadata.fullcontact.status, 'matched');
    } finally {
      await insole.stop();
    }
  });
});
