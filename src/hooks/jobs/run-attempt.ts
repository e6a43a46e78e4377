import type { Logger } from '../../lib/logger.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { DurableHook, HookRunContext } from './durable-hook.ts';
import type { HookJob } from './hook-job.model.ts';
import type { AttemptOutcome, HookMetrics } from './hook-metrics.ts';
import { judgeFailure, planRateLimitWait, planRetry, rateLimitPauseMs, type RetryPolicy } from './job-outcome.ts';
import type { JobQueue } from './job-queue.ts';

export interface AttemptDeps {
  queue: JobQueue;
  hooks: Map<string, DurableHook>;
  metrics: HookMetrics;
  logger: Logger;
  policy: RetryPolicy;
  findUser(userId: string): Promise<UserDoc | null>;
  followUp: HookRunContext['followUp'];
}

interface Decision {
  outcome: Exclude<AttemptOutcome, 'lost'>;
  result?: Record<string, unknown>;
  error?: string;
  retryInMs?: number;
  /** A rate-limited attempt: the job's first rate limit. */
  rateLimitedSince?: Date;
}

/** One attempt of a claimed job: run the hook within its budget, decide, record, count, and log one line. */
export async function runAttempt(job: HookJob, deps: AttemptDeps, shutdown: AbortSignal): Promise<void> {
  const { queue, metrics, logger } = deps;
  const started = performance.now();
  metrics.attemptStarted(job.hook);
  const decision = await decide(job, deps, shutdown);
  let recorded = false;
  let recordError: string | undefined;
  try {
    recorded = await record(queue, job, decision);
  } catch (err) {
    recordError = (err as Error).message;
  }
  const outcome: AttemptOutcome = recorded ? decision.outcome : 'lost';
  metrics.attemptEnded(job.hook, outcome);
  const line = {
    hook: job.hook, job_id: String(job._id), user_id: job.user_id, attempt: job.attempts, outcome,
    ms: Math.round(performance.now() - started),
    ...(decision.error ? { error: decision.error } : {}),
    ...(decision.retryInMs !== undefined ? { retry_in_ms: decision.retryInMs } : {}),
    ...(outcome === 'lost' ? { lost_because: recordError ?? 'the lease had passed to another worker' } : {}),
  };
  // A rate limit is the API pacing us, not a fault: info, or a busy window would flood the log with warnings.
  const level = outcome === 'done' || outcome === 'released' || outcome === 'rate_limited' ? 'info' : outcome === 'retry' || outcome === 'lost' ? 'warn' : 'error';
  logger[level](line, 'hook attempt');
}

async function decide(job: HookJob, deps: AttemptDeps, shutdown: AbortSignal): Promise<Decision> {
  const { policy } = deps;
  const hook = deps.hooks.get(job.hook)!;
  if (job.attempts > policy.maxAttempts) {
    // Claimed again and again without an outcome: its workers died mid-attempt (a poison job?).
    return { outcome: 'dead', error: `claimed ${job.attempts} times without finishing (max_attempts ${policy.maxAttempts})` };
  }
  try {
    return { outcome: 'done', result: await execute(job, hook, deps, shutdown) };
  } catch (err) {
    const error = (err as Error).message ?? String(err);
    if (shutdown.aborted) return { outcome: 'released', error: 'interrupted by shutdown' };
    const judged = judgeFailure(err);
    if (judged.verdict === 'dead') return { outcome: 'dead', error };
    if (judged.verdict === 'disable') {
      if (deps.metrics.disable(hook.name, error)) {
        deps.logger.error({ hook: hook.name, reason: error },
          `hook disabled: ${hook.name}'s credentials were refused; its jobs wait in state "disabled" until insole restarts with a working key`);
      }
      return { outcome: 'disabled', error };
    }
    if (judged.verdict === 'rate_limited') return waitOutRateLimit(job, hook.name, judged.retryAfterMs, error, deps);
    const plan = planRetry(job, judged, policy);
    if (plan.outcome === 'dead') return { outcome: 'dead', error: `${error} (${plan.reason})` };
    return { outcome: 'retry', error, retryInMs: plan.retryInMs };
  }
}

/**
 * HTTP 429: the job waits for the API's Retry-After, and the hook pauses in this instance until
 * then (every other job would meet the same limit). Without a Retry-After the pause grows with the
 * hook's rate limits in a row. After it the job is due like any other, in due order: behind the jobs
 * that were due before it (a job the API refuses for good cannot hold back the others), ahead of later ones.
 */
function waitOutRateLimit(job: HookJob, hook: string, retryAfterMs: number | undefined, error: string, deps: AttemptDeps): Decision {
  const pauseMs = retryAfterMs ?? rateLimitPauseMs(deps.metrics.rateLimitedInARow(hook) + 1, deps.policy);
  const plan = planRateLimitWait(job, pauseMs, deps.policy, new Date());
  deps.metrics.pause(hook, Date.now() + Math.min(pauseMs, plan.retryInMs));
  return { outcome: 'rate_limited', error, retryInMs: plan.retryInMs, rateLimitedSince: plan.since };
}

async function execute(job: HookJob, hook: DurableHook, deps: AttemptDeps, shutdown: AbortSignal): Promise<Record<string, unknown>> {
  const user = await deps.findUser(job.user_id);
  if (!user) return { skipped: 'the user no longer exists' };
  const now = new Date();
  // Checked again: a previous attempt may have done the work and crashed before saying so.
  if (!hook.appliesTo(user, now)) return { skipped: 'nothing left to do' };
  const signal = AbortSignal.any([shutdown, AbortSignal.timeout(hook.timeoutMs)]);
  const work = hook.run(user, { signal, attempt: job.attempts, now, followUp: deps.followUp });
  return untilAborted(work, signal, () => new Error(shutdown.aborted ? 'interrupted by shutdown' : `${hook.name}: no outcome within its ${hook.timeoutMs} ms budget`));
}

/** The attempt ends when its signal fires, even if the hook ignores the signal. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function record(queue: JobQueue, job: HookJob, decision: Decision): Promise<boolean> {
  const error = decision.error ?? '';
  switch (decision.outcome) {
    case 'done': return queue.complete(job, decision.result ?? {});
    case 'retry': return queue.retry(job, new Date(Date.now() + decision.retryInMs!), error);
    case 'rate_limited': return queue.deferRateLimited(job, new Date(Date.now() + decision.retryInMs!), decision.rateLimitedSince!, error);
    case 'dead': return queue.bury(job, error);
    case 'disabled': return queue.park(job, error);
    case 'released': return queue.release(job);
  }
}
