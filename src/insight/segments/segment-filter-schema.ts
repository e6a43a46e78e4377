import { z } from 'zod';
import { MAX_AGE } from '../facts/age-bounds.ts';
import { LIFECYCLE_STATES, type LifecycleState } from '../lifecycle/lifecycle-state.ts';
import { checkFilterShape, FILTER_LIMITS } from './segment-filter-shape.ts';
import { parseFilterDate } from './segment-dates.ts';
import { userSearchCatalogue } from '../../search/search-catalogues.ts';
import { compileSearch } from '../../search/search-compiler.ts';
import { CONNECTIONS } from '../../auth/connections.ts';

/**
 * A segment filter as JSON: what the dashboard's segment builder writes, what a saved segment
 * stores, and what a person can type into curl. One object is a set of conditions that must ALL
 * hold; `all` / `any` / `not` nest further objects. Values are plain JSON: a word, a list of words
 * (any of them), `{ min, max }` ranges (both ends included) and date conditions. See
 * segment-filter.ts for what each condition means on the stored user.
 */
export type OneOrMany<T> = T | T[];
export interface NumberRange { min?: number; max?: number }
/** `from`/`to` (ISO 8601, UTC unless the text says otherwise; from inclusive, to exclusive), or a window before `now`. */
export interface DateCondition { from?: string; to?: string; within_days?: number; not_within_days?: number }
export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface SegmentFilter {
  all?: SegmentFilter[];
  any?: SegmentFilter[];
  not?: SegmentFilter;
  gender?: OneOrMany<string>;
  age?: NumberRange;
  interests?: OneOrMany<string> | { any_of?: string[]; all_of?: string[] };
  country?: OneOrMany<string>;
  city?: OneOrMany<string>;
  connection?: OneOrMany<string>;
  email_verified?: boolean;
  lifecycle?: OneOrMany<LifecycleState>;
  signed_up?: DateCondition;
  last_login?: DateCondition;
  logins_count?: NumberRange;
  sentiment?: OneOrMany<SentimentLabel>;
  sentiment_score?: NumberRange;
  q?: string;
}

const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;
/**
 * The connections a user's identity can be in, as `GET /users?connection=` and the dormant report
 * know them (admin/connection-names.ts): another name would silently match nobody, so it is a 400.
 */
const MAX_DAYS = 36_500;

// No control characters, as in q (search-parser.ts): a NUL in a city's $regex is an error in
// MongoDB (it cannot hold one), which would answer 500 instead of this 400.
const word = z.string().trim().min(1).max(200).refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'control characters are not allowed');
/** A word or a non-empty list of them (any of them matches). */
const oneOrMany = <T extends z.ZodType>(item: T, what: string) => z.union([item, z.array(item).min(1).max(FILTER_LIMITS.maxValues)], {
  error: `expected ${what}, or a list of 1 to ${FILTER_LIMITS.maxValues} of them`,
});

function range(lowest: number, highest: number, integer: boolean) {
  const bound = (integer ? z.number().int() : z.number()).min(lowest).max(highest);
  return z.strictObject({ min: bound.optional(), max: bound.optional() })
    .refine((r) => r.min !== undefined || r.max !== undefined, 'give min, max or both')
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must not be above max');
}

const filterDate = z.string().max(40).superRefine((text, ctx) => {
  if (!parseFilterDate(text)) ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date or date-time, such as 2025-01-31 or 2025-01-31T12:00:00Z' });
});
const days = z.number().int().min(1).max(MAX_DAYS);

const dateCondition = z.strictObject({
  from: filterDate.optional(), to: filterDate.optional(), within_days: days.optional(), not_within_days: days.optional(),
}).superRefine((c, ctx) => {
  const forms = [c.from !== undefined || c.to !== undefined, c.within_days !== undefined, c.not_within_days !== undefined].filter(Boolean).length;
  if (forms !== 1) ctx.addIssue({ code: 'custom', message: 'give from/to, or within_days, or not_within_days (one of the three)' });
  else if (c.from && c.to && parseFilterDate(c.from)! >= parseFilterDate(c.to)!) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
}).describe('{ from, to } (half-open, UTC), or { within_days: N } (at or after now − N×24 h), or { not_within_days: N } (the opposite; a user who never signed in has not signed in within any window).');

const interests = z.union([
  word, z.array(word).min(1).max(FILTER_LIMITS.maxValues),
  z.strictObject({ any_of: z.array(word).min(1).max(FILTER_LIMITS.maxValues).optional(), all_of: z.array(word).min(1).max(FILTER_LIMITS.maxValues).optional() })
    .refine((i) => i.any_of || i.all_of, 'give any_of, all_of or both'),
], { error: `expected an interest, a list of them (any of), or { any_of, all_of }` });

