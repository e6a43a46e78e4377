import { parseDateSpan } from '../../search/search-values.ts';
import type { DateCondition } from './segment-filter-schema.ts';

type MongoFilter = Record<string, unknown>;
const DAY_MS = 86_400_000;

/**
 * An ISO 8601 date or date-time as the instant it starts at: `2025-01-31` is midnight UTC,
 * `2025-01-31T12:00:00+02:00` is 10:00 UTC. The same reader as the search syntax (search-values.ts),
 * so a date means the same in a filter and in `q`. Undefined when the text is no valid date.
 */
export function parseFilterDate(text: string): Date | undefined {
  try {
    return parseDateSpan(text, 0).start;
  } catch {
    return undefined;
  }
}

/** The start of a window of `days` × 24 hours that ends at `now`. */
export function windowStart(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * A date condition on `path`:
 * - `{ from, to }`: from ≤ date < to (half-open, so consecutive ranges never share an instant);
 * - `{ within_days: N }`: date ≥ now − N×24 h (the instant at the edge is inside);
 * - `{ not_within_days: N }`: exactly NOT within_days — so a user without the date (never signed
 *   in: no last_login) matches: they have not signed in within the last N days either. Marketing's
 *   "hasn't been back for 30 days" means them too; to leave them out, add logins_count or q.
 */
export function compileDateCondition(path: string, condition: DateCondition, now: Date): MongoFilter {
  if (condition.within_days !== undefined) return { [path]: { $gte: windowStart(now, condition.within_days) } };
  if (condition.not_within_days !== undefined) return { $nor: [{ [path]: { $gte: windowStart(now, condition.not_within_days) } }] };
  const range: Record<string, Date> = {};
  if (condition.from !== undefined) range.$gte = parseFilterDate(condition.from)!;
  if (condition.to !== undefined) range.$lt = parseFilterDate(condition.to)!;
  return { [path]: range };
}
