import { Router } from 'express';
import type { ManagementClient } from '../management-client.ts';
import { signedIn } from '../session/session-guard.ts';
import type { DemographicsAnswer, DormantRow, DormantSummaryAnswer, LifecycleAnswer, OverviewAnswer, SegmentAnswer, SentimentRow } from '../widgets/api-answers.ts';
import { parseDayRange } from '../widgets/date-range.ts';
import {
  activityChart, cohortGrid, demographicCharts, dormantTrendChart, enrichmentChart, lifecycleChart, orderSegments, PREORDER_KEY, sentimentChart, sumOf,
} from '../widgets/overview-widgets.ts';
import { renderPage, widget, type PageKit } from './dashboard-page.ts';

export const LIST_PREVIEW_ROWS = 5;

/**
 * The dashboard: every widget from the Management API's report endpoints (counts and roll-ups,
 * never users in bulk), all asked at once with the user's token. The summaries and the short lists
 * may be roll-ups up to `maxAge` seconds old (config dashboard.report_max_age_seconds): the live counters replay the
 * sign-ins after the overview's as_of. A widget whose endpoint refuses
 * (a role without that scope) says so; the others still show.
 */
export function overviewRoutes({ api, kit, maxAge }: { api: ManagementClient; kit: PageKit; maxAge: number }): Router {
  const router = Router();
  router.get('/admin', async (req, res) => {
    const { session } = signedIn(req);
    const token = session.access_token;
    const range = parseDayRange(req.query as Record<string, unknown>, new Date());
    const [overview, lifecycle, neverReturned, inactive, neverReturnedRows, inactiveRows, unhappy, demographics, segments] = await Promise.all([
      widget(api.get<OverviewAnswer>(token, '/reports/overview', { from: range.from, to: range.apiTo, max_age: maxAge })),
      widget(api.get<LifecycleAnswer>(token, '/reports/lifecycle', { weeks: 12, max_age: maxAge })),
      widget(api.get<DormantSummaryAnswer>(token, '/reports/dormant/summary', { mode: 'never_returned', max_age: maxAge })),
      widget(api.get<DormantSummaryAnswer>(token, '/reports/dormant/summary', { mode: 'inactive', max_age: maxAge })),
      widget(api.page<DormantRow>(token, '/reports/dormant', { mode: 'never_returned', take: LIST_PREVIEW_ROWS, max_age: maxAge })),
      widget(api.page<DormantRow>(token, '/reports/dormant', { mode: 'inactive', take: LIST_PREVIEW_ROWS, max_age: maxAge })),
      widget(api.page<SentimentRow>(token, '/reports/sentiment', { label: 'negative', take: LIST_PREVIEW_ROWS, max_age: maxAge })),
      widget(api.get<DemographicsAnswer>(token, '/reports/demographics', { max_age: maxAge })),
      widget(api.get<SegmentAnswer[]>(token, '/segments')),
    ]);
    const o = overview.data;
    const charts = {
      ...(o ? { signups: activityChart(o, 'signups'), signins: activityChart(o, 'signins'), sentiment: sentimentChart(o), enrichment: enrichmentChart(o) } : {}),
      ...(lifecycle.data ? { lifecycle: lifecycleChart(lifecycle.data) } : {}),
      ...(neverReturned.data ? { never_returned: dormantTrendChart(neverReturned.data, 'Never returned, by week of sign-up') } : {}),
      ...(inactive.data ? { inactive: dormantTrendChart(inactive.data, 'Dormant, by week of last sign-in') } : {}),
      ...(demographics.data ? demographicCharts(demographics.data) : {}),
    };
    await renderPage(kit, req, res, 'overview', {
      title: 'Dashboard', range, overview, lifecycle, charts,
      totals: o ? { signups: sumOf(o, 'signups'), signins: sumOf(o, 'signins') } : undefined,
      cohorts: lifecycle.data ? cohortGrid(lifecycle.data) : undefined,
      neverReturned, inactive, neverReturnedRows, inactiveRows, unhappy, demographics,
      segments: { ...segments, data: segments.data && orderSegments(segments.data) },
      hasPreorder: Boolean(segments.data?.some((s) => s.key === PREORDER_KEY)),
    });
  });
  return router;
}
