/**
 * One JSON call to a third-party API (FullContact, the sentiment service, X), with what a caller
 * needs to decide about retrying: the status, and when the API asked us to come back.
 */

export type ApiFailure = 'status' | 'timeout' | 'network' | 'bad_response';

export class ApiError extends Error {
  readonly service: string;
  readonly failure: ApiFailure;
  readonly status?: number;
  /** From Retry-After (seconds or HTTP date) or X's x-rate-limit-reset (epoch seconds). */
  readonly retryAfterMs?: number;

  constructor(service: string, failure: ApiFailure, message: string, extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(`${service}: ${message}`, { cause: extra.cause });
    this.name = 'ApiError';
    this.service = service;
    this.failure = failure;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
  }
}

export interface JsonCall {
  service: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  /** Statuses the caller handles itself; any other status becomes an ApiError. */
  expect: number[];
  /** Aborts the call: the caller's time budget, or a shutdown. */
  signal: AbortSignal;
}

export interface JsonAnswer {
  status: number;
  /** The parsed body; undefined when there was none. */
  body: unknown;
}

/** Profiles and one page of tweets are far smaller; anything bigger is not an answer we store. */
const MAX_BODY_CHARS = 2_000_000;

export async function callJsonApi({ service, url, method = 'GET', headers = {}, body, expect, signal }: JsonCall): Promise<JsonAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method, signal, redirect: 'error',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw failureOf(service, err, signal, 'no answer');
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw failureOf(service, err, signal, 'the answer was cut off');
  }
  if (!expect.includes(res.status)) {
    throw new ApiError(service, 'status', `HTTP ${res.status}`, { status: res.status, retryAfterMs: retryAfterMs(res.headers) });
  }
  if (text.length > MAX_BODY_CHARS) throw new ApiError(service, 'bad_response', `HTTP ${res.status} with a body over ${MAX_BODY_CHARS} characters`, { status: res.status });
  if (!text) return { status: res.status, body: undefined };
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch (err) {
    throw new ApiError(service, 'bad_response', `HTTP ${res.status} with a body that is not JSON`, { status: res.status, cause: err });
  }
}

function failureOf(service: string, err: unknown, signal: AbortSignal, what: string): ApiError {
  if (signal.aborted) return new ApiError(service, 'timeout', `${what} in time (${String((signal.reason as Error | undefined)?.name ?? 'aborted')})`, { cause: err });
  return new ApiError(service, 'network', `${what}: ${(err as Error).message}`, { cause: err });
}

/**
 * RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date. X's rate limits instead say when
 * the window resets (x-rate-limit-reset, epoch seconds). Undefined when neither is usable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value) {
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-rate-limit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}
