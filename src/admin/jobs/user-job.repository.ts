import { randomInt } from 'node:crypto';
import mongoose, { type Types } from 'mongoose';
import type { RecordError, UserJob, UserJobModel } from './user-job.model.ts';

export type UserJobRepository = ReturnType<typeof createUserJobRepository>;

export type NewUserJob = Pick<UserJob, 'type' | 'created_by'> & Partial<Pick<UserJob,
  'connection' | 'segment' | 'format' | 'limit' | 'fields' | 'upsert' | 'external_id' | 'send_completion_email' | 'role_scopes' | 'users_file' | 'total' | 'summary'>>;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Auth0's job id: `job_` and 16 letters or digits (~95 bits from the CSPRNG). */
export function newJobId(): string {
  let id = 'job_';
  for (let i = 0; i < 16; i++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return id;
}

// The dev database ignores TTL: every read of a job says "not expired" itself.
const notExpired = (now: Date) => ({ $or: [{ expire_at: null }, { expire_at: mongoose.trusted({ $gt: now }) }] });

/**
 * The user_jobs collection, with the claim pattern of the hook queue (src/hooks/jobs/job-queue.ts):
 * every transition is one atomic single-document update, and those a worker makes after its claim
 * are fenced by (worker, attempts), so a worker whose lease ran out cannot overwrite the attempt of
 * the worker that took the job over. The hook queue itself does not fit these jobs: its jobs are
 * keyed once per user and hook, carry no input or output, and never outlive a short timeout,
 * whereas an export runs for minutes and renews its lease while it writes.
 */
export function createUserJobRepository(jobs: UserJobModel) {
  const fence = (job: UserJob) => ({ _id: job._id, status: 'processing' as const, worker: job.worker, attempts: job.attempts });
  const fenced = async (job: UserJob, update: mongoose.UpdateQuery<UserJob>) => (await jobs.updateOne(fence(job), update).exec()).modifiedCount === 1;

  return {
    async create(job: NewUserJob, now = new Date()): Promise<UserJob> {
      const created = await jobs.create({ ...job, job_id: newJobId(), status: 'pending', attempts: 0, processed: 0, created_at: now, updated_at: now });
      return created.toObject();
    },

    /** A job done as it is created (a verification mail): completed, and gone after `retentionMs` as any finished job. */
    async createCompleted(job: NewUserJob, retentionMs: number, now = new Date()): Promise<UserJob> {
      const created = await jobs.create({
        ...job, job_id: newJobId(), status: 'completed', attempts: 0, processed: 0, created_at: now, updated_at: now,
        finished_at: now, expire_at: new Date(now.getTime() + retentionMs),
      });
      return created.toObject();
    },

    find(jobId: string, now = new Date()): Promise<UserJob | null> {
      return jobs.findOne({ job_id: jobId, ...notExpired(now) }).lean<UserJob>().exec();
    },

    findWithErrors(jobId: string, now = new Date()): Promise<UserJob | null> {
      return jobs.findOne({ job_id: jobId, ...notExpired(now) }).select('+record_errors').lean<UserJob>().exec();
    },

    /** The oldest pending job, or a processing one whose worker let its lease run out (it crashed). */
    claim(worker: string, leaseMs: number, now = new Date()): Promise<UserJob | null> {
      return jobs.findOneAndUpdate(
        { $or: [{ status: 'pending' }, { status: 'processing', lease_until: mongoose.trusted({ $lt: now }) }] },
        { $set: { status: 'processing', worker, lease_until: new Date(now.getTime() + leaseMs), updated_at: now }, $inc: { attempts: 1 } },
        { sort: { created_at: 1 }, returnDocument: 'after' },
      ).select('+users_file').lean<UserJob>().exec();
    },

    /** Extends the lease (and notes progress); false when the job is no longer this worker's. */
    renew(job: UserJob, leaseMs: number, processed: number, now = new Date()): Promise<boolean> {
      return fenced(job, { $set: { lease_until: new Date(now.getTime() + leaseMs), processed, updated_at: now } });
    },

    /** An attempt starts: what it will write to (an export's new file), how much there is, and since when. */
    begin(job: UserJob, set: { total: number; processed?: number; file_id?: Types.ObjectId }, now = new Date()): Promise<boolean> {
      return fenced(job, { $set: { ...set, started_at: now, updated_at: now } });
    },

    /** One import record handled: its outcome counted, and the position saved so a takeover resumes after it. */
    recordImported(job: UserJob, index: number, outcome: 'inserted' | 'updated' | RecordError, now = new Date()): Promise<boolean> {
      const failed = typeof outcome === 'object';
      return fenced(job, {
        $set: { processed: index + 1, updated_at: now },
        $inc: { [`summary.${failed ? 'failed' : outcome}`]: 1 },
        ...(failed ? { $push: { record_errors: outcome } } : {}),
      });
    },

    complete(job: UserJob, expireAt: Date, now = new Date()): Promise<boolean> {
      return fenced(job, {
        $set: { status: 'completed', lease_until: null, finished_at: now, updated_at: now, expire_at: expireAt },
        $unset: { users_file: '' },
      });
    },

    fail(job: UserJob, details: string, expireAt: Date, now = new Date()): Promise<boolean> {
      return fenced(job, {
        $set: { status: 'failed', status_details: details, lease_until: null, finished_at: now, updated_at: now, expire_at: expireAt },
        $unset: { users_file: '' },
      });
    },

    /** Shutdown or an error worth another try: back to pending; a shutdown does not count as an attempt. */
    release(job: UserJob, countAttempt: boolean, now = new Date()): Promise<boolean> {
      return fenced(job, {
        $set: { status: 'pending', worker: null, lease_until: null, updated_at: now },
        ...(countAttempt ? {} : { $inc: { attempts: -1 } }),
      });
    },

    /** Jobs past their retention; MongoDB's TTL does the same, the dev database does not. */
    async removeExpired(now = new Date()): Promise<number> {
      return (await jobs.deleteMany({ expire_at: mongoose.trusted({ $lt: now }) }).exec()).deletedCount;
    },
  };
}
