import type { mongo } from 'mongoose';

/**
 * A cursor's documents a batch at a time. With `readAhead` (the default) the next batch is asked
 * for as soon as one is taken: the database reads it while the consumer writes this one (a stream
 * overlaps the two instead of taking turns), and memory holds two batches. Without it, the next
 * batch is asked for when the consumer comes back for it. A consumer that stops early lets a read
 * under way settle, then the cursor is closed.
 */
export async function* cursorBatches<T>(cursor: mongo.AbstractCursor<T>, { readAhead = true } = {}): AsyncGenerator<T[]> {
  let more = cursor.hasNext();
  try {
    while (await more) {
      const batch = cursor.readBufferedDocuments();
      if (readAhead) more = cursor.hasNext();
      yield batch;
      if (!readAhead) more = cursor.hasNext();
    }
  } finally {
    await more.catch(() => false);
    await cursor.close();
  }
}
