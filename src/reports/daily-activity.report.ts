import type { PipelineStage } from 'mongoose';
import type { LogModel } from '../logs/log.model.ts';
import { IS_SIGNUP, SIGNED_IN, signInEventsMatch } from './daily-stats.report.ts';

const DAY_MS = 86_400_000;

export interface ConnectionActivity { connection: string; signups: number; signins: number }
export interface DailyActivity { date: string; signups: number; signins: number; connections: ConnectionActivity[] }

/** Events without a connection (none are written so, but logs are Auth0's shape and may be imported). */
export const NO_CONNECTION = 'unknown';

/**
 * Sign-ups and sign-ins per UTC day and connection over [from, to), from the log events through
 * the { type, date } index. A sign-in is what /stats/daily counts as a login (daily-stats.report.ts):
 * an `s`, or an `ss` that signed the user in (not a verify-first sign-up).
 */
export function buildDailyActivityPipeline(from: Date, to: Date): PipelineStage[] {
  return [
    signInEventsMatch(from, to),
    {
      $group: {
        _id: { day: { $dateToString: { format: '%Y-%m-%d', date: '$date' } }, connection: { $ifNull: ['$connection', NO_CONNECTION] } },
        signups: { $sum: { $cond: [IS_SIGNUP, 1, 0] } },
        signins: { $sum: { $cond: [SIGNED_IN, 1, 0] } },
      },
    },
  ];
}

type Group = { _id: { day: string; connection: string }; signups: number; signins: number };

/** Every day of the range, oldest first (zeros where nothing happened); connections by name within a day. */
export function dailyActivityRows(groups: Group[], from: Date, to: Date): DailyActivity[] {
  const days: DailyActivity[] = [];
  for (let at = from.getTime(); at < to.getTime(); at += DAY_MS) {
    const date = new Date(at).toISOString().slice(0, 10);
    const connections = groups.filter((g) => g._id.day === date)
      .map((g) => ({ connection: g._id.connection, signups: g.signups, signins: g.signins }))
      .sort((a, b) => (a.connection < b.connection ? -1 : a.connection > b.connection ? 1 : 0));
    const sum = (key: 'signups' | 'signins') => connections.reduce((total, c) => total + c[key], 0);
    days.push({ date, signups: sum('signups'), signins: sum('signins'), connections });
  }
  return days;
}

/** `from` and `to` are UTC midnights; `until`: only events before it are counted (the days are still [from, to)). */
export async function runDailyActivity(logs: LogModel, from: Date, to: Date, until = to): Promise<DailyActivity[]> {
  const end = new Date(Math.min(to.getTime(), until.getTime()));
  return dailyActivityRows(await logs.aggregate<Group>(buildDailyActivityPipeline(from, end)).exec(), from, to);
}
