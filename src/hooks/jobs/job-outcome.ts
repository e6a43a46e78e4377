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
 * limit, retried after the API's Retry-After without counting as a failure (see planRateLimitWait);
 * 401 and 403 mean our API key or token is refused, which no retry fixes, so the hook disables itself
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
  | { outcome: 'dead'; reason: string };

/** What to do after a failure worth retrying: it counts toward max_attempts. */
export function planRetry(job: JobHistory, judged: { retryAfterMs?: number }, policy: RetryPolicy, random = Math.random): RetryPlan {
  if (job.attempts >= policy.maxAttempts) return { outcome: 'dead', reason: `attempt ${job.attempts} of ${policy.maxAttempts}` };
  return { outcome: 'retry', retryInMs: retryDelayMs(job.attempts, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, judged.retryAfterMs, random) };
}

/**
 * How long a rate-limited job waits (the attempt is not counted; `since` is its first rate limit,
 * kept on the job). A rate limit never kills a job, neither by attempts nor by age: the API works and
 * says "later", and the work must still happen once (a backlog larger than a day of the API's quota
 * died of age when rate limits were bounded by time). It waits for the Retry-After at least, and
 * backs off on the number of rate limits it met, so a job turned away often is not the one that
 * meets the API first each time it reopens.
 */
export function planRateLimitWait(job: JobHistory, retryAfterMs: number | undefined, policy: RetryPolicy, now: Date, random = Math.random): { retryInMs: number; since: Date } {
  const backoff = { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs };
  return { since: job.rate_limited_since ?? now, retryInMs: retryDelayMs((job.rate_limited ?? 0) + 1, backoff, retryAfterMs, random) };
}

/**
 * How long a hook pauses after a 429 that says nothing of when to come back (no Retry-After):
 * base·2^(n−1), capped, for the n-th rate limit in a row, without jitter, so that a backlog meets the
 * API at most once per pause and the pauses grow while the API keeps refusing.
 */
export function rateLimitPauseMs(inARow: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, inARow - 1));
}
