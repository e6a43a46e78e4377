import { toEventMessage } from '../events/event-message.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { Collection } from 'mongodb';
import type { Logger } from '../lib/logger.ts';
import { isDuplicateKeyError } from '../users/user.repository.ts';
import type { LogDoc, LogModel } from './log.model.ts';

/**
 * Set on a log document by the very insert that stores it, until its event is in the outbox: the log
 * is the outbox record of its own event until then (one insert per log event, no transaction).
 * Unset in the same move that queues the event, so a log at rest is exactly Auth0's shape.
 */
export const OUTBOX_PENDING = 'outbox_pending';

/**
 * A sign-in's `s` or `ss` log also travels in the user write that counts the login (this field of
 * the user, see user.repository.ts): without transactions, a crash or a lost database between that
 * write and the log's insert would otherwise leave a login counted and never logged. The copy is
 * pulled in the move; one older than a sweep period was never moved, maybe never written, and the
 * sweep writes it (once: log_id is unique) and moves it.
 */
export const CARRIED_LOGS = 'pending_logs';
const isCarried = (log: LogDoc) => Boolean(log.user_id) && (log.type === 's' || log.type === 'ss');

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
    await outbox.enqueue(batch.map(toEventMessage));
    await collection.updateMany({ log_id: { $in: batch.map((log) => log.log_id) } }, { $unset: { [OUTBOX_PENDING]: '' } });
    const carried = batch.filter(isCarried);
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

  /** Carried logs whose move is overdue: written now unless they were, then moved. */
  async function sweepCarried(): Promise<void> {
    const overdue = new Date(Date.now() - sweepMs);
    for (;;) {
      const stranded = await users.find<{ [CARRIED_LOGS]: LogDoc[] }>({ [`${CARRIED_LOGS}.0.date`]: { $lt: overdue } }, { limit: 100, projection: { [CARRIED_LOGS]: 1 } }).toArray();
      const carried = stranded.flatMap((user) => user[CARRIED_LOGS]);
      for (const log of carried) await insertOnce(log);
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

  return {
    /** Stores `log` (once) as its own pending outbox record; its event is moved with the others written within gatherMs. */
    async store(log: LogDoc): Promise<void> {
      if (!(await insertOnce(log))) return; // already stored: whoever stored it moves it
      gathered.push(log);
      timer ??= setTimeout(() => void flush(), gatherMs);
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
