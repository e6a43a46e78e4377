import { z } from 'zod';
import type { LifecycleState } from '../insight/lifecycle/lifecycle-state.ts';
import { afterDays, type LifecycleWindows } from '../insight/lifecycle/lifecycle-windows.ts';
import { parseFilterDate } from '../insight/segments/segment-dates.ts';
import { CONNECTIONS } from '../auth/connections.ts';
import type { UserDoc } from '../users/user.model.ts';
import { isoOrNull, primaryConnection, type MongoFilter, type RowReport } from './row-report.ts';

/**
 * Who has not come back, in two modes (README "Customer insight"), both read from the lifecycle
 * kept on every user (src/insight/lifecycle) so they mean what its states and events mean:
 * - `never_returned`: never back after the sign-up session (lifecycle `new` or `never_returned`)
 *   and signed up at least `days` days ago. `days` defaults to the lifecycle's new_days (14): then
 *   it is exactly the state never_returned, without waiting for the sweep to move `new` users on.
 *   A smaller `days` reaches into `new`, a larger one keeps the older sign-ups only.
 * - `inactive`: came back at least once (active, lapsing, dormant, reactivated), but not signed in
 *   for `days` days. `days` defaults to dormant_days (90): then it is exactly the state dormant.
 * "N days ago" is N × 24 h before now; the edges are the lifecycle's (at exactly N days the user is in).
 */
export const DORMANT_MODES = ['never_returned', 'inactive'] as const;
/** The connections a user can be in: another name would match nobody, and an empty list reads as "no one dormant". */
export type DormantMode = (typeof DORMANT_MODES)[number];

const NOT_BACK: LifecycleState[] = ['new', 'never_returned'];
const CAME_BACK: LifecycleState[] = ['active', 'lapsing', 'dormant', 'reactivated'];

const isoDate = z.string().max(40).transform((text, ctx) => {
  const at = parseFilterDate(text);
  if (!at) ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date or date-time, such as 2025-01-31 or 2025-01-31T12:00:00Z' });
  return at ?? z.NEVER;
});

/** The report's parameters as strings (a query string, a command line); the HTTP route and the CLI parse with these. */
export const dormantParamsShape = {
  mode: z.enum(DORMANT_MODES).default('never_returned').describe('never_returned: not back after the sign-up session; inactive: came back once, then not signed in for `days`.'),
  days: z.coerce.number().int().min(1).max(36_500).optional()
    .describe('never_returned: signed up at least this many days ago (default insight.lifecycle.new_days, 14); inactive: not signed in for this many days (default dormant_days, 90).'),
  connection: z.enum(CONNECTIONS, { error: `the connection does not exist; insole names connections: ${CONNECTIONS.join(', ')}` }).optional()
    .describe('Only users with an identity in this connection; another name is a 400 naming the connections.'),
  created_from: isoDate.optional().describe('Signed up at or after this date (ISO 8601, UTC unless it has an offset).'),
  created_to: isoDate.optional().describe('Signed up before this date (exclusive).'),
};

export type DormantParams = { mode: DormantMode; days?: number; connection?: string; created_from?: Date; created_to?: Date };

/** The one check across parameters: a sign-up range must not be empty. */
export function checkDormantParams(params: DormantParams, ctx: z.RefinementCtx): void {
  if (params.created_from && params.created_to && params.created_from >= params.created_to) {
    ctx.addIssue({ code: 'custom', path: ['created_to'], message: 'must be after created_from' });
  }
}

export const DORMANT_COLUMNS = [
  { name: 'email' }, { name: 'name' }, { name: 'user_id' }, { name: 'connection' },
  { name: 'created_at', date: true }, { name: 'last_login', date: true }, { name: 'logins_count' },
] as const;

export interface DormantRow {
  email: string | null; name: string | null; user_id: string; connection: string | null;
  created_at: string; last_login: string | null; logins_count: number;
}

/** The days the mode means when none are given: the lifecycle window it mirrors. */
export const defaultDormantDays = (mode: DormantMode, windows: LifecycleWindows) => (mode === 'never_returned' ? windows.new_days : windows.dormant_days);

/**
 * The filter (pure). Served by the index (facts.lifecycle.state, created_at, user_id): one range
 * per state, merged in sign-up order.
 */
export function buildDormantFilter(params: DormantParams, windows: LifecycleWindows, now: Date): MongoFilter {
  const days = params.days ?? defaultDormantDays(params.mode, windows);
  const cutoff = afterDays(now, -days);
  const created: Record<string, Date> = {};
  if (params.created_from) created.$gte = params.created_from;
  if (params.created_to) created.$lt = params.created_to;
  const mode: MongoFilter = params.mode === 'never_returned'
    ? { 'facts.lifecycle.state': { $in: NOT_BACK }, created_at: { ...created, $lte: cutoff } }
    : { 'facts.lifecycle.state': { $in: CAME_BACK }, last_login: { $lte: cutoff }, ...(Object.keys(created).length ? { created_at: created } : {}) };
  return params.connection ? { ...mode, 'identities.connection': params.connection } : mode;
}

export function dormantRow(user: UserDoc): DormantRow {
  return {
    email: user.email ?? null, name: user.name ?? null, user_id: user.user_id, connection: primaryConnection(user),
    created_at: user.created_at.toISOString(), last_login: isoOrNull(user.last_login), logins_count: user.logins_count ?? 0,
  };
}

/** The dormant report at `now`, oldest sign-up first. */
export function dormantReport(params: DormantParams, windows: LifecycleWindows, now: Date): RowReport<DormantRow> {
  return {
    name: `dormant-${params.mode}`,
    columns: DORMANT_COLUMNS,
    query: {
      filter: buildDormantFilter(params, windows, now),
      sort: { field: 'created_at', kind: 'date' },
      projection: { user_id: 1, email: 1, name: 1, 'identities.connection': 1, created_at: 1, last_login: 1, logins_count: 1 },
    },
    row: dormantRow,
  };
}
