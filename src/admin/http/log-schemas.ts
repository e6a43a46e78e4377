import { z } from 'zod';
import type { LogDoc } from '../../logs/log.model.ts';
import { fieldsParams, pagingParams, sortParam } from './query-params.ts';

/**
 * A log event as Auth0's Management API returns it, `_id` included (equal to log_id: Auth0's log
 * streaming tools checkpoint on it). Every field is optional because `fields` may leave any out.
 * Parsing the answer through this schema drops anything else a stored document holds.
 */
export const logResponse = z.object({
  _id: z.string().describe('The same value as log_id (Auth0 sends both).'),
  date: z.string().describe('ISO 8601 date-time of the event.'),
  type: z.string().describe('Auth0 log event type code (s, f, ss, sapi, …).'),
  description: z.string(),
  client_id: z.string(),
  client_name: z.string(),
  ip: z.string(),
  user_agent: z.string(),
  user_id: z.string(),
  user_name: z.string(),
  connection: z.string(),
  strategy: z.string(),
  strategy_type: z.string(),
  log_id: z.string().describe('Unique and time-sortable: the checkpoint for `from`.'),
  details: z.record(z.string(), z.unknown()),
}).partial().meta({ id: 'Log' });

export type PublicLog = z.infer<typeof logResponse>;
export const LOG_FIELDS = Object.keys(logResponse.shape);

export function toPublicLog(log: LogDoc): PublicLog {
  const { date, ...rest } = log;
  const present = Object.entries(rest).filter(([, value]) => value !== undefined && value !== null);
  return { _id: log.log_id, ...Object.fromEntries(present), date: date.toISOString() } as PublicLog;
}

export const logPage = z.union([
  z.array(logResponse),
  z.object({ start: z.number().int(), limit: z.number().int(), length: z.number().int(), total: z.number().int(), logs: z.array(logResponse) }),
]);

// A search runs a query per request: a bound keeps each one small (Auth0's own q is far shorter).
const searchText = z.string().max(2000);

/**
 * GET /logs: offset mode (page/per_page/sort, q or search) or checkpoint mode (from/take). In a
 * checkpoint Auth0 ignores every other parameter: page, per_page, include_totals and sort are
 * ignored here too (the v5 SDK always sends page, per_page and include_totals), while q still
 * filters (Auth0's own log exporters send it along) and fields still projects.
 */
export const logListQuery = z.object({
  ...pagingParams,
  sort: sortParam(['date']),
  ...fieldsParams(LOG_FIELDS),
  q: searchText.optional().describe('Auth0 log search (Lucene query syntax), e.g. `type:s AND user_name:ann*`.'),
  search: searchText.optional().describe('The v5 SDK\'s name for `q`: the same query syntax.'),
  from: z.string().regex(/^[0-9A-Za-z]{1,64}$/, 'expected a log_id').optional().describe('Checkpoint: the logs after this log_id, in log_id order (q still filters; page, per_page, include_totals and sort are ignored).'),
  take: z.coerce.number().int().min(1).max(100).optional().describe('Checkpoint: how many logs (at most 100; default 50). Alone, starts from the oldest log.'),
}).strict().superRefine((query, ctx) => {
  if (query.q !== undefined && query.search !== undefined) ctx.addIssue({ code: 'custom', path: ['search'], message: 'give q or search, not both' });
});

/** GET /users/{id}/logs: Auth0 offers paging and date order only. */
export const userLogsQuery = z.object({ ...pagingParams, sort: sortParam(['date']) }).strict();

export const logIdParams = z.object({ id: z.string().min(1).max(100) });
