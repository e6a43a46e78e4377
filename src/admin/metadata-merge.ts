import { BadRequestError } from '../errors/app-error.ts';
import { ENRICHMENT_METADATA_KEYS } from '../hooks/builtin/user-metadata.ts';
import { metadataKeyProblem } from '../lib/metadata-keys.ts';
import { PROTOTYPE_KEYS } from '../lib/prototype-keys.ts';

/** A PATCH of user_metadata or app_metadata: a value replaces that key, null deletes it. */
export type MetadataPatch = Record<string, unknown>;

// 16 kB of JSON per metadata object: the size Auth0 recommends (its hard limit is 16 MB).
export const METADATA_MAX_CHARS = 16 * 1024;

/**
 * Auth0's merge rule, as MongoDB updates: "only properties at the first level are merged"; a key
 * set to null is deleted; an empty object removes the metadata completely
 * (https://auth0.com/docs/manage-users/user-accounts/metadata/manage-metadata-api).
 * The cap holds for the merged object: small patches must not add up past it. What insole's own
 * hooks stored (a FullContact answer has no size bound) is not counted unless the patch writes it:
 * else an enriched profile past the cap would refuse every later patch, a shoe size or a null alike.
 */
export function metadataUpdate(field: 'user_metadata' | 'app_metadata', patch: MetadataPatch, stored: Record<string, unknown> | undefined, set: Record<string, unknown>, unset: Record<string, ''>): void {
  assertSafeKeys(patch, field);
  assertMergedFits(field, patch, stored);
  const keys = Object.keys(patch);
  if (!keys.length) {
    set[field] = {};
    return;
  }
  for (const key of keys) {
    if (patch[key] === null) unset[`${field}.${key}`] = '';
    else set[`${field}.${key}`] = patch[key];
  }
}

/** The cap of the rule above, for the metadata `patch` leaves. */
export function assertMergedFits(field: 'user_metadata' | 'app_metadata', patch: MetadataPatch, stored: Record<string, unknown> | undefined): void {
  const counted = mergedMetadata(stored, patch);
  for (const key of ENRICHMENT_METADATA_KEYS[field]) if (!Object.hasOwn(patch, key)) delete counted[key];
  const size = JSON.stringify(counted).length;
  if (size > METADATA_MAX_CHARS) throw new BadRequestError(`${field}: merged with the stored one it would be ${size} characters of JSON; at most ${METADATA_MAX_CHARS}.`, 'invalid_body');
}

/** The cap for both metadata objects a PATCH may carry, against the user as stored (read again when a write retries). */
export function assertPatchFits(patch: Partial<Record<'user_metadata' | 'app_metadata', MetadataPatch>>, stored: Partial<Record<'user_metadata' | 'app_metadata', Record<string, unknown>>>): void {
  for (const field of ['user_metadata', 'app_metadata'] as const) if (patch[field] !== undefined) assertMergedFits(field, patch[field], stored[field]);
}

/** The metadata a patch leaves, by the rule above. */
export function mergedMetadata(stored: Record<string, unknown> | undefined, patch: MetadataPatch): Record<string, unknown> {
  if (!Object.keys(patch).length) return {};
  const merged = { ...stored, ...patch };
  for (const key of Object.keys(patch)) if (patch[key] === null) delete merged[key];
  return merged;
}

/** Every key at every depth: nested keys become stored field names too. */
export function assertSafeKeys(value: unknown, path: string, depth = 0): void {
  if (depth > 10) throw new BadRequestError(`${path}: nested more than 10 levels deep.`, 'invalid_body');
  if (Array.isArray(value)) return value.forEach((item, i) => assertSafeKeys(item, `${path}[${i}]`, depth + 1));
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    const problem = metadataKeyProblem(key);
    if (problem) throw new BadRequestError(`${path}: the key "${key.slice(0, 50)}" ${problem}: a key is 1-255 characters, without a leading $, a dot or NUL.`, 'invalid_body');
    if (PROTOTYPE_KEYS.has(key)) throw new BadRequestError(`${path}: the key "${key}" is not allowed.`, 'invalid_body');
    assertSafeKeys(inner, `${path}.${key}`, depth + 1);
  }
}
