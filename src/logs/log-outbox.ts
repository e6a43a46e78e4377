import { toEventMessage } from '../events/event-message.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { Collection } from 'mongodb';
import type { Logger } from '../lib/logger.ts';
import { insertNew, isDuplicateKeyError } from '../db/duplicate-keys.ts';
import type { LogDoc, LogModel } from './log.model.ts';

/**
 * Set on a log document by the very insert that stores it, until its event is in the outbox: the log
 * is the outbox record of its own event until then (one insert per log event, no transaction).
 * Unset in the same move that queues the event, so a log at rest is exactly Auth0's shape.
 */
export const OUTBOX_PENDING = 'outbox_pending';

/**
 * A sign-in's `s` or `ss` log travels in the user write that counts the login (this field of the
 * user, see user.repository.ts), and a verify-first sign-up's `sv` with its `ss` in the insert that
 * makes the user: that write is what makes it durable, without transactions. The log
 * itself is inserted by the batched move, with the others of its burst (no write per sign-in), and
 * the copy is pulled after that. One older than a sweep period was never moved, maybe never written,
 * and the sweep writes it (once: log_id is unique) and moves it.
 */
export const CARRIED_LOGS = 'pending_logs';
const isCarried = (log: LogDoc) => Boolean(log.user_id) && (log.type === 's' || log.type === 'ss' || log.type === 'sv');

export interface LogOutboxSettings {
  /** Logs written here are moved together after this wait: one insertMany and one updateMany for a burst of sign-ins. */
  gatherMs: number;
  /** How often to look for logs whose writer stopped before moving them (a crash): from any instance. */
  sweepMs: number;
}

export type LogOutbox = ReturnType<typeof createLogOutbox>;

/**
 * Moves log events to the event outbox (DESIGN "Events to RabbitMQ": published only after the log
 * write succeeded). A crash between the insert and the move leaves the marker, which the sweep of
 * any instance finds; moving twice is harmless, the outbox keys records by log_id.
 */
export function createLogOutbox(logs: LogModel, users: Collection, outbox: EventOutbox, logger: Logger, { gatherMs, sweepMs }: LogOutboxSettings) {
  const collection = logs.collection;
  let gathered: LogDoc[] = [];
  let timer: NodeJS.Timeout | undefined;
  let moving: Promise<void> = Promise.resolve();
  let sweeper: NodeJS.Timeout | undefined;

  async function move(batch: LogDoc[]): Promise<void> {
    if (!batch.length) return;
    // A sign-in's carried logs are inserted here, a burst in one insertMany: their copy in the user is
    // what makes them durable, so the request need not wait for a write of its own. Written already
    // (by an earlier move that failed after it, or by another instance's sweep) is fine.
    const carried = batch.filter(isCarried);
    await insertNew(collection, carried.map((log) => ({ ...log })));
    await outbox.enqueue(batch.map(toEventMessage));
    await collection.updateMany({ log_id: { $in: batch.map((log) => log.log_id) } }, { $unset: { [OUTBOX_PENDING]: '' } });
    if (!carried.length) return;
    await users.updateMany(
      { user_id: { $in: [...new Set(carried.map((log) => log.user_id!))] } },
      { $pull: { [CARRIED_LOGS]: { log_id: { $in: carried.map((log) => log.log_id) } } } } as object,
    );
  }

  /**
   * Inserts `log` with its pending marker, once: false when it was there already (written by the
   * sweep, for a carried log, or by the sign-in that carried it). log_id is unique.
   */
  async function insertOnce(log: LogDoc): Promise<boolean> {
    try {
      // Straight to the driver: LogDoc is the schema, and mongoose's document machinery would only cost CPU.
      await collection.insertOne({ ...log, [OUTBOX_PENDING]: true });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** Carried logs whose move is overdue (their writer stopped, or its move failed): written now unless they were, then moved. */
  async function sweepCarried(): Promise<void> {
    const overdue = new Date(Date.now() - sweepMs);
    for (;;) {
      const stranded = await users.find<{ [CARRIED_LOGS]: LogDoc[] }>({ [`${CARRIED_LOGS}.0.date`]: { $lt: overdue } }, { limit: 100, projection: { [CARRIED_LOGS]: 1 } }).toArray();
      const carried = stranded.flatMap((user) => user[CARRIED_LOGS]);
      await move(carried);
      if (stranded.length < 100) return;
    }
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const batch = gathered;
    gathered = [];
    // One move at a time, in order; a failed one is left to the sweep (the markers are still set).
    moving = moving.then(() => move(batch)).catch((err: Error) => {
      logger.warn({ err: { message: err.message }, events: batch.length }, 'could not move log events to the outbox; the sweep retries');
    });
    return moving;
  }

  async function sweep(): Promise<void> {
    await sweepCarried();
    for (;;) {
      const stranded = await collection.find<LogDoc & { _id?: unknown }>({ [OUTBOX_PENDING]: true }, { limit: 500, projection: { [OUTBOX_PENDING]: 0 } }).toArray();
      await move(stranded.map(({ _id, ...log }) => log as LogDoc));
      if (stranded.length < 500) return;
    }
  }

  const gather = (log: LogDoc) => {
    gathered.push(log);
    timer ??= setTimeout(() => void flush(), gatherMs);
  };

  return {
    /** Stores `log` (once) as its own pending outbox record; its event is moved with the others written within gatherMs. */
    async store(log: LogDoc): Promise<void> {
      if (!(await insertOnce(log))) return; // already stored: whoever stored it moves it
      gather(log);
    },

    /**
     * A sign-in's `s` or `ss` (or a sign-up's `sv`), which its user write carries already: written and moved with the
     * others within gatherMs (in `move`), so it shows in the logs API that much later.
     */
    carried(log: LogDoc): void {
      if (!isCarried(log)) throw new Error(`a ${log.type} log is not carried by a user write; store it`);
      gather(log);
    },

    start(): void {
      sweeper = setInterval(() => { moving = moving.then(sweep).catch((err: Error) => logger.warn({ err: { message: err.message } }, 'log outbox sweep failed; retrying')); }, sweepMs);
      sweeper.unref();
    },

    /** Moves what is gathered now (shutdown, or a CLI command about to exit). */
    async stop(): Promise<void> {
      clearInterval(sweeper);
      await flush();
    },

    sweep,
  };
}
