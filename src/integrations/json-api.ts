import { TIMEOUT_CODES, TOO_LARGE_CODE, undiciCodeOf, type OutboundHttp } from './http-dispatcher.ts';

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
  /** insole's outbound dispatcher (proxy, pools, timeouts, size cap). */
  http: Pick<OutboundHttp, 'fetch' | 'maxResponseBytes'>;
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

export async function callJsonApi({ http, service, url, method = 'GET', headers = {}, body, expect, signal }: JsonCall): Promise<JsonAnswer> {
  let res: Awaited<ReturnType<JsonCall['http']['fetch']>>;
  try {
    res = await http.fetch(url, {
      method, signal, redirect: 'error',
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw failureOf(service, err, signal, 'no answer', http.maxResponseBytes);
  }
  if (!expect.includes(res.status)) {
    // The status and Retry-After are the answer; its body is not read: one that stalled, was cut off
    // or ran over the size cap would turn a 429 into a failure retried without its Retry-After, and a
    // 401 into one retried instead of disabling the hook.
    await res.body?.cancel().catch(() => undefined);
    throw new ApiError(service, 'status', `HTTP ${res.status}`, { status: res.status, retryAfterMs: retryAfterMs(res.headers) });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw failureOf(service, err, signal, 'the answer was cut off', http.maxResponseBytes);
  }
  if (!text) return { status: res.status, body: undefined };
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch (err) {
    throw new ApiError(service, 'bad_response', `HTTP ${res.status} with a body that is not JSON`, { status: res.status, cause: err });
  }
}

// Profiles and one page of tweets are far smaller than the dispatcher's size cap: a larger answer is not one we store.
function failureOf(service: string, err: unknown, signal: AbortSignal, what: string, maxBytes: number): ApiError {
  if (signal.aborted) return new ApiError(service, 'timeout', `${what} in time (${String((signal.reason as Error | undefined)?.name ?? 'aborted')})`, { cause: err });
  const code = undiciCodeOf(err);
  if (code === TOO_LARGE_CODE) return new ApiError(service, 'bad_response', `an answer larger than ${maxBytes} bytes`, { cause: err });
  if (code && TIMEOUT_CODES.has(code)) return new ApiError(service, 'timeout', `${what} in time (${code})`, { cause: err });
  return new ApiError(service, 'network', `${what}: ${(err as Error).message}${reasonOf(err)}`, { cause: err });
}

/**
 * fetch says only "fetch failed"; why (a refused connection, an unknown host, a TLS error) is in
 * its cause. That is what an operator reads in a job's last_error and the attempt's log line.
 */
function reasonOf(err: unknown): string {
  let root = (err as { cause?: unknown } | undefined)?.cause as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; root?.cause && depth < 5; depth++) root = root.cause as typeof root;
  if (!root) return '';
  const message = typeof root.message === 'string' ? root.message.split('\n')[0].slice(0, 200) : '';
  const code = typeof root.code === 'string' && !message.includes(root.code) ? root.code : '';
  const reason = [code, message].filter(Boolean).join(': ');
  return reason ? ` (${reason})` : '';
}

/**
 * RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date. X's rate limits instead say when
 * the window resets (x-rate-limit-reset, epoch seconds). Undefined when neither is usable.
 */
export function retryAfterMs(headers: { get(name: string): string | null }, now = Date.now()): number | undefined {
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
