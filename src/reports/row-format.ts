import { CSV_LINE_END, csvCell, csvHeaderCell } from '../lib/csv-cell.ts';
import { writeLines } from '../lib/line-stream.ts';
import type { Writable } from 'node:stream';
import type { RowColumn } from './row-report.ts';

/** How every row of a report can be had: CSV (a header row, Auth0's escaping) or NDJSON (one JSON row per line). */
export const ROW_FORMATS = ['csv', 'ndjson'] as const;
export type RowFormat = (typeof ROW_FORMATS)[number];

export const CONTENT_TYPES: Record<RowFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' };

/** Lists (the interests a user matched) in one CSV cell. */
export const CSV_LIST_SEPARATOR = '; ';

/**
 * One row as a line. NDJSON is the JSON row itself (the same object the JSON answer holds). CSV
 * writes the same values in column order with the user export's escaping (src/lib/csv-cell.ts):
 * strings as "'…" so nothing starting with =, +, -, @ becomes a formula, insole's own ISO dates,
 * numbers and booleans bare, null as an empty cell.
 */
export function rowLine(columns: readonly RowColumn[], format: RowFormat): (row: object) => string {
  if (format === 'ndjson') return (row) => `${JSON.stringify(row)}\n`;
  return (row) => columns.map((column) => {
    const value = (row as Record<string, unknown>)[column.name];
    return csvCell(column.list && Array.isArray(value) ? value.join(CSV_LIST_SEPARATOR) : value, column.date);
  }).join(',') + CSV_LINE_END;
}

export function rowHead(columns: readonly RowColumn[], format: RowFormat): string {
  return format === 'csv' ? columns.map((column) => csvHeaderCell(column.name)).join(',') + CSV_LINE_END : '';
}

/** Streams every row into `to` with backpressure; the HTTP routes and the CLI both write through here. Returns the row count. */
export function writeRows(batches: AsyncIterable<object[]>, columns: readonly RowColumn[], format: RowFormat, to: Writable): Promise<number> {
  return writeLines({ batches, line: rowLine(columns, format), head: rowHead(columns, format) }, { to });
}
