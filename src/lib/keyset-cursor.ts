import { BadRequestError } from '../errors/app-error.ts';

/**
 * Keyset ("seek") paging over a sort on (field, user_id), both ascending: a page starts after the
 * last row of the previous one, so its cost does not grow with depth and rows inserted meanwhile
 * are neither repeated nor skipped. user_id is unique, so (field, user_id) orders every row.
 * The cursor is opaque to clients: base64url of { f: field, v: value, id: user_id }.
 */
export type KeysetValue = Date | number | string;

interface Encoded { f: string; v: string | number; id: string }

export function encodeKeyset(field: string, value: KeysetValue, id: string): string {
  const encoded: Encoded = { f: field, v: value instanceof Date ? value.toISOString() : value, id };
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

/** The position in a cursor, read as the field's kind; a cursor of another list or sort is a 400. */
export function decodeKeyset(from: string, field: string, kind: 'date' | 'number' | 'string'): { value: KeysetValue; id: string } {
  try {
    const cursor = JSON.parse(Buffer.from(from, 'base64url').toString('utf8')) as Encoded;
    if (cursor.f === field && typeof cursor.id === 'string') {
      if (kind === 'number' && typeof cursor.v === 'number' && Number.isFinite(cursor.v)) return { value: cursor.v, id: cursor.id };
      if (kind === 'string' && typeof cursor.v === 'string') return { value: cursor.v, id: cursor.id };
      const at = typeof cursor.v === 'string' ? new Date(cursor.v) : undefined;
      if (kind === 'date' && at && !Number.isNaN(at.getTime())) return { value: at, id: cursor.id };
    }
  } catch { /* reported below */ }
  throw new BadRequestError('Query parameter "from": not a cursor this list gave out (or given with another sort).', 'invalid_query_string');
}

/** The rows after (value, id) in (field, user_id) order. */
export function afterKeyset(field: string, { value, id }: { value: KeysetValue; id: string }): Record<string, unknown> {
  if (field === 'user_id') return { user_id: { $gt: id } };
  return { $or: [{ [field]: { $gt: value } }, { [field]: value, user_id: { $gt: id } }] };
}
