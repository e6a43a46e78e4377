/**
 * What a metadata key (user_metadata, app_metadata, at any depth) may be, for every door that takes
 * one: PATCH and POST bodies, import records, and the paths of a search. MongoDB reads `.` in a
 * field name as a path and a leading `$` as an operator, so such a key could reach into other fields;
 * NUL ends a C string in the server. Anything else is a key, in any script (`größe`, `shoe size`).
 * The prototype names are refused apart (prototype-keys.ts), with their own reason.
 */
export const STORABLE_METADATA_KEY = /^(?!\$)[^.\0]{1,255}$/;

/** Why a key is not storable, in the words of the rule above; undefined when it is. */
export function metadataKeyProblem(key: string): string | undefined {
  if (STORABLE_METADATA_KEY.test(key)) return undefined;
  if (key === '') return 'is empty';
  if (key.length > 255) return 'is longer than 255 characters';
  if (key.startsWith('$')) return 'starts with $';
  return key.includes('.') ? 'contains a dot' : 'contains NUL';
}
