import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Lines are handed on in blocks of about this size: fewer writes than one per line, yet small
 * enough that a block's lines rarely outlive a young-generation GC (which would promote them).
 */
const BLOCK_CHARS = 16 * 1024;

export interface LineSource<T> {
  /** Items a cursor batch at a time (one await per batch, not per item). */
  batches: AsyncIterable<T[]>;
  /** One item as one line, its line end included. */
  line: (item: T) => string;
  /** Written first (a CSV header row), if any. */
  head?: string;
}

async function* lineBlocks<T>({ batches, line, head = '' }: LineSource<T>, counter: { written: number }): AsyncGenerator<string> {
  let block = head;
  for await (const batch of batches) {
    for (const item of batch) {
      block += line(item);
      counter.written++;
      if (block.length >= BLOCK_CHARS) {
        yield block;
        block = '';
      }
    }
  }
  if (block) yield block;
}

/**
 * Streams items into `to` (through `through`, e.g. gzip), one block at a time and only as fast as
 * `to` drains: the process holds one batch and one block, whatever the number of items. If `to`
 * fails or closes early (a client that hangs up), the source is closed too (its cursor with it).
 * Returns the number of items written; `progress` lets a caller watch it while it runs.
 */
export async function writeLines<T>(
  source: LineSource<T>, target: { through?: Transform[]; to: Writable },
  options: { signal?: AbortSignal; progress?: { written: number } } = {},
): Promise<number> {
  const counter = options.progress ?? { written: 0 };
  const readable = Readable.from(lineBlocks(source, counter));
  await pipeline([readable, ...(target.through ?? []), target.to], options.signal ? { signal: options.signal } : {});
  return counter.written;
}
