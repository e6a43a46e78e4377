import type { UserChanges } from '../../users/user-changes.ts';

type MetadataField = 'user_metadata' | 'app_metadata';
type Metadata = Record<string, unknown>;
type FieldValues = Partial<Record<MetadataField, Metadata>>;
export interface MetadataUpdate { $set: Record<string, unknown>; $unset: Record<string, ''> }

/** One metadata object may not grow a user document past this (MongoDB documents stop at 16 MB). */
export const MAX_METADATA_BYTES = 512 * 1024;

export type MetadataStore = ReturnType<typeof createMetadataStore>;

/** Where rules' `auth0.users.update*Metadata` land: the `users` collection, with the facts the change implies. */
export function createMetadataStore(changes: UserChanges) {
  return {
    async update(userId: string, update: MetadataUpdate): Promise<boolean> {
      const { $set, $unset } = update;
      const written = await changes.apply(userId, { $set: { ...$set, updated_at: new Date() }, ...(Object.keys($unset).length ? { $unset } : {}) }, { kind: 'change' });
      return written !== null;
    },
  };
}

export type MetadataWrites = ReturnType<typeof createMetadataWrites>;

/**
 * The metadata updates asked for during one sign-in's rules, written once at the end (the last
 * update of each object wins). Each is a snapshot taken at the call, like the body of an API call.
 * The object replaces the stored one, as with Auth0's rule API; for the signing-in user only the
 * top-level keys that differ from what the rules started with are written, so what a background
 * hook wrote meanwhile under other keys stays (and untouched values keep their BSON types).
 */
export function createMetadataWrites(baseline: { userId: string } & FieldValues) {
  const pending = new Map<string, FieldValues>();
  return {
    queue(userId: string, field: MetadataField, metadata: unknown): void {
      if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw new TypeError(`${field} must be an object`);
      const json = JSON.stringify(metadata);
      if (Buffer.byteLength(json) > MAX_METADATA_BYTES) throw new RangeError(`${field} is larger than ${MAX_METADATA_BYTES} bytes`);
      // Top-level nulls delete the property, as with Auth0's Management API.
      const snapshot = Object.fromEntries(Object.entries(JSON.parse(json) as Metadata).filter(([, v]) => v !== null));
      pending.set(userId, { ...pending.get(userId), [field]: snapshot });
    },
    get size() { return pending.size; },
    async flush(store: MetadataStore): Promise<string[]> {
      const missing: string[] = [];
      for (const [userId, fields] of pending) {
        const update = updateFor(fields, userId === baseline.userId ? baseline : {});
        if (Object.keys(update.$set).length + Object.keys(update.$unset).length === 0) continue;
        if (!await store.update(userId, update)) missing.push(userId);
      }
      pending.clear();
      return missing;
    },
  };
}

function updateFor(fields: FieldValues, before: FieldValues): MetadataUpdate {
  const update: MetadataUpdate = { $set: {}, $unset: {} };
  for (const [field, after] of Object.entries(fields) as [MetadataField, Metadata][]) {
    const previous = before[field];
    const keys = new Set([...Object.keys(after), ...Object.keys(previous ?? {})]);
    // Key-by-key needs a stored object and keys usable in a dotted path; otherwise the whole object.
    if (!previous || typeof previous !== 'object' || [...keys].some((k) => k === '' || k.includes('.') || k.startsWith('$'))) {
      update.$set[field] = after;
      continue;
    }
    for (const key of keys) {
      if (!(key in after)) update.$unset[`${field}.${key}`] = '';
      else if (JSON.stringify(after[key]) !== JSON.stringify(previous[key])) update.$set[`${field}.${key}`] = after[key];
    }
  }
  return update;
}
