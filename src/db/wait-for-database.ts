import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.ts';
import { DatabaseConnectError, isDatabaseUnavailableError, withoutPassword } from './connect.ts';

/**
 * Pauses between start attempts: 1 s, doubled each time, at most 15 s. Each attempt itself waits the
 * driver's server selection (5 s, trying the address every half second), so a database that comes
 * back is found within the attempt under way or the next one, and the log gets a line every 6–20 s.
 */
export function pauseBeforeNextAttempt(attempt: number): number {
  return Math.min(15_000, 1_000 * 2 ** (attempt - 1));
}

export interface WaitOptions {
  logger: Logger;
  /** For the log: a driver message naming the address never shows its password. */
  uri: string;
  /** A shutdown: ends the pause at once, and the attempt under way if it passes the signal on. */
  signal?: AbortSignal;
  /** Give up (rethrow the last failure) once this long has passed; unset, never. */
  giveUpAfterMs?: number;
  /** Called at each failed attempt, before its pause (readiness says why it is not ready). */
  onWaiting?(): void;
}

/**
 * Runs `start` until it gets past the database: a start whose MongoDB is away (not up yet, or lost
 * half-way through the start-up work) is tried again, as the driver reconnects after a later
 * outage. Any other failure (an address that cannot be read, credentials refused, a config error)
 * is the operator's to fix, and is thrown at once. `start` cleans up after itself when it fails.
 */
export async function waitForDatabase<T>(start: () => Promise<T>, { logger, uri, signal, giveUpAfterMs, onWaiting }: WaitOptions): Promise<T> {
  const began = performance.now();
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await start();
    } catch (err) {
      signal?.throwIfAborted();
      if (!databaseAway(err)) throw err;
      if (giveUpAfterMs !== undefined && performance.now() - began >= giveUpAfterMs) throw err;
      onWaiting?.();
      const pauseMs = pauseBeforeNextAttempt(attempt);
      const reason = withoutPassword((err as Error).message, uri);
      logger.warn({ attempt, next_attempt_in_ms: pauseMs }, `waiting for MongoDB, attempt ${attempt} failed (${reason}): trying again in ${pauseMs / 1000} s; /health/live answers, every other request gets 503`);
      await sleep(pauseMs, undefined, { signal });
    }
  }
}

function databaseAway(err: unknown): boolean {
  return err instanceof DatabaseConnectError ? err.unavailable : isDatabaseUnavailableError(err);
}
