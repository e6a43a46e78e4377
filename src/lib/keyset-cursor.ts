import { BadRequestError } from '../errors/app-error.ts';

/**
 * Keyset ("seek") paging over a sort on (field, user_id), both in one direction: a page starts
 * after the last row of the previous one, so its cost does not grow with depth and rows inserted
 * meanwhile are neither repeated nor skipped. user_id is unique, so (field, user_id) orders every row.
 * The cursor is opaque to clients: base64url of { f: field, v: value, id: user_id }, plus d: -1
 * when descending (ascending cursors stay as they were before directions, so those given out still work).
 */
export type KeysetValue = Date | number | string;
export interface KeysetSort { field: string; direction: 1 | -1 }

interface Encoded { f: string; v: string | number; id: string; d?: -1 }

export function encodeKeyset({ field, direction }: KeysetSort, value: KeysetValue, id: string): string {
  const encoded: Encoded = { f: field, v: value instanceof Date ? value.toISOString() : value, id, ...(direction === -1 ? { d: -1 as const } : {}) };
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

/** The position in a cursor, read as the field's kind; a cursor of another list, sort or direction is a 400. */
export function decodeKeyset(from: string, { field, direction }: KeysetSort, kind: 'date' | 'number' | 'string'): { value: KeysetValue; id: string } {
  try {
    const cursor = JSON.parse(Buffer.from(from, 'base64url').toString('utf8')) as Encoded;
    if (cursor.f === field && (cursor.d ?? 1) === direction && typeof cursor.id === 'string') {
      if (kind === 'number' && typeof cursor.v === 'number' && Number.isFinite(cursor.v)) return { value: cursor.v, id: cursor.id };
      if (kind === 'string' && typeof cursor.v === 'string') return { value: cursor.v, id: cursor.id };
      const at = typeof cursor.v === 'string' ? new Date(cursor.v) : undefined;
      if (kind === 'date' && at && !Number.isNaN(at.getTime())) return { value: at, id: cursor.id };
    }
  } catch { /* reported below */ }
  throw new BadRequestError('Query parameter "from": not a cursor this list gave out (or given with another sort).', 'invalid_query_string');
}

/** The rows after (value, id) in (field, user_id) order: greater when ascending, less when descending. */
export function afterKeyset({ field, direction }: KeysetSort, { value, id }: { value: KeysetValue; id: string }): Record<string, unknown> {
  const beyond = direction === 1 ? '$gt' : '$lt';
  if (field === 'user_id') return { user_id: { [beyond]: id } };
  return { $or: [{ [field]: { [beyond]: value } }, { [field]: value, user_id: { [beyond]: id } }] };
}
