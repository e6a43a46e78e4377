/**
 * Readers for the loosely typed parts of a stored profile (metadata, third parties' JSON, provider
 * profileData): anything can be in them, written by rules, the Management API or an old importer,
 * so every value is checked before it is used and anything unexpected reads as absent.
 */

export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) ? (v as Json) : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** A finite number, or a string holding one ("33": FullContact v2 sends ages as strings). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** A BSON date, or an ISO string (metadata written over HTTP holds strings). */
export function dateOf(v: unknown): Date | undefined {
  const date = v instanceof Date ? v : typeof v === 'string' && v.trim() ? new Date(v.trim()) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

export const hasKeys = (v: Json): boolean => Object.keys(v).length > 0;
