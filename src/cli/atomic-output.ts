import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { CliError } from './cli-database.ts';

export interface AtomicOutput {
  /** Where the rows go: a temporary file beside the target, which stays as it was until `commit`. */
  to: Writable;
  /** Call once every row is written: the file, flushed to disk, takes the target's name. */
  commit(): Promise<void>;
  /** The command failed: the temporary file goes, the target stays as it was (absent, or the previous file). */
  discard(): Promise<void>;
}

/** Signals that end a CLI command half-way (Ctrl-C, kill, a closed terminal): the temporary file goes first. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const cannotWrite = (target: string, err: NodeJS.ErrnoException) => new CliError(`Cannot write ${target}: ${err.code ?? err.message}`);

/**
 * A file output that appears whole or not at all: half a customer list must never pass for the
 * list, nor replace the previous one. Rows go to a temporary file in the target's folder (so the
 * move is a rename on one file system), created 0600: the rows are customer data, readable by
 * their owner only (chmod the result to share it). At the end the file is flushed (fsync) and moved
 * into place: `rename` replaces an existing target (`replace`, --force); otherwise `link` refuses one
 * atomically (EEXIST), which a rename cannot. An existing target is also refused before any row is
 * read, so a long export does not run only to be refused.
 */
export async function openAtomicOutput(target: string, options: { replace: boolean; existsMessage: string }): Promise<AtomicOutput> {
  const existing = await lstat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw cannotWrite(target, err);
  });
  if (existing?.isDirectory()) throw new CliError(`Cannot write ${target}: it is a folder.`);
  if (existing && !options.replace) throw new CliError(options.existsMessage);

  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.part`);
  // Synchronous: the process ends right after. The signal is sent again, and with this listener gone it ends the process as it would have.
  const removeOnSignal = (signal: NodeJS.Signals) => {
    try { unlinkSync(temporary); } catch { /* not created yet, or already gone */ }
    stopWatching();
    process.kill(process.pid, signal);
  };
  const stopWatching = () => { for (const signal of ENDING_SIGNALS) process.off(signal, removeOnSignal); };
  // Before the file exists: the open completes on a worker thread, so a signal could otherwise
  // arrive with the file on disk and this process not yet listening.
  for (const signal of ENDING_SIGNALS) process.on(signal, removeOnSignal);
  const file = await open(temporary, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    stopWatching();
    throw cannotWrite(target, err);
  });
  const to = file.createWriteStream({ flush: true });
  const closed = new Promise<void>((resolve) => to.once('close', resolve));
  let failure: Error | undefined; // a flush (fsync) or close that failed after the last row was handed over
  to.on('error', (err) => { failure ??= err; });

  async function discard(): Promise<void> {
    stopWatching();
    to.destroy();
    await closed;
    await unlink(temporary).catch(() => undefined);
  }

  async function commit(): Promise<void> {
    await closed; // the stream has flushed (fsync) and closed the file
    if (failure) {
      await discard();
      throw cannotWrite(target, failure);
    }
    try {
      if (options.replace) await rename(temporary, target);
      else await link(temporary, target);
    } catch (err) {
      await discard();
      throw (err as NodeJS.ErrnoException).code === 'EEXIST' ? new CliError(options.existsMessage) : cannotWrite(target, err as NodeJS.ErrnoException);
    }
    try {
      if (!options.replace) await unlink(temporary); // the target is its other name now
    } finally {
      stopWatching();
    }
  }

  return { to, commit, discard };
}
