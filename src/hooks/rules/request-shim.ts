import { unescape } from 'node:querystring';
import { TIMEOUT_CODES, TOO_LARGE_CODE, undiciCodeOf, type OutboundHttp } from '../../integrations/http-dispatcher.ts';
import type { RuleScope } from './rule-scope.ts';

type Options = Record<string, unknown>;
type Callback = (error: unknown, response?: RuleResponse, body?: unknown) => void;

export interface RuleResponse {
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: unknown;
  request: { uri: { href: string }; method: string };
}

/**
 * The `request` library as Auth0 rules call it — `request(url|options, [options], callback)` and
 * `request.get/post/put/patch/del/delete/head` with `url|uri, qs, json, form, body, headers, auth,
 * timeout, method, encoding` — over insole's outbound dispatcher (undici: proxy, pools, timeouts,
 * and its size cap: rules read whole bodies into memory, so a larger answer fails the call). The
 * callback gets `(error, response{statusCode, headers, body}, body)`; calls end with the rule's budget.
 */
export function createRequest(scope: RuleScope, http: OutboundHttp) {
  function request(...args: unknown[]): void {
    const { options, callback } = normalize(args);
    const done = scope.guard<Parameters<Callback>>(callback);
    perform(options, scope, http).then((response) => done(null, response, response.body), (err: unknown) => done(err));
  }
  const withMethod = (method: string) => (...args: unknown[]) => {
    const { options, callback } = normalize(args);
    request({ ...options, method }, callback);
  };
  return Object.assign(request, {
    get: withMethod('GET'), post: withMethod('POST'), put: withMethod('PUT'), patch: withMethod('PATCH'),
    del: withMethod('DELETE'), delete: withMethod('DELETE'), head: withMethod('HEAD'),
  });
}

function normalize(args: unknown[]): { options: Options; callback: unknown } {
  const callback = args.findLast((a) => typeof a === 'function');
  const [first, second] = args;
  const extra = second && typeof second === 'object' ? second as Options : {};
  const options = typeof first === 'string' ? { ...extra, uri: first } : { ...(first as Options), ...extra };
  return { options, callback };
}

async function perform(options: Options, scope: RuleScope, http: OutboundHttp): Promise<RuleResponse> {
  const url = buildUrl(options);
  const method = String(options.method ?? 'GET').toUpperCase();
  const headers = new Headers(lowercaseKeys(options.headers));
  const body = buildBody(options, headers);
  if (options.json !== undefined && options.json !== false && !headers.has('accept')) headers.set('accept', 'application/json');
  applyAuth(options.auth, headers);
  takeUrlCredentials(url, headers);

  const budget = Math.max(1, scope.deadline - Date.now());
  const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? Math.min(options.timeout, budget) : budget;
  let raw: Buffer;
  let res: Awaited<ReturnType<OutboundHttp['fetch']>>;
  try {
    res = await http.fetch(url, { method, headers: Object.fromEntries(headers), body, signal: AbortSignal.any([scope.signal, AbortSignal.timeout(timeout)]), redirect: options.followRedirect === false ? 'manual' : 'follow' });
    raw = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw requestError(err, http.maxResponseBytes);
  }
  const text = options.encoding === null ? raw : raw.toString(typeof options.encoding === 'string' ? options.encoding as BufferEncoding : 'utf8');
  const parsed = options.json !== undefined && options.json !== false && typeof text === 'string' ? parseJson(text) : text;
  return {
    statusCode: res.status,
    statusMessage: res.statusText,
    headers: Object.fromEntries(res.headers),
    body: parsed,
    request: { uri: { href: url.href }, method },
  };
}

function buildUrl(options: Options): URL {
  const base = options.url ?? options.uri;
  if (typeof base !== 'string' && !(base instanceof URL)) throw new TypeError('options.uri is a required argument');
  const url = new URL(String(base));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Invalid protocol: ${url.protocol}`);
  for (const [key, value] of Object.entries((options.qs ?? {}) as Options)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
  }
  return url;
}

// json: an object is the body (and the response is parsed); true serialises `body` and parses the answer.
function buildBody(options: Options, headers: Headers): string | Uint8Array<ArrayBuffer> | undefined {
  const { json, form, body } = options;
  if (form !== undefined) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
    return typeof form === 'string' ? form : new URLSearchParams(Object.entries(form as Options).map(([k, v]) => [k, String(v)])).toString();
  }
  if (json && typeof json === 'object') return jsonBody(json, headers);
  if (json === true && body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) return jsonBody(body, headers);
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new Uint8Array(body); // a Buffer, as `request` took
  return undefined;
}

function jsonBody(value: unknown, headers: Headers): string {
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(value);
}

function applyAuth(auth: unknown, headers: Headers): void {
  if (!auth || typeof auth !== 'object' || headers.has('authorization')) return;
  const { user, username, pass, password, bearer } = auth as Record<string, string | undefined>;
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  else if (user ?? username) headers.set('authorization', basic((user ?? username)!, pass ?? password ?? ''));
}

/**
 * `request` sends `https://user:pass@host/` as Basic auth (unless `auth` or an Authorization
 * header says otherwise). fetch refuses such a URL, with an error that repeats it, password
 * included, into the rule's callback and from there into the logs: the credentials come off the URL.
 */
function takeUrlCredentials(url: URL, headers: Headers): void {
  if (!url.username && !url.password) return;
  if (!headers.has('authorization')) headers.set('authorization', basic(unescape(url.username), unescape(url.password)));
  url.username = '';
  url.password = '';
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

// Like `request`: a JSON answer becomes an object; anything else stays a string.
function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

// The `request` library's error codes, which rules test for.
function requestError(err: unknown, maxBytes: number): Error {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const undici = undiciCodeOf(err);
  if (undici === TOO_LARGE_CODE) return Object.assign(new Error(`response larger than ${maxBytes} bytes`), { code: 'ERESPONSETOOLARGE' });
  if (e?.name === 'TimeoutError' || (undici && TIMEOUT_CODES.has(undici))) return Object.assign(new Error('ETIMEDOUT'), { code: 'ETIMEDOUT' });
  if (e?.name === 'AbortError') return Object.assign(new Error('rule finished before the request'), { code: 'ECONNABORTED' });
  const code = e?.cause?.code;
  return Object.assign(new Error(e?.cause?.message ?? e?.message ?? String(err)), code ? { code } : {});
}

function lowercaseKeys(headers: unknown): Record<string, string> {
  if (!headers || typeof headers !== 'object') return {};
  return Object.fromEntries(Object.entries(headers as Options).filter(([, v]) => v !== undefined).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
