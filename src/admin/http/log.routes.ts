import { BadRequestError, NotFoundError } from '../../errors/app-error.ts';
import type { LogFilter, LogRepository } from '../../logs/log.repository.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute, type ApiReply } from './api-route.ts';
import { logIdParams, logListQuery, logPage, logResponse, toPublicLog, userLogsQuery } from './log-schemas.ts';
import { projectFields, withTotals } from './query-params.ts';
import { userIdParams } from './user-schemas.ts';

/** Auth0 log search (`q`) → a MongoDB filter over `logs`; throws a 400 AppError on a bad query. */
export type CompileLogSearch = (q: string) => LogFilter;

class LogNotFoundError extends NotFoundError {
  constructor() { super('Log event not found'); }
  override readonly code = 'inexistent_log';
}

const DEFAULT_PER_PAGE = 50;

interface OffsetQuery {
  page?: number; per_page?: number; sort?: { direction: 1 | -1 }; include_totals?: boolean;
  fields?: string[]; include_fields?: boolean;
}

interface CheckpointQuery { from?: string; take?: number; fields?: string[]; include_fields?: boolean }

/** Log events (Auth0's /logs, /logs/{id} and /users/{id}/logs): read-only, newest first unless asked. */
export function logRoutes({ logs, compileLogSearch }: { logs: LogRepository; compileLogSearch: CompileLogSearch }): AnyApiRoute[] {
  async function offsetPage(filter: LogFilter, query: OffsetQuery): Promise<ApiReply> {
    const { page = 0, per_page: perPage = DEFAULT_PER_PAGE } = query;
    const skip = page * perPage;
    if (!Number.isSafeInteger(skip)) throw new BadRequestError('Query parameter "page": too large.', 'invalid_query_string');
    const found = await logs.page({ filter, direction: query.sort?.direction ?? -1, skip, limit: perPage });
    const items = found.map((log) => projectFields(toPublicLog(log), query.fields, query.include_fields));
    if (!query.include_totals) return { status: 200, body: items };
    return { status: 200, body: withTotals('logs', items, skip, perPage, await logs.count(filter)) };
  }

  async function checkpointPage(query: CheckpointQuery, filter: LogFilter, url: URL): Promise<ApiReply> {
    const found = await logs.after(query.from, query.take ?? DEFAULT_PER_PAGE, filter);
    // Auth0: each following page is fetched from rel="next"; past the newest log it is this same URL.
    const next = new URL(url);
    if (found.length) next.searchParams.set('from', found.at(-1)!.log_id);
    return {
      status: 200,
      body: found.map((log) => projectFields(toPublicLog(log), query.fields, query.include_fields)),
      headers: { Link: `<${next.href}>; rel="next"` },
    };
  }

  return [
    defineRoute({
      method: 'get', path: '/logs', tag: 'Logs', summary: 'Search log events', scopes: ['read:logs'],
      description: 'Offset mode: `page`/`per_page`/`sort` (date only), optionally filtered by `q` (or `search`). '
        + 'Checkpoint mode: `from` and/or `take`, ascending by log_id with no limit on depth; the next page is in the '
        + '`Link: <…>; rel="next"` header (the same URL once there is nothing newer); `q` still filters; `page`, `per_page`, '
        + '`include_totals` and `sort` are ignored, as at Auth0. `take` without `from` starts at the oldest log.',
      query: logListQuery,
      responses: { 200: { description: 'The logs, or with include_totals { start, limit, length, total, logs }.', schema: logPage }, 400: auth0Error },
      async handle({ query }, call) {
        const text = (query.q ?? query.search)?.trim();
        const filter = text ? compileLogSearch(text) : {};
        if (query.from !== undefined || query.take !== undefined) return checkpointPage(query, filter, call.url);
        return offsetPage(filter, query);
      },
    }),
    defineRoute({
      method: 'get', path: '/logs/{id}', tag: 'Logs', summary: 'Get a log event', scopes: ['read:logs'],
      params: logIdParams,
      responses: { 200: { description: 'The log event.', schema: logResponse }, 404: auth0Error },
      async handle({ params }) {
        const log = await logs.findByLogId(params.id);
        if (!log) throw new LogNotFoundError();
        return { status: 200, body: toPublicLog(log) };
      },
    }),
    defineRoute({
      method: 'get', path: '/users/{id}/logs', tag: 'Users', summary: "Get a user's log events", scopes: ['read:logs', 'read:logs_users'],
      description: 'Newest first by default. A user that no longer exists still has its logs: they are answered, not a 404.',
      params: userIdParams, query: userLogsQuery,
      responses: { 200: { description: 'The logs, or with include_totals { start, limit, length, total, logs }.', schema: logPage }, 400: auth0Error },
      async handle({ params, query }) {
        return offsetPage({ user_id: params.id }, query);
      },
    }),
  ];
}
