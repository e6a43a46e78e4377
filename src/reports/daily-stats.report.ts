import type { PipelineStage } from 'mongoose';
import type { LogModel } from '../logs/log.model.ts';

export interface DailyStatsRow {
  /** The UTC day, at midnight. */
  date: Date;
  logins: number;
  signups: number;
  /** The day's first and last counted event. */
  first_event: Date;
  last_event: Date;
}

/** Among `s` and `ss` events (signInEventsMatch): a sign-up, and an event that signed the user in (see below). */
export const IS_SIGNUP = { $eq: ['$type', 'ss'] };
export const SIGNED_IN = { $or: [{ $eq: ['$type', 's'] }, { $ne: ['$details.signed_in', false] }] };

/** Sign-ins and sign-ups over [from, to), through the { type, date } index. */
export const signInEventsMatch = (from: Date, to: Date): PipelineStage.Match => ({ $match: { type: { $in: ['s', 'ss'] }, date: { $gte: from, $lt: to } } });

/**
 * Logins and sign-ups per UTC day over [from, to), read from the log events through the
 * { type, date } index. Auth0 records a sign-up through its login page as `ss` followed by `s`, so
 * its daily logins include the new user's first login. insole writes the `ss` alone (the sign-up
 * is that first login, logins_count 1), so an `ss` counts as a login too — except a verify-first
 * sign-up (`details.signed_in: false`), whose first login comes later as its own `s`.
 */
export function dailyStatsPipeline(from: Date, to: Date): PipelineStage[] {
  return [
    signInEventsMatch(from, to),
    {
      $group: {
        _id: { $dateToString: { format: '%Y-%m-%d', date: '$date' } },
        logins: { $sum: { $cond: [SIGNED_IN, 1, 0] } },
        signups: { $sum: { $cond: [IS_SIGNUP, 1, 0] } },
        first_event: { $min: '$date' },
        last_event: { $max: '$date' },
      },
    },
    { $sort: { _id: 1 } },
  ];
}

/** Days without a login or a sign-up have no row. */
export async function runDailyStats(logs: LogModel, from: Date, to: Date): Promise<DailyStatsRow[]> {
  const rows = await logs.aggregate<Omit<DailyStatsRow, 'date'> & { _id: string }>(dailyStatsPipeline(from, to)).exec();
  return rows.map(({ _id, ...row }) => ({ date: new Date(`${_id}T00:00:00.000Z`), ...row }));
}
