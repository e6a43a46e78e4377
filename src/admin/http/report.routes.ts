import { z } from 'zod';
import type { SegmentFilter } from '../../insight/segments/segment-filter.ts';
import { checkDormantParams, dormantParamsShape } from '../../reports/dormant.report.ts';
import type { InsightReports } from '../../reports/insight-reports.ts';
import type { ReportRollups } from '../../reports/report-rollups.ts';
import { sentimentParamsShape } from '../../reports/sentiment.report.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { maxAgeParam } from './query-params.ts';
import { answerRows, checkRowOutput, rowOutputParams, rowsResponse } from './report-output.ts';
import { dormantUserRow, segmentUserRow, sentimentRow } from './report-schemas.ts';
import { segmentBody } from './segment-preview.routes.ts';

/** A JSON page of a list may be a roll-up too: the dashboard shows the first rows of each. */
const pageMaxAge = { max_age: maxAgeParam.describe('JSON pages: seconds; a page computed at most this long ago may be served; 0 or absent: read now. Not with csv or ndjson.') };
const dormantQuery = z.object({ ...dormantParamsShape, ...rowOutputParams, ...pageMaxAge }).strict().superRefine((query, ctx) => {
  checkDormantParams(query, ctx);
  checkRowOutput(query, ctx);
});
const sentimentQuery = z.object({ ...sentimentParamsShape, ...rowOutputParams, ...pageMaxAge }).strict().superRefine(checkRowOutput);
const outputQuery = z.object(rowOutputParams).strict().superRefine(checkRowOutput);

/** The campaign lists (README "Customer insight"): one row per user, as JSON pages or streamed CSV/NDJSON. */
export function reportRoutes(reports: InsightReports, rollups: ReportRollups): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/reports/dormant', tag: 'Reports', summary: 'Dormant users', scopes: ['read:reports'],
      description: 'Users who registered and never came back (mode=never_returned: not back after the sign-up session, signed up at least `days` ago; '
        + `default days = insight.lifecycle.new_days, ${reports.windows.new_days}), or who came back once and then stopped (mode=inactive: no sign-in for \`days\`; `
        + `default dormant_days, ${reports.windows.dormant_days}). Read from the lifecycle each user carries. Oldest sign-up first.`,
      query: dormantQuery,
      responses: { 200: rowsResponse(dormantUserRow, 'The users, oldest sign-up first'), 400: auth0Error },
      handle: ({ query }, call, res) => answerRows(reports, reports.dormant(query), query, call, res, rollups),
    }),
    defineRoute({
      method: 'get', path: '/reports/sentiment', tag: 'Reports', summary: 'Users by sentiment', scopes: ['read:reports'],
      description: 'Users whose tweets about the store were analysed (the sentiment hook or an Auth0 rule), most negative first.',
      query: sentimentQuery,
      responses: { 200: rowsResponse(sentimentRow, 'The analysed users, lowest score first'), 400: auth0Error },
      handle: ({ query }, call, res) => answerRows(reports, reports.sentiment(query), query, call, res, rollups),
    }),
    defineRoute({
      method: 'post', path: '/reports/segments/users', tag: 'Reports', summary: 'Users of a segment', scopes: ['read:reports'],
      description: 'The users an ad-hoc segment filter matches now (the same body as the preview), oldest sign-up first, with the facts '
        + 'a campaign list needs: gender, age range, place, the interests that matched, connection. Nothing is saved.',
      query: outputQuery,
      body: segmentBody,
      responses: { 200: rowsResponse(segmentUserRow, 'The members, oldest sign-up first'), 400: auth0Error },
      handle: ({ query, body }, call, res) => {
        const filter: SegmentFilter = body.filter ?? { q: body.q };
        return answerRows(reports, reports.segment(filter), query, call, res);
      },
    }),
  ];
}
