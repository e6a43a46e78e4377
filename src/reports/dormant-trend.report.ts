import type { PipelineStage } from 'mongoose';
import type { LifecycleWindows } from '../insight/lifecycle/lifecycle-windows.ts';
import { afterDays } from '../insight/lifecycle/lifecycle-windows.ts';
import type { UserModel } from '../users/user.model.ts';
import { buildDormantFilter, defaultDormantDays, type DormantParams } from './dormant.report.ts';
import { isoWeekLabel, isoWeekStart } from './lifecycle.report.ts';

const WEEK_MS = 7 * 86_400_000;
/** A Monday, 00:00 UTC: ISO weeks are counted from it. */
const MONDAY = new Date('1970-01-05T00:00:00Z');
export const DEFAULT_TREND_WEEKS = 12;

export interface DormantTrend {
  days: number;
  /** Every user the dormant report lists with these parameters. */
  total: number;
  /** Those users by ISO week of the date that qualifies them, oldest week first (the newest is the cutoff's week). */
  weeks: { week: string; week_start: Date; users: number }[];
  /** Those before the first week. */
  earlier: number;
}

/**
 * The size of a dormant list and how it built up: the very filter of GET /reports/dormant (so
 * `total` is its number of rows), counted through the index, and its users grouped by ISO week of
 * sign-up (never_returned: when they came and did not come back) or of their last sign-in
 * (inactive: when they went quiet). Every member's date is at or before the cutoff (now − days),
 * so the weeks run up to the cutoff's week.
 */
export function trendRange(cutoff: Date, weeks: number): { from: Date; to: Date } {
  const last = isoWeekStart(cutoff);
  return { from: new Date(last.getTime() - (weeks - 1) * WEEK_MS), to: new Date(last.getTime() + WEEK_MS) };
}

export function buildDormantTrendPipeline(filter: Record<string, unknown>, field: 'created_at' | 'last_login', range: { from: Date; to: Date }): PipelineStage[] {
  return [
    { $match: { $and: [filter, { [field]: { $gte: range.from, $lt: range.to } }] } },
    { $project: { _id: 0, week: { $floor: { $divide: [{ $subtract: [`$${field}`, MONDAY] }, WEEK_MS] } } } },
    { $group: { _id: '$week', users: { $sum: 1 } } },
  ];
}

export async function runDormantTrend(users: UserModel, params: DormantParams, windows: LifecycleWindows, now: Date, weeks = DEFAULT_TREND_WEEKS): Promise<DormantTrend> {
  const days = params.days ?? defaultDormantDays(params.mode, windows);
  const filter = buildDormantFilter(params, windows, now);
  const field = params.mode === 'never_returned' ? 'created_at' : 'last_login';
  const range = trendRange(afterDays(now, -days), weeks);
  const [total, groups] = await Promise.all([
    users.collection.countDocuments(filter),
    users.aggregate<{ _id: number; users: number }>(buildDormantTrendPipeline(filter, field, range)).exec(),
  ]);
  const first = Math.round((range.from.getTime() - MONDAY.getTime()) / WEEK_MS);
  const rows = Array.from({ length: weeks }, (_, i) => {
    const week_start = new Date(MONDAY.getTime() + (first + i) * WEEK_MS);
    return { week: isoWeekLabel(week_start), week_start, users: groups.find((g) => g._id === first + i)?.users ?? 0 };
  });
  return { days, total, weeks: rows, earlier: total - rows.reduce((sum, w) => sum + w.users, 0) };
}
