import type { PipelineStage } from 'mongoose';
import { LIFECYCLE_STATES, type LifecycleState } from '../insight/lifecycle/lifecycle-state.ts';
import type { UserModel } from '../users/user.model.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** A Monday, 00:00 UTC: ISO weeks are counted from it. */
const MONDAY = new Date('1970-01-05T00:00:00Z');
/** facts.active_weeks keeps the newest 104 weeks (src/insight/user-insight.ts). */
export const MAX_COHORT_WEEKS = 104;
export const DEFAULT_COHORT_WEEKS = 12;

export interface RetentionCell {
  /** Weeks since sign-up: 0 is the 7 days from the user's own sign-up instant. */
  week: number;
  /** Members whose week `week` has begun. */
  eligible: number;
  /** Of those, members who signed in during it. */
  active: number;
  /** active / eligible, 4 decimals. */
  share: number;
}

export interface Cohort { week: string; week_start: Date; users: number; retention: RetentionCell[] }

export interface LifecycleReport {
  states: Record<LifecycleState, number> & { unknown: number };
  total: number;
  cohorts: Cohort[];
}

/** The Monday (00:00 UTC) of the ISO week `at` is in. */
export function isoWeekStart(at: Date): Date {
  return new Date(at.getTime() - ((((at.getTime() - MONDAY.getTime()) % WEEK_MS) + WEEK_MS) % WEEK_MS));
}

/** ISO 8601 week label of a Monday: the year is the one its Thursday is in (`2025-W01` may start in December 2024). */
export function isoWeekLabel(monday: Date): string {
  const thursday = new Date(monday.getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The sign-ups the cohort table covers: the current ISO week and the `weeks` − 1 before it, [first Monday, next Monday). */
export function cohortRange(now: Date, weeks: number): { from: Date; to: Date } {
  const current = isoWeekStart(now);
  return { from: new Date(current.getTime() - (weeks - 1) * WEEK_MS), to: new Date(current.getTime() + WEEK_MS) };
}

/**
 * The weekly sign-up cohorts in one aggregation (pure builder). A cohort is the users who signed up
 * in one ISO week (Monday 00:00 UTC to the next); "weeks since sign-up" is the user's own 7-day
 * periods from created_at, as facts.active_weeks counts them (a sign-in in week k puts k there).
 * Two facets: members per (cohort, weeks reached by now), for the eligible counts; and, through
 * $unwind of active_weeks, members per (cohort, active week).
 */
export function buildCohortPipeline(now: Date, weeks: number): PipelineStage[] {
  const { from, to } = cohortRange(now, weeks);
  const weeksSince = (start: unknown, end: unknown) => ({ $floor: { $divide: [{ $subtract: [end, start] }, WEEK_MS] } });
  return [
    { $match: { created_at: { $gte: from, $lt: to } } },
    { $project: { _id: 0, cohort: weeksSince(MONDAY, '$created_at'), reached: weeksSince('$created_at', now), weeks: { $ifNull: ['$facts.active_weeks', []] } } },
    {
      $facet: {
        reached: [{ $group: { _id: { cohort: '$cohort', reached: '$reached' }, users: { $sum: 1 } } }],
        active: [{ $unwind: '$weeks' }, { $group: { _id: { cohort: '$cohort', week: '$weeks' }, users: { $sum: 1 } } }],
      },
    },
  ];
}

type Group<K> = { _id: K; users: number };

/** The table from the two facets' counts (at most weeks × weeks groups). Cohorts without sign-ups are listed, empty. */
export function cohortTable(facets: { reached: Group<{ cohort: number; reached: number }>[]; active: Group<{ cohort: number; week: number }>[] }, now: Date, weeks: number): Cohort[] {
  const first = Math.round((cohortRange(now, weeks).from.getTime() - MONDAY.getTime()) / WEEK_MS);
  return Array.from({ length: weeks }, (_, i) => {
    const cohort = first + i;
    const week_start = new Date(MONDAY.getTime() + cohort * WEEK_MS);
    const reached = facets.reached.filter((g) => g._id.cohort === cohort);
    const users = reached.reduce((sum, g) => sum + g.users, 0);
    const furthest = Math.max(-1, ...reached.map((g) => g._id.reached));
    const retention = Array.from({ length: furthest + 1 }, (_, week): RetentionCell => {
      const eligible = reached.filter((g) => g._id.reached >= week).reduce((sum, g) => sum + g.users, 0);
      const active = facets.active.find((g) => g._id.cohort === cohort && g._id.week === week)?.users ?? 0;
      return { week, eligible, active, share: eligible ? Math.round((active / eligible) * 10_000) / 10_000 : 0 };
    });
    return { week: isoWeekLabel(week_start), week_start, users, retention };
  });
}

/**
 * Users per lifecycle state as stored (one count per state through the facts.lifecycle.state
 * index; the sweep keeps states at most insight.sweep_seconds behind the clock), users without a
 * lifecycle as `unknown`, and the cohort table.
 */
export async function runLifecycleReport(users: UserModel, now: Date, weeks = DEFAULT_COHORT_WEEKS): Promise<LifecycleReport> {
  const [total, counts, [facets]] = await Promise.all([
    users.collection.countDocuments({}),
    Promise.all(LIFECYCLE_STATES.map((state) => users.collection.countDocuments({ 'facts.lifecycle.state': state }))),
    users.aggregate(buildCohortPipeline(now, weeks)).exec(),
  ]);
  const states = Object.fromEntries(LIFECYCLE_STATES.map((state, i) => [state, counts[i]])) as LifecycleReport['states'];
  states.unknown = Math.max(0, total - counts.reduce((sum, n) => sum + n, 0));
  return { states, total, cohorts: cohortTable(facets, now, weeks) };
}
