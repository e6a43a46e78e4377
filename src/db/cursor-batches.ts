import type { mongo } from 'mongoose';

/**
 * A cursor's documents a batch at a time, the next batch asked for as soon as one is taken: the
 * database reads it while the consumer writes this one (a stream overlaps the two instead of
 * taking turns). Memory holds two batches at most. A consumer that stops early lets the read under
 * way settle, then the cursor is closed.
 */
export async function* cursorBatches<T>(cursor: mongo.AbstractCursor<T>): AsyncGenerator<T[]> {
  let more = cursor.hasNext();
  try {
    while (await more) {
      const batch = cursor.readBufferedDocuments();
      more = cursor.hasNext();
      yield batch;
    }
  } finally {
    await more.catch(() => false);
    await cursor.close();
  }
}
