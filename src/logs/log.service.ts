import mongoose from 'mongoose';
import { createLogIds } from './log-id.ts';
import type { LogOutbox } from './log-outbox.ts';
import type { LogDoc, LogModel } from './log.model.ts';
import { LOG_TYPES, type LogType } from './log-types.ts';

/** A log event as callers give it: Auth0's fields; `log_id`, `date` and `description` are filled in. */
export type LogEventInput = Partial<Omit<LogDoc, 'log_id' | 'date' | 'type'>> & { type: LogType };

export type LogService = ReturnType<typeof createLogService>;

/**
 * Every log event is also an event for RabbitMQ (DESIGN "Events to RabbitMQ": published only after
 * the MongoDB write succeeded). Without transactions, and in one write: the log is inserted marked
 * as its own pending outbox record, and moved to the outbox right after (log-outbox.ts).
 */
export function createLogService(logs: LogModel, outbox: LogOutbox) {
  const nextLogId = createLogIds();
  /** A log event, complete, not written yet: a sign-in carries it in its user write first, then hands it to `write`. */
  function prepare(event: LogEventInput): LogDoc {
    // Stable for consumers to de-duplicate on, and sortable (log-id.ts).
    return withoutUndefined({ description: LOG_TYPES[event.type], details: {}, ...event, log_id: nextLogId(), date: new Date() });
  }

  /**
   * A prepared `s`, `ss` or `sv` log, after the user write that carried it succeeded: it is inserted with the
   * next batched move (within events.gather_ms), not by this request (log-outbox.ts).
   */
  const write = (log: LogDoc): void => outbox.carried(log);

  return {
    prepare,
    write,

    async record(event: LogEventInput): Promise<string> {
      const log = prepare(event);
      await outbox.store(log);
      return log.log_id;
    },

    /**
     * A log prepared and kept elsewhere first (a mailed link's, on its ticket: email-tickets.ts
     * eventOnce), which several tries may bring: stored once, by its unique log_id.
     */
    recordOnce: (log: LogDoc): Promise<void> => outbox.store(log),

    /** Which of these log_ids are stored. */
    async findWrittenLogIds(ids: string[]): Promise<Set<string>> {
      // trusted(): sanitizeFilter would otherwise strip our own $in (the values are our ids).
      const found = await logs.find({ log_id: mongoose.trusted({ $in: ids.map(String) }) }, { log_id: 1, _id: 0 }).lean().exec();
      return new Set(found.map((l) => l.log_id));
    },
  };
}

/** Absent fields stay absent, as mongoose would store them (the driver would store undefined as null). */
function withoutUndefined(log: LogDoc): LogDoc {
  return Object.fromEntries(Object.entries(log).filter(([, value]) => value !== undefined)) as unknown as LogDoc;
}
