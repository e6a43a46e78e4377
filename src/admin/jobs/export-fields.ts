import { publicProfileSchema, type PublicProfile } from '../../users/profile.ts';
import type { ExportField } from './user-job.model.ts';
import { STORABLE_METADATA_KEY } from '../../lib/metadata-keys.ts';
import { PROTOTYPE_KEYS } from '../../lib/prototype-keys.ts';

export type ExportFormat = 'json' | 'csv';

/** Auth0 exports at most 30 fields per job. */
export const MAX_EXPORT_FIELDS = 30;

const TOP_LEVEL = new Set(Object.keys(publicProfileSchema.shape));
/** Whole objects: exportable in NDJSON only (Auth0: name metadata fields one by one in CSV). */
const OBJECT_FIELDS = new Set(['identities', 'blocked_for', 'user_metadata', 'app_metadata']);
/** Dates insole sets itself: written bare in CSV (Auth0 exempts its generated ISO dates from escaping). */
export const GENERATED_DATES = new Set(['created_at', 'updated_at', 'last_login']);

const METADATA_ROOT = /^(user_metadata|app_metadata)\./;
const MAX_METADATA_DEPTH = 10;
const IDENTITY_PATH = /^identities\[(\d{1,2})\]\.(provider|user_id|connection|isSocial)$/;

const BASE_DEFAULT = ['user_id', 'email', 'email_verified', 'name', 'given_name', 'family_name', 'nickname', 'picture', 'blocked',
  'created_at', 'updated_at', 'last_login', 'last_ip', 'logins_count'];

/**
 * Auth0 leaves its default set undocumented ("a predefined set of fields"); insole's is the root
 * profile, plus identities and both metadata objects in NDJSON, where objects fit.
 */
export function defaultExportFields(format: ExportFormat): ExportField[] {
  const names = format === 'json' ? [...BASE_DEFAULT, 'identities', 'user_metadata', 'app_metadata'] : BASE_DEFAULT;
  return names.map((name) => ({ name }));
}

/**
 * Which names a field may have: a field of the public profile (so no secret can be asked for),
 * a path into user_metadata/app_metadata (`user_metadata.country`), or one attribute of an
 * identity (`identities[0].connection`), as in Auth0's examples. Undefined when the name is fine.
 */
export function exportFieldProblem(name: string, format: ExportFormat): string | undefined {
  if (METADATA_ROOT.test(name)) return metadataPathProblem(name);
  if (IDENTITY_PATH.test(name)) return undefined;
  if (!TOP_LEVEL.has(name)) return `unknown field "${name}": use a profile field, user_metadata.<path>, app_metadata.<path> or identities[<n>].<attribute>`;
  if (format === 'csv' && OBJECT_FIELDS.has(name)) return `"${name}" is an object: in CSV, name its fields one by one (e.g. ${name === 'identities' ? 'identities[0].connection' : `${name}.<key>`}), or export JSON`;
  return undefined;
}

/** A metadata path names keys PATCH could store (metadata-keys.ts), as a search path does: any script, no prototype names. */
function metadataPathProblem(name: string): string | undefined {
  const keys = name.slice(name.indexOf('.') + 1).split('.');
  if (keys.length > MAX_METADATA_DEPTH) return `"${name}": a metadata path may be at most ${MAX_METADATA_DEPTH} keys deep`;
  if (keys.every((key) => STORABLE_METADATA_KEY.test(key) && !PROTOTYPE_KEYS.has(key))) return undefined;
  return `"${name}": each key of a metadata path is one PATCH could store (not empty, not starting with $, not __proto__, constructor or prototype)`;
}

/**
 * Every problem of a field list: each name's (above), and two fields with one title (`export_as`,
 * else the name): in NDJSON the second value would overwrite the first under one key, and a CSV
 * with two columns of one title cannot be read back by name. Empty when the list is fine.
 */
export function exportFieldsProblems(fields: readonly ExportField[], format: ExportFormat): string[] {
  const problems = fields.map((field) => exportFieldProblem(field.name, format)).filter((problem) => problem !== undefined);
  const seen = new Map<string, ExportField>();
  for (const field of fields) {
    const title = field.export_as ?? field.name;
    const first = seen.get(title);
    // One field named twice (all the CLI's --fields can do: it has no export_as) needs naming once.
    const sameField = first && first.name === field.name && first.export_as === undefined && field.export_as === undefined;
    if (first) problems.push(`two fields are exported as "${title}": ${sameField ? 'name it once' : 'give one of them another export_as'}`);
    else seen.set(title, field);
  }
  return problems;
}

/** Reads one field from a public profile; undefined when the user has none. */
export type FieldReader = (profile: PublicProfile) => unknown;

/**
 * The reader of a field, made once per export rather than once per user: a path is split here,
 * and walked over own properties only (a key such as `constructor` reads nothing inherited).
 */
export function fieldReader(name: string): FieldReader {
  const identity = IDENTITY_PATH.exec(name);
  if (identity) {
    const [position, attribute] = [Number(identity[1]), identity[2] as 'provider'];
    return (profile) => profile.identities[position]?.[attribute];
  }
  const keys = name.split('.');
  return (profile) => {
    let value: unknown = profile;
    for (const key of keys) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}
