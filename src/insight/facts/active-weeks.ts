/**
 * `facts.active_weeks`: the weeks since sign-up in which the user signed in, for the retention
 * cohorts (cohort week × weeks since sign-up). A week is a whole 7-day period from created_at (not
 * a calendar week: every cohort's week 0 is as long), 0 being the sign-up week. Kept sorted,
 * the newest ACTIVE_WEEKS_KEPT, so a loyal shopper's document stays small.
 */
export const ACTIVE_WEEKS_KEPT = 104;

const WEEK_MS = 7 * 86_400_000;

/** The week since sign-up of a sign-in at `at` (0 for a clock that puts it before created_at). */
export function weekSinceSignUp(createdAt: Date, at: Date): number {
  return Math.max(0, Math.floor((at.getTime() - createdAt.getTime()) / WEEK_MS));
}

/** The stored weeks with `week` added: sorted, no repeats, the newest ACTIVE_WEEKS_KEPT. */
export function withActiveWeek(weeks: readonly number[] | undefined, week: number): number[] {
  const known = weeks ?? [];
  if (known.includes(week)) return [...known];
  return [...known, week].sort((a, b) => a - b).slice(-ACTIVE_WEEKS_KEPT);
}
