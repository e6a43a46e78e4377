import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../lib/logger.ts';
import { createWakeup } from '../../lib/wakeup.ts';
import type { ExportFileRepository } from './export-file.repository.ts';
import { JobFailure, LostLease, type RunJob } from './job-runners.ts';
import type { UserJob } from './user-job.model.ts';
import type { UserJobRepository } from './user-job.repository.ts';

export interface JobWorkerSettings { pollMs: number; leaseMs: number; maxAttempts: number; retentionMs: number }

export type JobWorker = ReturnType<typeof createJobWorker>;

/** Expired jobs and files are swept this often (MongoDB's TTL deletes jobs too; the dev database does not). */
const SWEEP_MS = 60_000;

/**
 * Runs in every instance: claims one job at a time (an export keeps a core busy), renews the lease
 * every third of it while the job runs, and records the outcome. A job whose worker died is taken
 * over by any instance once its lease has run out; after `maxAttempts` claims it is failed.
 */
export function createJobWorker(deps: { jobs: UserJobRepository; files: ExportFileRepository; run: RunJob; logger: Logger; settings: JobWorkerSettings }) {
  const { jobs, files, logger, settings } = deps;
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const shutdown = new AbortController();
  const wakeup = createWakeup();
  let running = false;
  let loop: Promise<void> | undefined;
  let lastSweep = 0;

  async function sweep(): Promise<void> {
    if (Date.now() - lastSweep < SWEEP_MS) return;
    lastSweep = Date.now();
    const [removedJobs, removedFiles] = await Promise.all([jobs.removeExpired(), files.removeExpired()]);
    if (removedJobs || removedFiles) logger.info({ jobs: removedJobs, files: removedFiles }, 'expired jobs and export files removed');
  }

  async function pollLoop(): Promise<void> {
    let failures = 0;
    while (running) {
      try {
        await sweep();
        const job = await jobs.claim(id, settings.leaseMs);
        failures = 0;
        if (job) await runClaimed(job);
        else await wakeup.wait(settings.pollMs);
      } catch (err) {
        // The database is away: keep polling, slower, without flooding the log.
        failures++;
        if (failures === 1 || failures % 50 === 0) logger.warn({ err: { message: (err as Error).message }, failures }, 'job worker cannot claim jobs');
        await wakeup.wait(Math.min(settings.pollMs * 2 ** Math.min(failures, 6), 5_000));
      }
    }
  }

  async function runClaimed(job: UserJob): Promise<void> {
    const line = { job_id: job.job_id, type: job.type, attempt: job.attempts };
    if (job.attempts > settings.maxAttempts) {
      // Claimed again and again without an outcome: its workers died mid-way (a job that kills its instance?).
      await jobs.fail(job, `The job was interrupted ${job.attempts - 1} times and was given up.`, new Date(Date.now() + settings.retentionMs));
      if (job.file_id) await files.remove(job.file_id);
      return logger.error(line, 'job given up after repeated interruptions');
    }
    const attempt = new AbortController();
    const signal = AbortSignal.any([attempt.signal, shutdown.signal]);
    const progress = { written: job.processed };
    const heartbeat = setInterval(() => {
      jobs.renew(job, settings.leaseMs, progress.written).then((ours) => {
        if (!ours) attempt.abort(new LostLease());
      }, (err: unknown) => logger.warn({ ...line, err: { message: (err as Error).message } }, 'job lease not renewed'));
    }, Math.max(100, Math.floor(settings.leaseMs / 3)));
    const started = performance.now();
    try {
      const recorded = await deps.run(job, { signal, progress });
      logger[recorded ? 'info' : 'warn']({ ...line, processed: progress.written, ms: Math.round(performance.now() - started), ...(recorded ? {} : { lost: true }) },
        recorded ? 'job completed' : 'job finished, but its lease had passed to another worker');
    } catch (err) {
      await settle(job, err, err instanceof LostLease || attempt.signal.aborted, line);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** An attempt that threw: lost lease (nothing to do), shutdown (hand it back at once), a failure no retry can mend (fail now), or another failure (retry, then fail). */
  async function settle(job: UserJob, err: unknown, lost: boolean, line: Record<string, unknown>): Promise<void> {
    if (lost) {
      return logger.warn(line, 'job lost to another worker (its lease ran out)');
    }
    if (shutdown.signal.aborted) {
      await jobs.release(job, false).catch(() => undefined);
      return logger.info(line, 'job handed back: insole is shutting down');
    }
    if (err instanceof JobFailure) {
      await jobs.fail(job, err.message, new Date(Date.now() + settings.retentionMs));
      return logger.warn({ ...line, reason: err.message }, 'job failed');
    }
    const error = { message: (err as Error)?.message ?? String(err) };
    if (job.attempts >= settings.maxAttempts) {
      // The reason stays in the log: a database error can say more than an API client should see.
      await jobs.fail(job, 'The job failed because of an internal error.', new Date(Date.now() + settings.retentionMs));
      return logger.error({ ...line, err: error }, 'job failed');
    }
    await jobs.release(job, true);
    logger.warn({ ...line, err: error }, 'job attempt failed; it will be tried again');
  }

  return {
    id,
    start(): void {
      if (running) return;
      running = true;
      loop = pollLoop();
      logger.info({ worker: id }, 'job worker started');
    },
    /** A job was just created here: look now instead of at the next poll. */
    nudge: () => wakeup.wake(),
    /** Stops claiming; a job in flight gets `graceMs` to finish, then is interrupted and handed back. */
    async stop(graceMs = 10_000): Promise<void> {
      if (!running) return;
      running = false;
      wakeup.wake();
      const timer = setTimeout(() => shutdown.abort(new Error('insole is shutting down')), graceMs);
      await loop;
      clearTimeout(timer);
    },
  };
}
