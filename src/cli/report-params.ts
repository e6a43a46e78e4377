import { z } from 'zod';
import { segmentFilterSchema, type SegmentFilter } from '../insight/segments/segment-filter.ts';
import { checkDormantParams, dormantParamsShape, type DormantParams } from '../reports/dormant.report.ts';
import { ROW_FORMATS, type RowFormat } from '../reports/row-format.ts';
import { sentimentParamsShape, type SentimentParams } from '../reports/sentiment.report.ts';
import { CliError } from './cli-database.ts';

/** The command-line options of `report …`, as parseArgs gives them. */
export interface ReportOptions {
  gender?: string; age?: string; interest?: string[]; country?: string[]; lifecycle?: string; filter?: string;
  mode?: string; days?: string; connection?: string; 'created-from'?: string; 'created-to'?: string; label?: string;
  format?: string; output?: string; force?: boolean;
}

export type ReportPlan =
  | { kind: 'segment'; filter: SegmentFilter }
  | { kind: 'dormant'; params: DormantParams }
  | { kind: 'sentiment'; params: SentimentParams };

/** `--created-from` for the parameter `created_from`: a problem names the option the person typed. */
const optionName = (path: PropertyKey[], names: Record<string, string> = {}) => {
  const key = String(path[0] ?? '');
  return names[key] ?? `--${key.replaceAll('_', '-')}`;
};

function parsed<T>(schema: z.ZodType<T>, value: unknown, names?: Record<string, string>): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new CliError(`Not an option of this report: ${issue.keys.join(', ')}`);
  throw new CliError(`${optionName(issue.path, names)}: ${issue.message}`);
}

/** `20-40`, `20-` (20 and over), `-40` (at most 40) or `30` (exactly). */
function ageRange(text: string): { min?: number; max?: number } {
  const match = /^(\d{1,3})?(-)?(\d{1,3})?$/.exec(text.trim());
  if (!match || (!match[1] && !match[3])) throw new CliError(`--age: expected MIN-MAX (20-40), MIN- or -MAX, not "${text}"`);
  if (!match[2]) return { min: Number(match[1]), max: Number(match[1]) };
  return { ...(match[1] ? { min: Number(match[1]) } : {}), ...(match[3] ? { max: Number(match[3]) } : {}) };
}

/** `--interest fitness --interest yoga` or `--interest fitness,yoga`: one value, or a list (any of them). */
function oneOrMany(option: string, values: string[]): string | string[] {
  const words = values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
  if (!words.length) throw new CliError(`--${option}: give a value`);
  return words.length === 1 ? words[0] : words;
}

/**
 * The segment filter the options describe (the segment filter language, README "Segment filters"):
 * --gender, --age, --interest, --country, --connection, --lifecycle, and --filter JSON for the
 * rest; all of them must hold. Checked by the same schema as the HTTP body.
 */
export function segmentFilterFrom(options: ReportOptions): SegmentFilter {
  const filter: Record<string, unknown> = {};
  if (options.gender !== undefined) filter.gender = oneOrMany('gender', [options.gender]);
  if (options.age !== undefined) filter.age = ageRange(options.age);
  if (options.interest) filter.interests = oneOrMany('interest', options.interest);
  if (options.country) filter.country = oneOrMany('country', options.country);
  if (options.connection !== undefined) filter.connection = options.connection;
  if (options.lifecycle !== undefined) filter.lifecycle = oneOrMany('lifecycle', [options.lifecycle]);
  if (options.filter !== undefined) {
    let more: unknown;
    try { more = JSON.parse(options.filter); } catch { throw new CliError('--filter: not JSON (a segment filter object, as in the README)'); }
    filter.all = [more];
  }
  return parsed(segmentFilterSchema, filter, { interests: '--interest', all: '--filter' });
}

const OUTPUT_OPTIONS = ['format', 'output', 'force'] as const;

/** Each report's own options, and the output options every report takes; insole.ts refuses any other. */
export const REPORT_OPTIONS: Record<ReportPlan['kind'], readonly (keyof ReportOptions)[]> = {
  segment: ['gender', 'age', 'interest', 'country', 'connection', 'lifecycle', 'filter', ...OUTPUT_OPTIONS],
  dormant: ['mode', 'days', 'connection', 'created-from', 'created-to', ...OUTPUT_OPTIONS],
  sentiment: ['label', ...OUTPUT_OPTIONS],
};

/** Which report, with what, checked before the database is opened: a typo costs nothing. */
export function planReport(kind: ReportPlan['kind'], options: ReportOptions): ReportPlan {
  if (kind === 'segment') return { kind, filter: segmentFilterFrom(options) };
  if (kind === 'dormant') {
    const schema = z.object(dormantParamsShape).strict().superRefine(checkDormantParams);
    return { kind, params: parsed(schema, { mode: options.mode, days: options.days, connection: options.connection, created_from: options['created-from'], created_to: options['created-to'] }) };
  }
  return { kind: 'sentiment', params: parsed(z.object(sentimentParamsShape).strict(), { label: options.label }) };
}

export function rowFormat(format: string | undefined): RowFormat {
  const chosen = format ?? 'csv';
  if (!(ROW_FORMATS as readonly string[]).includes(chosen)) throw new CliError(`--format must be ${ROW_FORMATS.join(' or ')}, not "${format}"`);
  return chosen as RowFormat;
}
