import type { UserDoc, UserModel } from '../users/user.model.ts';
import { cursorBatches } from '../db/cursor-batches.ts';
import { afterKeyset, decodeKeyset, encodeKeyset, type KeysetValue } from '../lib/keyset-cursor.ts';

export type MongoFilter = Record<string, unknown>;

/** One column of a row report. `date`: an ISO date insole wrote itself (bare in CSV); `list`: an array (joined in CSV). */
export interface RowColumn { name: string; date?: boolean; list?: boolean }

/** What a row report asks of the users collection: a filter, and a sort on (field, user_id) ascending. */
export interface RowQuery {
  filter: MongoFilter;
  /** The sort field, and what its values are (for the cursor). */
  sort: { field: string; kind: 'date' | 'number' };
  /** Only what the rows need leaves the database (never a secret). */
  projection: Record<string, 1>;
}

/** A report whose answer is one row per user: its query, and how a stored user becomes a row (pure). */
export interface RowReport<R extends object = object> {
  name: string;
  columns: readonly RowColumn[];
  query: RowQuery;
  row(user: UserDoc): R;
}

const BATCH = 200;

/** A dotted path read off a document (`facts.sentiment_score`). */
function valueAt(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), doc);
}

const sortOf = (query: RowQuery): Record<string, 1> => ({ [query.sort.field]: 1, user_id: 1 });

/**
 * `take` rows after the cursor `from` (none: from the first), and the cursor of the next page when
 * there is one. Keyset paging (src/lib/keyset-cursor.ts): constant cost per page at any depth.
 */
export async function pageRows<R extends object>(users: UserModel, report: RowReport<R>, { from, take }: { from?: string; take: number }): Promise<{ rows: R[]; next?: string }> {
  const { filter, sort, projection } = report.query;
  const keyset = { field: sort.field, direction: 1 } as const;
  const scoped = from ? { $and: [filter, afterKeyset(keyset, decodeKeyset(from, keyset, sort.kind))] } : filter;
  // Through the driver: the filters carry our own operators, which mongoose's sanitizeFilter would strip.
  const found = await users.collection.find<UserDoc>(scoped, { sort: sortOf(report.query), limit: take + 1, projection }).toArray();
  const page = found.slice(0, take);
  const last = page.at(-1);
  const next = found.length > take && last ? encodeKeyset(keyset, valueAt(last, sort.field) as KeysetValue, last.user_id) : undefined;
  return { rows: page.map((user) => report.row(user)), next };
}

/** Every row, a cursor batch at a time (one await per batch): a report of any size holds one batch. */
export async function* streamRows<R extends object>(users: UserModel, report: RowReport<R>): AsyncGenerator<R[]> {
  const { filter, projection } = report.query;
  const cursor = users.collection.find<UserDoc>(filter, { sort: sortOf(report.query), projection, batchSize: BATCH });
  for await (const batch of cursorBatches(cursor)) yield batch.map((user) => report.row(user));
}

/** A stored date as JSON carries it: ISO 8601, or null when absent. */
export const isoOrNull = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : null);
/** The primary identity's connection (identities[0], Auth0's primary identity). */
export const primaryConnection = (user: UserDoc): string | null => user.identities?.[0]?.connection ?? null;
