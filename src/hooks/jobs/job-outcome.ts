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
  | { verdict: 'dead' }
  /** The hook's credentials were refused: every other job of the hook would fail the same way. */
  | { verdict: 'disable' };

/**
 * Timeouts, network errors, 408, 429 and 5xx are worth retrying (honouring Retry-After); 401 and
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
  if (status === 408 || status === 429 || status >= 500) return { verdict: 'retry', retryAfterMs: err.retryAfterMs };
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
