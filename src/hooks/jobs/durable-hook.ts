import type { UserDoc } from '../../users/user.model.ts';

/** What a hook's run gets besides the user: its time budget as a signal, and a way to queue another hook. */
export interface HookRunContext {
  /** Aborted when the attempt's time budget runs out or the instance shuts down. */
  signal: AbortSignal;
  attempt: number;
  now: Date;
  /** Queues another hook for this user now (if it is enabled and applies), e.g. sentiment once FullContact found a Twitter handle. */
  followUp(hook: string, user: UserDoc): Promise<void>;
}

/**
 * A hook that runs after sign-in, outside the request, as a durable job. A sign-in only checks
 * `appliesTo` (no I/O) and queues a job under `key`; the worker calls `run` with the user as
 * stored at that moment, and checks `appliesTo` again first, so a job that was already done by a
 * crashed attempt is not done twice.
 */
export interface DurableHook {
  name: string;
  /** Per-attempt time budget. */
  timeoutMs: number;
  appliesTo(user: UserDoc, now: Date): boolean;
  /**
   * The idempotency key: one job per key (a once-per-user hook uses `<name>:<user_id>`); a dead job
   * gives its key up to a later sign-in after `requeue_dead_after_ms` (job-queue.ts).
   */
  key(user: UserDoc): string;
  /** Does the work; returns a small summary stored on the job. Throws to retry, give up or disable (see job-outcome.ts). */
  run(user: UserDoc, ctx: HookRunContext): Promise<Record<string, unknown>>;
}
