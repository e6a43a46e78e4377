import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../lib/logger.ts';
import { createWakeup } from '../../lib/wakeup.ts';
import type { JobQueue } from './job-queue.ts';
import type { HookMetrics } from './hook-metrics.ts';
import type { RetryPolicy } from './job-outcome.ts';
import { runAttempt, type AttemptDeps } from './run-attempt.ts';
import { finishedWithin } from '../../lib/finished-within.ts';

export interface WorkerSettings extends RetryPolicy {
  pollMs: number;
  concurrency: number;
  leaseMs: number;
}

export type HookWorker = ReturnType<typeof createHookWorker>;

/**
 * Runs in every instance: claims due jobs (atomically, so no job runs twice at once), runs up to
 * `concurrency` of them, and polls every `pollMs` — or at once when a sign-in on this instance
 * has just queued one (`nudge`).
 */
export function createHookWorker(deps: Omit<AttemptDeps, 'policy'> & { queue: JobQueue; metrics: HookMetrics; logger: Logger; settings: WorkerSettings }) {
  const { queue, metrics, logger, settings } = deps;
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const inFlight = new Set<Promise<void>>();
  const shutdown = new AbortController();
  const wakeup = createWakeup();
  let running = false;
  let loop: Promise<void> | undefined;

  async function pollLoop(): Promise<void> {
    let failures = 0;
    while (running) {
      const hooks = metrics.claimableHooks();
      if (inFlight.size >= settings.concurrency || hooks.length === 0) {
        await wakeup.wait(settings.pollMs);
        continue;
      }
      try {
        const job = await queue.claim(id, hooks, settings.leaseMs);
        failures = 0;
        if (!job) {
          await wakeup.wait(settings.pollMs);
          continue;
        }
        const attempt = runAttempt(job, { ...deps, policy: settings }, shutdown.signal).finally(() => {
          inFlight.delete(attempt);
          wakeup.wake();
        });
        inFlight.add(attempt);
      } catch (err) {
        // The database is away: keep polling, slower, and say so without flooding the log.
        failures++;
        if (failures === 1 || failures % 50 === 0) logger.warn({ err: { message: (err as Error).message }, failures }, 'hook worker cannot claim jobs');
        await wakeup.wait(Math.min(settings.pollMs * 2 ** Math.min(failures, 6), 5_000));
      }
    }
  }

  return {
    id,
    async start(): Promise<void> {
      if (running) return;
      running = true;
      const reopened = await queue.reopenParked(metrics.enabledHooks()).catch((err: unknown) => {
        logger.warn({ err: { message: (err as Error).message } }, 'hook worker could not reopen disabled jobs');
        return 0;
      });
      if (reopened) logger.info({ reopened }, 'hook jobs parked by a disabled hook are queued again');
      loop = pollLoop();
      logger.info({ worker: id, hooks: metrics.enabledHooks(), concurrency: settings.concurrency }, 'hook worker started');
    },

    /** A job was just queued here: look now instead of at the next poll. */
    nudge(): void {
      wakeup.wake();
    },

    /**
     * Stops claiming, lets attempts in flight finish for up to `graceMs`, then interrupts the rest:
     * their leases are released (the attempt does not count) so another instance takes them at once.
     */
    async stop(graceMs = 10_000): Promise<void> {
      if (!running) return;
      running = false;
      wakeup.wake();
      // The grace runs from now: a claim in flight can be waiting out the driver's server selection
      // (the database gone), and the attempts must not run on, calling out, until it gives up.
      const settled = async () => { await loop; await Promise.allSettled([...inFlight]); };
      await finishedWithin(settled(), graceMs);
      shutdown.abort(new Error('insole is shutting down'));
      await settled(); // a claim answered now starts its attempt already interrupted: the job is released
    },

    metrics: () => metrics.snapshot(),
  };
}
