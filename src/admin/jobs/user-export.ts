import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toPublicProfile } from '../../users/profile.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { CSV_LINE_END, csvCell, csvHeaderCell } from './csv-cell.ts';
import { fieldReader, GENERATED_DATES, type ExportFormat, type FieldReader } from './export-fields.ts';
import type { ExportField } from './user-job.model.ts';

export interface ExportPlan { format: ExportFormat; fields: ExportField[] }

/**
 * Lines are handed on in blocks of about this size: fewer writes than one per line, yet small
 * enough that a block's lines rarely outlive a young-generation GC (which would promote them).
 */
const BLOCK_CHARS = 16 * 1024;

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

async function* exportBlocks(batches: AsyncIterable<UserDoc[]>, plan: ExportPlan, counter: { written: number }): AsyncGenerator<string> {
  const columns = columnsOf(plan);
  let block = plan.format === 'csv' ? csvHeader(plan) : '';
  for await (const batch of batches) {
    for (const user of batch) {
      block += exportLine(user, plan.format, columns);
      counter.written++;
      if (block.length >= BLOCK_CHARS) {
        yield block;
        block = '';
      }
    }
  }
  if (block) yield block;
}

/**
 * Streams users from a cursor (batch by batch) into `to` (through `through`, e.g. gzip), one block at a time and only
 * as fast as `to` drains: the process holds one cursor batch and one block, whatever the number of
 * users. The export job and `insole users export` both write through here. Returns the number of
 * users written; `progress` lets a caller watch how far it got while it runs.
 */
export async function writeExport(
  users: AsyncIterable<UserDoc[]>, plan: ExportPlan, target: { through?: Transform[]; to: Writable },
  options: { signal?: AbortSignal; progress?: { written: number } } = {},
): Promise<number> {
  const counter = options.progress ?? { written: 0 };
  const source = Readable.from(exportBlocks(users, plan, counter));
  await pipeline([source, ...(target.through ?? []), target.to], options.signal ? { signal: options.signal } : {});
  return counter.written;
}
