import type { mongo } from 'mongoose';

/** A write refused by a unique index (MongoDB's code 11000; the dev database sends no `keyValue`). */
export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === 11000;
}

/**
 * Inserts what is not stored yet: documents whose `_id` is (written by an earlier attempt, or by
 * another instance doing the same work) are skipped, and any other failure is thrown.
 */
export async function insertNew<T extends mongo.Document>(collection: mongo.Collection<T>, docs: mongo.OptionalUnlessRequiredId<T>[]): Promise<void> {
  if (!docs.length) return;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    const failed = (err as { writeErrors?: unknown }).writeErrors;
    const writeErrors = Array.isArray(failed) ? failed : failed ? [failed] : [];
    if (!writeErrors.length || !writeErrors.every(isDuplicateKeyError)) throw err;
  }
}
