import { AppError, BadRequestError } from '../errors/app-error.ts';
import { joinUrl } from '../lib/join-url.ts';

/** The signed-in user's token was refused by the Management API (expired, revoked): they must sign in again. */
export class SessionExpiredError extends AppError {
  constructor(message = 'Your dashboard session has ended. Sign in again.') { super('login_required', 401, message); }
}

/** A refusal of the Management API, passed on in its own words (they name the parameter or the scope). */
export class ApiRefusal extends AppError {
  readonly apiCode: string;
  constructor(status: number, apiCode: string, message: string) {
    super(status === 403 ? 'insufficient_scope' : 'api_refused', status, message);
    this.apiCode = apiCode;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

export type ManagementClient = ReturnType<typeof createManagementClient>;

/**
 * The dashboard's one way to data: the Management API at ISSUER/api/v2, called over HTTP with the
 * signed-in user's own access token (a backend-for-frontend: the browser never holds the token).
 * So the dashboard can do exactly what the user's roles allow, and nothing the API cannot.
 */
export function createManagementClient(issuer: string, timeoutMs = 30_000) {
  const base = joinUrl(issuer, '/api/v2').href;

  function url(path: string, query: Query = {}): string {
    // Ids from the browser reach the path through encodeURIComponent, which leaves "." and ".." as
    // they are, and a URL resolves those (WHATWG URL, also as %2e): `/users/{id}/identities/../.`
    // would become DELETE /users/{id}. Such a segment names nothing in the API: refuse it.
    if (path.split('/').some((segment) => DOT_SEGMENT.test(segment))) throw new BadRequestError('An id cannot be "." or "..".');
    const target = new URL(base + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') target.searchParams.set(key, String(value));
    return target.href;
  }

  async function call(token: string, method: string, path: string, query?: Query, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const target = url(path, query);
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new AppError('api_unreachable', 502, 'The Management API did not answer (the dashboard calls it at ISSUER/api/v2).', { cause: err, expose: true });
    }
    if (res.ok) return res;
    const problem = await res.json().catch(() => ({})) as { message?: string; errorCode?: string };
    // The API says why (expired; the user blocked or deleted since): the page passes it on.
    if (res.status === 401) throw new SessionExpiredError(problem.message ? `Your dashboard session has ended: ${problem.message.replace(/^\w/, (c) => c.toLowerCase()).replace(/\.?$/, '.')} Sign in again.` : undefined);
    if (res.status >= 500) throw new AppError('api_failed', 502, `The Management API answered ${res.status}.`, { expose: true });
    throw new ApiRefusal(res.status, problem.errorCode ?? 'error', problem.message ?? `The Management API answered ${res.status}.`);
  }

  return {
    async get<T>(token: string, path: string, query?: Query): Promise<T> {
      return (await call(token, 'GET', path, query)).json() as Promise<T>;
    },
    /** A JSON page and the cursor of the next one, from the Link header (`from=`). */
    async page<T>(token: string, path: string, query?: Query, body?: unknown): Promise<{ rows: T[]; next?: string }> {
      const res = await call(token, body === undefined ? 'GET' : 'POST', path, query, body);
      const link = res.headers.get('link');
      const next = link ? new URL(/<([^>]+)>/.exec(link)?.[1] ?? '', base).searchParams.get('from') ?? undefined : undefined;
      return { rows: await res.json() as T[], next };
    },
    async send<T = unknown>(token: string, method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
      const res = await call(token, method, path, undefined, body);
      return res.status === 204 ? undefined : res.json() as Promise<T>;
    },
    /** A streamed answer (CSV), handed on as it arrives; `signal` ends it when the browser goes away. */
    stream(token: string, method: 'GET' | 'POST', path: string, query: Query, body: unknown, signal: AbortSignal): Promise<Response> {
      return call(token, method, path, query, body, signal);
    },
  };
}