/** A `q` in Auth0's user search syntax, checked by compiling it (the error names the position). */
export const segmentQuerySchema = z.string().max(2000).superRefine((text, ctx) => {
  try {
    if (Object.keys(compileSearch(text, userSearchCatalogue)).length === 0) ctx.addIssue({ code: 'custom', message: 'this q matches every user; leave it out' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
}).describe("Auth0's user search syntax (as GET /users?q=), e.g. app_metadata.plan:gold.");

/** One node: its conditions all hold. The getters make the recursion (zod 4). */
const node: z.ZodType<SegmentFilter> = z.strictObject({
  get all() { return z.array(node).min(1).max(FILTER_LIMITS.maxLeaves).optional().describe('Every one of these filters holds (AND).'); },
  get any() { return z.array(node).min(1).max(FILTER_LIMITS.maxLeaves).optional().describe('At least one of these filters holds (OR).'); },
  get not() { return node.optional().describe('This filter does not hold (NOT): the exact complement, users with unknown facts included.'); },
  gender: oneOrMany(word, 'a gender (male, female, another word, or unknown)').optional(),
  age: range(0, MAX_AGE, true).optional().describe('Years, both ends included; a user matches only when every age their known birth dates allow is inside.'),
  interests: interests.optional().describe('Vocabulary keys (config insight.interests, e.g. fitness) or raw topics; a list means any of them.'),
  country: oneOrMany(word, 'a country (ISO code or English name)').optional(),
  city: oneOrMany(word, 'a city').optional().describe('Any case; the whole name.'),
  connection: oneOrMany(z.enum(CONNECTIONS), `a connection (${CONNECTIONS.join(', ')})`).optional()
    .describe('Any of the user\'s identities is in this connection.'),
  email_verified: z.boolean({ error: 'expected true or false' }).optional(),
  lifecycle: oneOrMany(z.enum(LIFECYCLE_STATES), `a lifecycle state (${LIFECYCLE_STATES.join(', ')})`).optional(),
  signed_up: dateCondition.optional().describe('On created_at.'),
  last_login: dateCondition.optional(),
  logins_count: range(0, Number.MAX_SAFE_INTEGER, true).optional(),
  sentiment: oneOrMany(z.enum(SENTIMENT_LABELS), `a sentiment label (${SENTIMENT_LABELS.join(', ')})`).optional(),
  sentiment_score: range(-1e6, 1e6, false).optional().describe('The mean AFINN score per tweet (−5…+5), both ends included.'),
  q: segmentQuerySchema.optional(),
}).meta({
  id: 'SegmentFilter',
  description: 'Conditions that must all hold; all / any / not nest further filters (at most 8 levels, 50 conditions).',
  examples: [
    { gender: 'male', age: { min: 20, max: 40 }, interests: 'fitness' },
    { lifecycle: 'never_returned', signed_up: { within_days: 90 }, any: [{ country: ['DE', 'AT'] }, { q: 'app_metadata.plan:gold' }], not: { email_verified: false } },
  ],
});

/**
 * The filter schema at the edge: the shape (depth, number of conditions, known keys) is checked
 * first, by a walk that stops at the first problem, so a hostile 14,000-level body never reaches
 * the recursive schema; then every value is checked.
 */
export const segmentFilterSchema: z.ZodType<SegmentFilter> = z.preprocess((value, ctx) => {
  const problem = checkFilterShape(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path, input: value });
  return value;
}, node) as unknown as z.ZodType<SegmentFilter>;

/** Parses a filter that does not come through the HTTP edge (a saved segment, the CLI); throws zod's error. */
export function parseSegmentFilter(value: unknown): SegmentFilter {
  return segmentFilterSchema.parse(value);
}

/**
 * The connection names a filter holds that insole does not know: none in a filter that passed the
 * schema, but a segment saved before connections were checked may hold one. It keeps running (that
 * condition matches nobody, as it always did) and its answer says so (segment-schemas.ts).
 */
export function unknownConnections(filter: SegmentFilter): string[] {
  const named = [filter.connection ?? []].flat().filter((name) => !(CONNECTIONS as readonly string[]).includes(name));
  const nested = [...(filter.all ?? []), ...(filter.any ?? []), ...(filter.not ? [filter.not] : [])].flatMap(unknownConnections);
  return [...new Set([...named, ...nested])];
}
