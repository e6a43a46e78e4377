import { z } from 'zod';
import { AGE_BUCKETS, UNKNOWN_AGE } from '../../insight/segments/age-buckets.ts';
import { DEMOGRAPHIC_POPULATIONS, TOP_TOPICS } from '../../reports/demographics.report.ts';
import { checkDormantParams, dormantParamsShape } from '../../reports/dormant.report.ts';
import { DEFAULT_TREND_WEEKS } from '../../reports/dormant-trend.report.ts';
import type { InsightReports } from '../../reports/insight-reports.ts';
import { rollupKey, type ReportRollups } from '../../reports/report-rollups.ts';
import { MAX_COHORT_WEEKS } from '../../reports/lifecycle.report.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { maxAgeParam } from './query-params.ts';

const isoDate = z.iso.datetime().describe('ISO 8601 date-time, UTC');
const count = z.number().int();
const valueCounts = z.array(z.object({ value: z.string(), count }));

const dormantSummaryQuery = z.object({
  ...dormantParamsShape,
  weeks: z.coerce.number().int().min(1).max(MAX_COHORT_WEEKS).optional().describe(`ISO weeks in the trend (default ${DEFAULT_TREND_WEEKS}).`),
  max_age: maxAgeParam,
}).strict().superRefine(checkDormantParams);

const dormantSummaryResponse = z.object({
  as_of: isoDate,
  mode: z.enum(['never_returned', 'inactive']),
  days: count.describe('The days the list used (the default of its mode when none were given).'),
  total: count.describe('Rows GET /reports/dormant gives with the same parameters.'),
  weeks: z.array(z.object({ week: z.string().describe('ISO 8601 week, e.g. 2025-W24.'), week_start: isoDate, users: count }))
    .describe('Those users by ISO week of sign-up (never_returned) or of their last sign-in (inactive), oldest first; the last is the week of now − days.'),
  earlier: count.describe('Those before the first week.'),
}).meta({ id: 'DormantSummary' });

const demographicsQuery = z.object({
  population: z.enum(DEMOGRAPHIC_POPULATIONS).default('enriched').describe('enriched (default): users FullContact matched (facts.enrichment); all: every user.'),
  max_age: maxAgeParam,
}).strict();

const demographicsResponse = z.object({
  as_of: isoDate,
  population: z.enum(DEMOGRAPHIC_POPULATIONS),
  users: count.describe('Users in the population.'),
  age: z.array(z.object({ bucket: z.enum([...AGE_BUCKETS.map((b) => b.bucket), UNKNOWN_AGE]), count }))
    .describe('Every bucket, in order; a user counts in the bucket of the youngest age their birth-date bounds allow today (as the segment preview).'),
  gender: valueCounts.describe('The 10 most frequent values, then other and unknown (each only when non-zero).'),
  country: valueCounts.describe('As gender: ISO 3166-1 alpha-2 where known.'),
  topics: z.array(z.object({ topic: z.string(), users: count })).describe(`The ${TOP_TOPICS} most frequent interest topics (facts.interests), most users first.`),
  interest_keys: z.array(z.object({ key: z.string(), users: count })).describe('Users per interest vocabulary key (config insight.interests), most users first.'),
}).meta({ id: 'Demographics' });

/** Beyond the lists: how big a dormant list is and how it grew, and who the shoppers are (the dashboard draws both). */
export function reportAudienceRoutes(reports: InsightReports, rollups: ReportRollups): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/reports/dormant/summary', tag: 'Reports', summary: 'Dormant users: count and weekly trend', scopes: ['read:reports'],
      description: 'The number of users GET /reports/dormant lists with the same parameters (an index count), and those users by ISO week of sign-up '
        + '(never_returned) or of last sign-in (inactive), so a chart shows when they came and did not return, or when they went quiet.',
      query: dormantSummaryQuery,
      responses: { 200: { description: 'The count and the weeks.', schema: dormantSummaryResponse }, 400: auth0Error },
      async handle({ query }) {
        const { weeks, max_age, ...params } = query;
        const body = await rollups.answer(rollupKey('dormant/summary', { ...params, weeks }), max_age, async () => {
          const asOf = reports.now();
          const trend = await reports.dormantTrend(params, asOf, weeks);
          return { as_of: asOf.toISOString(), mode: params.mode, ...trend, weeks: trend.weeks.map((w) => ({ ...w, week_start: w.week_start.toISOString() })) };
        });
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get', path: '/reports/demographics', tag: 'Reports', summary: 'Demographics and interests', scopes: ['read:reports'],
      description: 'Age buckets, gender, country and interests (top topics, vocabulary keys) of the enriched users or of all, each from an aggregation of counts.',
      query: demographicsQuery,
      responses: { 200: { description: 'The distributions.', schema: demographicsResponse }, 400: auth0Error },
      async handle({ query }) {
        const body = await rollups.answer(rollupKey('demographics', { population: query.population }), query.max_age, async () => {
          const asOf = reports.now();
          return { as_of: asOf.toISOString(), population: query.population, ...await reports.demographics(query.population, asOf) };
        });
        return { status: 200, body };
      },
    }),
  ];
}
