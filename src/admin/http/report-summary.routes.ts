import { z } from 'zod';
import { BadRequestError } from '../../errors/app-error.ts';
import { calendarDay, utcDay } from '../../insight/facts/age-bounds.ts';
import type { InsightReports } from '../../reports/insight-reports.ts';
import { rollupKey, type ReportRollups } from '../../reports/report-rollups.ts';
import { DEFAULT_COHORT_WEEKS, MAX_COHORT_WEEKS } from '../../reports/lifecycle.report.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { maxAgeParam } from './query-params.ts';
import { lifecycleResponse, overviewResponse } from './report-schemas.ts';

const DAY_MS = 86_400_000;
const DEFAULT_RANGE_DAYS = 30;
const MAX_RANGE_DAYS = 366;

/** YYYY-MM-DD, a real calendar day, as the UTC midnight that starts it. */
const dayParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').transform((value, ctx) => {
  const [year, month, day] = value.split('-').map(Number);
  const date = calendarDay(year, month, day);
  if (!date) ctx.addIssue({ code: 'custom', message: `${value} is not a calendar day` });
  return date ?? z.NEVER;
});

const lifecycleQuery = z.object({
  weeks: z.coerce.number().int().min(1).max(MAX_COHORT_WEEKS).optional()
    .describe(`Sign-up cohorts: the current ISO week and the ones before it, this many in all (default ${DEFAULT_COHORT_WEEKS}, at most ${MAX_COHORT_WEEKS}).`),
  max_age: maxAgeParam,
}).strict();

const overviewQuery = z.object({
  from: dayParam.optional().describe(`First day, YYYY-MM-DD (UTC, inclusive); default ${DEFAULT_RANGE_DAYS} days before \`to\`.`),
  to: dayParam.optional().describe('Day after the last one, YYYY-MM-DD (UTC, exclusive); default tomorrow, so today is the last day.'),
  max_age: maxAgeParam,
}).strict();

/** The day range of the overview, half-open; at most MAX_RANGE_DAYS days, so the answer stays small. */
function overviewRange(query: { from?: Date; to?: Date }, now: Date): { from: Date; to: Date } {
  const to = query.to ?? new Date(utcDay(now).getTime() + DAY_MS);
  const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (from >= to) throw new BadRequestError('Query parameter "to": must be after from (the range is [from, to)).', 'invalid_query_string');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) throw new BadRequestError(`Query parameter "from": the range may cover at most ${MAX_RANGE_DAYS} days.`, 'invalid_query_string');
  return { from, to };
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * The figures the dashboard draws: lifecycle states and retention cohorts, and the overview.
 * `logsLagMs`: how long after its moment a sign-in's log may still be written (it is written in a
 * batch, events.gather_ms): the overview is as of that long ago, so that it has every sign-in before
 * its as_of and the dashboard's replay of those after it misses none.
 */
export function reportSummaryRoutes(reports: InsightReports, rollups: ReportRollups, { logsLagMs }: { logsLagMs: number }): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/reports/lifecycle', tag: 'Reports', summary: 'Lifecycle and retention', scopes: ['read:reports'],
      description: 'Users per lifecycle state now, and the weekly sign-up cohorts: for each ISO week of sign-up, the share of its users who signed in '
        + 'in their week 0, 1, 2, … after signing up (facts.active_weeks), among those who have reached that week.',
      query: lifecycleQuery,
      responses: { 200: { description: 'The states and the cohort table.', schema: lifecycleResponse }, 400: auth0Error },
      async handle({ query }) {
        const body = await rollups.answer(rollupKey('lifecycle', { weeks: query.weeks }), query.max_age, async () => {
          const asOf = reports.now();
          const report = await reports.lifecycle(asOf, query.weeks);
          return {
            as_of: asOf.toISOString(), total: report.total, states: report.states, windows: reports.windows,
            cohorts: report.cohorts.map((cohort) => ({ ...cohort, week_start: cohort.week_start.toISOString() })),
          };
        });
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get', path: '/reports/overview', tag: 'Reports', summary: 'Overview', scopes: ['read:reports'],
      description: 'Users, sign-ups and sign-ins per day and connection, DAU/WAU/MAU, enrichment coverage, sentiment, hook-job health and the event backlog, '
        + 'each from an index count or an aggregation of counts.',
      query: overviewQuery,
      responses: { 200: { description: 'The overview.', schema: overviewResponse }, 400: auth0Error },
      async handle({ query }) {
        const range = overviewRange(query, reports.now());
        const body = await rollups.answer(rollupKey('overview', range), query.max_age, async () => {
          const asOf = new Date(reports.now().getTime() - logsLagMs);
          const overview = await reports.overview(range, asOf);
          const { events } = overview;
          return {
            as_of: asOf.toISOString(), from: range.from.toISOString(), to: range.to.toISOString(), ...overview,
            events: { ...events, oldest_unsent_at: iso(events.oldest_unsent_at), oldest_pending_at: iso(events.oldest_pending_at) },
          };
        });
        return { status: 200, body };
      },
    }),
  ];
}
