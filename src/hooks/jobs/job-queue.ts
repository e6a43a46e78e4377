import mongoose from 'mongoose';
import { isDuplicateKeyError } from '../../db/duplicate-keys.ts';
import type { HookJob, HookJobModel, JobState } from './hook-job.model.ts';

export type JobQueue = ReturnType<typeof createJobQueue>;

/** How long MongoDB keeps a done job (TTL, best effort): long enough to answer "did it run?". */
const KEEP_DONE_MS = 30 * 24 * 3600_000;

type NewJob = { hook: string; user_id: string; key: string };
/** What the queue needs to know of the job holding a key (`_id` is missing when a racing insert took it). */
type KeyHolder = Partial<Pick<HookJob, '_id' | 'finished_at'>> & Pick<HookJob, 'state'>;

export const OPEN_STATES = ['pending', 'running', 'dead', 'disabled'] as const satisfies readonly JobState[];
export type OpenState = (typeof OPEN_STATES)[number];

/**
 * The hook_jobs collection. Every transition is one atomic single-document update; the ones a
 * worker makes after its claim are fenced by (worker, attempts), so a worker whose lease ran out
 * and whose job another worker reclaimed cannot overwrite the newer attempt's outcome.
 */
export function createJobQueue(jobs: HookJobModel, settings: { requeueDeadAfterMs: number }) {
  const fence = (job: HookJob) => ({ _id: job._id, state: 'running' as const, worker: job.worker, attempts: job.attempts });

  const newJob = (job: NewJob, now: Date) => ({ ...job, state: 'pending' as const, attempts: 0, run_after: now, created_at: now, updated_at: now });

  /**
   * Inserts the job unless a job holds its key, in one command: an upsert that answers with the
   * holder (null when it inserted). A sign-in while the user's job is pending or running then costs
   * one indexed command, not a refused insert and a read of the holder.
   */
  async function insertOrFindHolder(job: NewJob, now: Date): Promise<KeyHolder | null> {
    try {
      const { key, ...rest } = newJob(job, now);
      return await jobs.findOneAndUpdate({ key }, { $setOnInsert: rest }, { upsert: true, returnDocument: 'before', projection: { state: 1, finished_at: 1 } })
        .lean<KeyHolder>().exec();
    } catch (err) {
      // Sign-ins upserting one key at once: the unique index lets one insert; the others' holder is that new job.
      if (isDuplicateKeyError(err)) return { state: 'pending' };
      throw err;
    }
  }

  async function insert(job: NewJob, now: Date): Promise<boolean> {
    try {
      await jobs.create(newJob(job, now));
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /**
   * A dead job would hold its key for good, and a key is per round of work (`fullcontact:<user>:never`
   * until a lookup succeeds, `sentiment:<user>` ever): each later sign-in computed the same key and
   * queued nothing, so the user was never enriched again unless an operator requeued the job. One
   * that died `requeueDeadAfterMs` ago or more gives its key up (renamed `<key>#dead:<id>`) and stays,
   * dead, for the operator (then kept as long as a done job). The wait keeps a job that always dies
   * (a 4xx) from adding a dead job at every sign-in. True when the holder gave way.
   */
  async function supersedeDead(key: string, holder: KeyHolder, now: Date): Promise<boolean> {
    const diedBefore = now.getTime() - settings.requeueDeadAfterMs;
    if (holder.state !== 'dead' || !holder._id || !holder.finished_at || holder.finished_at.getTime() > diedBefore) return false;
    // Conditional: of sign-ins racing here, one renames it; each then tries the insert, and one wins.
    await jobs.updateOne({ _id: holder._id, key, state: 'dead' }, {
      $set: { key: `${key}#dead:${String(holder._id)}`, superseded_at: now, updated_at: now, expire_at: new Date(now.getTime() + KEEP_DONE_MS) },
    }).exec();
    return true;
  }

  async function finish(job: HookJob, state: JobState, set: Partial<HookJob>, now: Date): Promise<boolean> {
    const result = await jobs.updateOne(fence(job), { $set: { state, lease_until: null, updated_at: now, ...set } }).exec();
    return result.modifiedCount === 1;
  }

  return {
    /**
     * Queues a job unless one with the same key is queued, running, done, or dead for less than
     * `requeueDeadAfterMs`: false then.
     */
    async enqueue(job: NewJob, now = new Date()): Promise<boolean> {
      const holder = await insertOrFindHolder(job, now);
      if (!holder) return true;
      return (await supersedeDead(job.key, holder, now)) && insert(job, now);
    },

    /**
     * Claims the most overdue job of the given hooks: a pending one whose time has come, or a
     * running one whose worker let its lease expire (it crashed, or lost the database).
     */
    async claim(worker: string, hooks: string[], leaseMs: number, now = new Date()): Promise<HookJob | null> {
      const job = await jobs.findOneAndUpdate(
        {
          // trusted(): sanitizeFilter would otherwise neutralise our own operators (the values are ours).
          hook: mongoose.trusted({ $in: hooks.map(String) }),
          $or: [{ state: 'pending', run_after: mongoose.trusted({ $lte: now }) }, { state: 'running', lease_until: mongoose.trusted({ $lt: now }) }],
        },
        { $set: { state: 'running', worker, lease_until: new Date(now.getTime() + leaseMs), updated_at: now }, $inc: { attempts: 1 } },
        { sort: { run_after: 1 }, returnDocument: 'after' },
      ).lean<HookJob>().exec();
      // The driver holds a command while the database is away, so a claim can return long after
      // `now`, its lease already spent: running on it would let another worker run the job too.
      if (!job || Date.now() - now.getTime() < leaseMs / 4) return job;
      return jobs.findOneAndUpdate(fence(job), { $set: { lease_until: new Date(Date.now() + leaseMs) } }, { returnDocument: 'after' }).lean<HookJob>().exec();
    },

    complete(job: HookJob, result: Record<string, unknown>, now = new Date()): Promise<boolean> {
      return finish(job, 'done', { result, last_error: null, finished_at: now, expire_at: new Date(now.getTime() + KEEP_DONE_MS) }, now);
    },

    retry(job: HookJob, runAfter: Date, error: string, now = new Date()): Promise<boolean> {
      return finish(job, 'pending', { run_after: runAfter, last_error: error, worker: null }, now);
    },

    /**
     * The API rate-limited the attempt (HTTP 429): it does not count (as a release), the job waits
     * for the API; `since` (its first rate limit) bounds how long it may keep doing so.
     */
    async deferRateLimited(job: HookJob, runAfter: Date, since: Date, error: string, now = new Date()): Promise<boolean> {
      const result = await jobs.updateOne(fence(job), {
        $set: { state: 'pending', run_after: runAfter, lease_until: null, worker: null, last_error: error, rate_limited_since: since, updated_at: now },
        $inc: { attempts: -1, rate_limited: 1 },
      }).exec();
      return result.modifiedCount === 1;
    },

    bury(job: HookJob, error: string, now = new Date()): Promise<boolean> {
      return finish(job, 'dead', { last_error: error, finished_at: now }, now);
    },

    /** The hook disabled itself: the job waits, untouched, until the hook is enabled again. */
    park(job: HookJob, error: string, now = new Date()): Promise<boolean> {
      return finish(job, 'disabled', { last_error: error, worker: null }, now);
    },

    /** Shutdown interrupted the attempt: it does not count, and any instance may take the job at once. */
    async release(job: HookJob, now = new Date()): Promise<boolean> {
      const result = await jobs.updateOne(fence(job), {
        $set: { state: 'pending', run_after: now, lease_until: null, worker: null, updated_at: now },
        $inc: { attempts: -1 },
      }).exec();
      return result.modifiedCount === 1;
    },

    /** Jobs parked by a hook that disabled itself go back to the queue (the key may have been fixed). */
    async reopenParked(hooks: string[], now = new Date()): Promise<number> {
      const result = await jobs.updateMany(
        { hook: mongoose.trusted({ $in: hooks.map(String) }), state: 'disabled' },
        { $set: { state: 'pending', run_after: now, updated_at: now } },
      ).exec();
      return result.modifiedCount;
    },

    /**
     * Jobs per hook in the states an operator watches (a backlog, or jobs that need a hand). Done
     * jobs are left out: they are kept for 30 days, so counting them would read every one of them
     * on each scrape; the hooks' succeeded counters say how many finished.
     */
    async countOpen(): Promise<Record<string, Partial<Record<OpenState, number>>>> {
      const rows = await jobs.aggregate<{ _id: { hook: string; state: OpenState }; n: number }>([
        // A superseded dead job is history: its work was queued again.
        { $match: { state: { $in: [...OPEN_STATES] }, superseded_at: null } },
        { $group: { _id: { hook: '$hook', state: '$state' }, n: { $sum: 1 } } },
      ]).exec();
      const out: Record<string, Partial<Record<OpenState, number>>> = {};
      for (const { _id, n } of rows) (out[_id.hook] ??= {})[_id.state] = n;
      return out;
    },
  };
}
