import { ApiError } from '../../integrations/json-api.ts';

/** A hook asks to be run again later (e.g. FullContact answered 202: still searching). */
export class RetryLater extends Error {
  readonly retryAfterMs?: number;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'RetryLater';
    this.retryAfterMs = retryAfterMs;
  }
}

/** A hook knows that trying again cannot help (the job goes to `dead`). */
export class GiveUp extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GiveUp';
  }
}

export type FailureVerdict =
  | { verdict: 'retry'; retryAfterMs?: number }
  /** HTTP 429: the API works, we asked too often. Waiting is the cure, so it is not a failed attempt. */
  | { verdict: 'rate_limited'; retryAfterMs?: number }
  | { verdict: 'dead' }
  /** The hook's credentials were refused: every other job of the hook would fail the same way. */
  | { verdict: 'disable' };

/**
 * Timeouts, network errors, 408 and 5xx are worth retrying (honouring Retry-After); a 429 is a rate
 * limit, retried after the API's Retry-After without counting as a failure (see planRetry); 401 and
 * 403 mean our API key or token is refused, which no retry fixes, so the hook disables itself
 * instead of burning every user's job; any other 4xx is our request being wrong: dead. Errors of
 * our own (the database away, a bug) are retried: attempts are bounded anyway.
 */
export function judgeFailure(err: unknown): FailureVerdict {
  if (err instanceof RetryLater) return { verdict: 'retry', retryAfterMs: err.retryAfterMs };
  if (err instanceof GiveUp) return { verdict: 'dead' };
  if (!(err instanceof ApiError) || err.failure !== 'status' || err.status === undefined) return { verdict: 'retry' };
  const { status } = err;
  if (status === 401 || status === 403) return { verdict: 'disable' };
  if (status === 429) return { verdict: 'rate_limited', retryAfterMs: err.retryAfterMs };
  if (status === 408 || status >= 500) return { verdict: 'retry', retryAfterMs: err.retryAfterMs };
  return { verdict: 'dead' };
}

/** The longest Retry-After we accept as given; beyond it an API is probably confused. */
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/**
 * Exponential backoff with full jitter (a uniformly random wait between 0 and base·2^(attempt−1),
 * capped), so that many jobs failing together do not retry together. A Retry-After from the API
 * is a minimum: we never come back earlier than asked.
 */
export function retryDelayMs(attempt: number, policy: { baseMs: number; maxMs: number }, retryAfterMs?: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(Math.min(retryAfterMs, MAX_RETRY_AFTER_MS), jittered);
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a job may keep meeting rate limits, from its first one, before it is dead. */
  maxRateLimitedMs: number;
}

/** What a job has been through so far, as stored on it. */
export interface JobHistory {
  /** Attempts that counted, this one included. */
  attempts: number;
  /** Attempts deferred by a rate limit so far, and when the first of them was. */
  rate_limited?: number | null;
  rate_limited_since?: Date | null;
}

export type RetryPlan =
  | { outcome: 'retry'; retryInMs: number }
  /** The attempt is not counted; `since` is the job's first rate limit, kept on the job. */
  | { outcome: 'rate_limited'; retryInMs: number; since: Date }
  | { outcome: 'dead'; reason: string };

/**
 * What to do after a failure worth retrying. A failure counts toward max_attempts; a rate limit
 * does not (X's windows last 15 minutes: a busy hour would otherwise kill jobs that nothing is wrong
 * with), but is bounded in time instead, so a job that an API rate-limits forever still ends.
 * A rate limit without Retry-After backs off on the number of rate limits met.
 */
export function planRetry(job: JobHistory, judged: { verdict: 'retry' | 'rate_limited'; retryAfterMs?: number }, policy: RetryPolicy, now: Date, random = Math.random): RetryPlan {
  const backoff = { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs };
  if (judged.verdict === 'rate_limited') {
    const since = job.rate_limited_since ?? now;
    if (now.getTime() - since.getTime() >= policy.maxRateLimitedMs) {
      return { outcome: 'dead', reason: `rate-limited since ${since.toISOString()}, ${job.rate_limited ?? 0} times: over max_rate_limited_ms (${policy.maxRateLimitedMs})` };
    }
    return { outcome: 'rate_limited', since, retryInMs: retryDelayMs((job.rate_limited ?? 0) + 1, backoff, judged.retryAfterMs, random) };
  }
  if (job.attempts >= policy.maxAttempts) return { outcome: 'dead', reason: `attempt ${job.attempts} of ${policy.maxAttempts}` };
  return { outcome: 'retry', retryInMs: retryDelayMs(job.attempts, backoff, judged.retryAfterMs, random) };
}
