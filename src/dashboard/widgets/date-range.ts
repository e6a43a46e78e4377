const DAY_MS = 86_400_000;
export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 366;

/** The picker's range: `from` and `to` are both shown days (inclusive); the API's `to` is the day after (exclusive). */
export interface DayRange { from: string; to: string; apiTo: string; error?: string }

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
// A day that exists: 2026-02-30 parses as 2026-03-02 (caught by the round trip), 2026-13-01 not at all (NaN, which toISOString throws on).
const isDay = (value: unknown): value is string => {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && dayOf(ms) === value;
};

/** From the query string; a bad or too long range falls back to the last 30 days, saying why. */
export function parseDayRange(query: { from?: unknown; to?: unknown }, now: Date): DayRange {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const fallback = (error?: string): DayRange => ({ from: dayOf(today - (DEFAULT_DAYS - 1) * DAY_MS), to: dayOf(today), apiTo: dayOf(today + DAY_MS), ...(error ? { error } : {}) });
  if (query.from === undefined && query.to === undefined) return fallback();
  if (!isDay(query.from) || !isDay(query.to)) return fallback('Choose both days of the range (YYYY-MM-DD).');
  const from = Date.parse(`${query.from}T00:00:00Z`);
  const to = Date.parse(`${query.to}T00:00:00Z`);
  if (from > to) return fallback('The first day must not be after the last.');
  if ((to - from) / DAY_MS + 1 > MAX_DAYS) return fallback(`A range covers at most ${MAX_DAYS} days.`);
  return { from: query.from, to: query.to, apiTo: dayOf(to + DAY_MS) };
}
