import type { Connection } from 'mongoose';
import { createHookJobModel } from '../hooks/jobs/hook-job.model.ts';
import type { InterestVocabulary } from '../insight/facts/interest-vocabulary.ts';
import type { LifecycleWindows } from '../insight/lifecycle/lifecycle-windows.ts';
import { compileSegmentFilter, type SegmentFilter } from '../insight/segments/segment-filter.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createUserModel } from '../users/user.model.ts';
import { dormantReport, type DormantParams } from './dormant.report.ts';
import { runLifecycleReport } from './lifecycle.report.ts';
import { runOverview } from './overview.report.ts';
import { pageRows, streamRows, type RowReport } from './row-report.ts';
import { segmentUsersReport } from './segment-users.report.ts';
import { sentimentReport, type SentimentParams } from './sentiment.report.ts';

export type InsightReports = ReturnType<typeof createInsightReports>;

/**
 * The customer-insight reports over one database, for the Management API and the CLI alike (one
 * implementation): each row report is resolved at the clock's `now`, then paged (JSON) or streamed
 * (CSV, NDJSON) by the same runner.
 */
export function createInsightReports(connection: Connection, insight: { interests: InterestVocabulary; lifecycle: LifecycleWindows }, now: () => Date = () => new Date()) {
  const users = createUserModel(connection);
  const sources = { users, logs: createLogModel(connection), hookJobs: createHookJobModel(connection), outbox: connection.collection('event_outbox') };
  return {
    windows: insight.lifecycle,
    now,
    dormant: (params: DormantParams) => dormantReport(params, insight.lifecycle, now()),
    sentiment: (params: SentimentParams) => sentimentReport(params),
    segment(filter: SegmentFilter) {
      const at = now();
      return segmentUsersReport(filter, compileSegmentFilter(filter, { now: at, vocabulary: insight.interests }), insight.interests, at);
    },
    page: <R extends object>(report: RowReport<R>, paging: { from?: string; take: number }) => pageRows(users, report, paging),
    stream: <R extends object>(report: RowReport<R>) => streamRows(users, report),
    /** `at`: the moment the answer is as of (the caller's, so it can print it). */
    lifecycle: (at: Date, weeks?: number) => runLifecycleReport(users, at, weeks),
    overview: (range: { from: Date; to: Date }, at: Date) => runOverview(sources, range, at),
  };
}
