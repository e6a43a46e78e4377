import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { InsightReports } from '../../reports/insight-reports.ts';
import { CONTENT_TYPES, writeRows, type RowFormat } from '../../reports/row-format.ts';
import { rollupKey, type ReportRollups } from '../../reports/report-rollups.ts';
import type { RowReport } from '../../reports/row-report.ts';
import type { ApiCall, ApiReply, ResponseSpec } from './api-route.ts';
import { nextPage } from './query-params.ts';

export const DEFAULT_TAKE = 100;
export const MAX_TAKE = 1000;

/**
 * How a row report is answered: JSON pages (keyset cursor, as GET /users?take=…), or every row
 * streamed as CSV or NDJSON. Chosen by the `format` query parameter, not by Accept: a link or a
 * curl command says all it asks for.
 */
export const rowOutputParams = {
  format: z.enum(['json', 'csv', 'ndjson']).default('json')
    .describe('json (default): a page of rows, the next page in the Link header; csv or ndjson: every row, streamed.'),
  from: z.string().max(1000).optional().describe('JSON paging: the cursor from the previous page\'s Link header.'),
  take: z.coerce.number().int().min(1).max(MAX_TAKE).optional().describe(`JSON paging: rows per page (default ${DEFAULT_TAKE}, at most ${MAX_TAKE}).`),
};

type RowOutput = { format: 'json' | RowFormat; from?: string; take?: number; max_age?: number };

/** Paging belongs to JSON: CSV and NDJSON are every row, so a `from`, `take` or `max_age` with them is refused, not ignored. */
export function checkRowOutput(query: RowOutput, ctx: z.RefinementCtx): void {
  if (query.format === 'json') return;
  for (const name of ['from', 'take', 'max_age'] as const) {
    if (query[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: `pages JSON only; format=${query.format} streams every row` });
  }
}

/** The 200 of a row report: JSON rows, or the same rows as CSV or NDJSON. */
export function rowsResponse(row: z.ZodType, what: string): ResponseSpec {
  return {
    description: `${what}: a page of rows (format=json), or every row (format=csv or ndjson).`,
    schema: z.array(row),
    headers: { link: 'JSON paging: `<url>; rel="next"`, the next page, while there is one.' },
    alternatives: {
      'text/csv': 'format=csv: a header row, then one row per user (CRLF); strings escaped as in Auth0 exports ("\'…"), ISO dates and numbers bare, lists joined by "; ".',
      'application/x-ndjson': 'format=ndjson: one JSON row per line, the same objects as the JSON answer.',
    },
  };
}

type Response = NodeJS.WritableStream & { setHeader(name: string, value: string): unknown };

/**
 * Answers a row report: a JSON page with its Link header, or (undefined returned) the whole report
 * streamed to `res` from a cursor with backpressure. A client that hangs up ends the stream and the
 * cursor; any other failure half-way cuts the connection (the error handler), so a truncated file
 * never looks complete. With `rollups`, a JSON page may be a roll-up (`max_age`), kept under the
 * report's name and every other parameter of `query` (the route's whole parsed query).
 */
export async function answerRows(reports: InsightReports, report: RowReport, query: RowOutput, call: ApiCall, res: Response, rollups?: ReportRollups): Promise<ApiReply | undefined> {
  if (query.format === 'json') {
    const take = query.take ?? DEFAULT_TAKE;
    const page = () => reports.page(report, { from: query.from, take });
    // A page that may be a roll-up (max_age): the dashboard's short lists; CSV and NDJSON are always read now.
    const { max_age, ...question } = query;
    const { rows, next } = rollups ? await rollups.answer(rollupKey(report.name, question), max_age, page) : await page();
    return { status: 200, body: rows, headers: next ? { link: `<${nextPage(call.url, next, take)}>; rel="next"` } : undefined };
  }
  res.setHeader('content-type', CONTENT_TYPES[query.format]);
  res.setHeader('content-disposition', `attachment; filename="${report.name}.${query.format}"`);
  try {
    await writeRows(reports.stream(report), report.columns, query.format, res as unknown as Writable);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
  return undefined;
}
