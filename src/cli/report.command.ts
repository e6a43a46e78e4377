import type { Writable } from 'node:stream';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { describeSegmentFilter } from '../insight/segments/segment-description.ts';
import { createInsightReports } from '../reports/insight-reports.ts';
import { writeRows, type RowFormat } from '../reports/row-format.ts';
import type { RowReport } from '../reports/row-report.ts';
import { openAtomicOutput } from './atomic-output.ts';
import { readerClosedStdout } from './closed-pipe.ts';
import type { ReportPlan } from './report-params.ts';

export interface ReportTarget { format: RowFormat; output?: string; force?: boolean }

/**
 * Where the rows go. A file appears (or replaces the previous one, with --force) only once every
 * row is in it (src/cli/atomic-output.ts): a report that fails leaves the previous list as it was.
 * An existing file is refused unless --force (a campaign list is not silently replaced).
 */
async function openOutput(target: ReportTarget): Promise<{ to: Writable; done(): Promise<void>; discard(): Promise<void> }> {
  if (!target.output) {
    // Resolves once what was written so far is handed to the OS: the exit that follows loses nothing of a pipe.
    return { to: process.stdout, done: () => new Promise((resolve) => process.stdout.write('', () => resolve())), discard: async () => {} };
  }
  const file = await openAtomicOutput(target.output, {
    replace: target.force ?? false, existsMessage: `${target.output} exists: name a new file, or add --force to replace it.`,
  });
  return { to: file.to, done: file.commit, discard: file.discard };
}

/**
 * `insole report segment|dormant|sentiment`: the Management API's report (same code, same rows,
 * same CSV escaping), every row to --output or stdout; the row count goes to stderr, so stdout
 * (with `npm run -s`) holds the data and nothing else. Answers the row count, or undefined when
 * the reader of stdout stopped before the end.
 */
export async function writeReport(connection: Connection, config: Config, plan: ReportPlan, target: ReportTarget): Promise<number | undefined> {
  const reports = createInsightReports(connection, config.insight);
  const report: RowReport = plan.kind === 'segment' ? reports.segment(plan.filter)
    : plan.kind === 'dormant' ? reports.dormant(plan.params) : reports.sentiment(plan.params);
  const output = await openOutput(target);
  const written = await writeRows(reports.stream(report), report.columns, target.format, output.to).catch(async (err: unknown) => {
    // Nothing more is written, not even the count.
    if (readerClosedStdout(err, output.to)) return undefined;
    // Half a list must not pass for the list.
    await output.discard();
    throw err;
  });
  if (written === undefined) return undefined;
  await output.done();
  const what = plan.kind === 'segment' ? `${describeSegmentFilter(plan.filter)}` : report.name;
  console.error(`Wrote ${written} row(s) (${what})${target.output ? ` to ${target.output}` : ''}.`);
  return written;
}
