import { z } from 'zod';
import type { DailyStatsRow } from '../../reports/daily-stats.report.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';

const DAY_MS = 24 * 3600 * 1000;
const ACTIVE_WINDOW_DAYS = 30;
const DEFAULT_RANGE_DAYS = 30;

/** YYYYMMDD, a real calendar day, as the UTC midnight that starts it. */
const dayParam = z.string().regex(/^\d{8}$/, 'expected YYYYMMDD').transform((value, ctx) => {
  const [year, month, day] = [value.slice(0, 4), value.slice(4, 6), value.slice(6)].map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    ctx.addIssue({ code: 'custom', message: `${value} is not a calendar day` });
    return z.NEVER;
  }
  return date;
});

const dailyQuery = z.object({
  from: dayParam.optional().describe(`First day (inclusive), YYYYMMDD in UTC; default ${DEFAULT_RANGE_DAYS - 1} days before \`to\`.`),
  to: dayParam.optional().describe('Last day (inclusive), YYYYMMDD in UTC; default today.'),
}).strict().refine((query) => !query.from || !query.to || query.from <= query.to, { path: ['to'], message: 'must not be before from' });

const dailyStats = z.array(z.object({
  date: z.string().describe('The day (UTC midnight), ISO 8601.'),
  logins: z.number().int().describe('Successful logins (`s`), plus sign-ups that signed the user in (`ss`): Auth0 logs those as `ss` then `s`.'),
  signups: z.number().int().describe('Successful sign-ups (`ss`).'),
  leaked_passwords: z.number().int().describe('Always 0: insole has no breached-password detection.'),
  updated_at: z.string().describe('The last event counted that day, ISO 8601.'),
  created_at: z.string().describe('The first event counted that day, ISO 8601.'),
})).meta({ id: 'DailyStats' });

export interface StatsReports {
  dailyStats(from: Date, to: Date): Promise<DailyStatsRow[]>;
  activeUsers(since: Date): Promise<number>;
  now(): Date;
}

const startOfUtcDay = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

/** Auth0's /stats: daily logins and sign-ups from the log events, and the active-user count. */
export function statsRoutes(reports: StatsReports): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/stats/daily', tag: 'Stats', summary: 'Get daily stats', scopes: ['read:stats'],
      description: 'One entry per UTC day of the range that had a login or a sign-up; days without any are left out. '
        + '`leaked_passwords` is always 0: insole has no breached-password detection.',
      query: dailyQuery,
      responses: { 200: { description: 'The days, oldest first.', schema: dailyStats }, 400: auth0Error },
      async handle({ query }) {
        const to = query.to ?? startOfUtcDay(reports.now());
        const from = query.from ?? new Date(to.getTime() - (DEFAULT_RANGE_DAYS - 1) * DAY_MS);
        if (from > to) return { status: 200, body: [] }; // only `from` given, after today: nothing happened yet
        const rows = await reports.dailyStats(from, new Date(to.getTime() + DAY_MS));
        return {
          status: 200,
          body: rows.map((row) => ({
            date: row.date.toISOString(), logins: row.logins, signups: row.signups, leaked_passwords: 0,
            updated_at: row.last_event.toISOString(), created_at: row.first_event.toISOString(),
          })),
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/stats/active-users', tag: 'Stats', summary: 'Get the active-user count', scopes: ['read:stats'],
      description: `Distinct users who signed in during the last ${ACTIVE_WINDOW_DAYS} days (their last_login), as a bare number.`,
      responses: { 200: { description: 'The count.', schema: z.number().int() } },
      async handle() {
        return { status: 200, body: await reports.activeUsers(new Date(reports.now().getTime() - ACTIVE_WINDOW_DAYS * DAY_MS)) };
      },
    }),
  ];
}
