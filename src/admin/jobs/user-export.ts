import type { Transform, Writable } from 'node:stream';
import { CSV_LINE_END, csvCell, csvHeaderCell } from '../../lib/csv-cell.ts';
import { writeLines } from '../../lib/line-stream.ts';
import { toPublicProfile } from '../../users/profile.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { fieldReader, GENERATED_DATES, type ExportFormat, type FieldReader } from './export-fields.ts';
import type { ExportField } from './user-job.model.ts';

export interface ExportPlan { format: ExportFormat; fields: ExportField[] }

const title = (field: ExportField) => field.export_as ?? field.name;

interface Column { title: string; read: FieldReader; bareDate: boolean }

const columnsOf = (plan: ExportPlan): Column[] =>
  plan.fields.map((field) => ({ title: title(field), read: fieldReader(field.name), bareDate: GENERATED_DATES.has(field.name) }));

/**
 * One user as Auth0 writes it: an NDJSON line of the chosen fields (named by `export_as`; absent
 * values left out), or a CSV row. Values come from the public profile only, so a password hash or
 * sealed provider token cannot be exported whatever the field list says.
 */
function exportLine(user: UserDoc, format: ExportFormat, columns: Column[]): string {
  const profile = toPublicProfile(user);
  if (format === 'csv') return columns.map((column) => csvCell(column.read(profile), column.bareDate)).join(',') + CSV_LINE_END;
  const record: Record<string, unknown> = {};
  for (const column of columns) {
    const value = column.read(profile);
    if (value !== undefined) record[column.title] = value;
  }
  return `${JSON.stringify(record)}\n`;
}

export function csvHeader(plan: ExportPlan): string {
  return plan.fields.map((field) => csvHeaderCell(title(field))).join(',') + CSV_LINE_END;
}

/**
 * Streams users from a cursor (batch by batch) into `to` (through `through`, e.g. gzip) with
 * backpressure (src/lib/line-stream.ts): flat memory whatever the number of users. The export job
 * and `insole users export` both write through here. Returns the number of users written.
 */
export function writeExport(
  users: AsyncIterable<UserDoc[]>, plan: ExportPlan, target: { through?: Transform[]; to: Writable },
  options: { signal?: AbortSignal; progress?: { written: number } } = {},
): Promise<number> {
  // Field readers are made once per export, not once per user.
  const columns = columnsOf(plan);
  const head = plan.format === 'csv' ? csvHeader(plan) : '';
  return writeLines({ batches: users, line: (user) => exportLine(user, plan.format, columns), head }, target, options);
}
