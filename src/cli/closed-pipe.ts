import type { Writable } from 'node:stream';

/**
 * Whether writing failed only because the reader of stdout has read all it wanted (`… | head`)
 * and closed the pipe: not a failure of the command, which then stops quietly with exit code 0.
 * writeLines has already closed the source (the database cursor with it).
 */
export function readerClosedStdout(err: unknown, to: Writable): boolean {
  return to === process.stdout && (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}
