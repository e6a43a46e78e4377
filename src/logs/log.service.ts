import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { toEventMessage } from '../events/event-message.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { Logger } from '../lib/logger.ts';
import type { LogDoc, LogModel } from './log.model.ts';
import { LOG_TYPES, type LogType } from './log-types.ts';

/** A log event as callers give it: Auth0's fields; `log_id`, `date` and `description` are filled in. */
export type LogEventInput = Partial<Omit<LogDoc, 'log_id' | 'date' | 'type'>> & { type: LogType };

export type LogService = ReturnType<typeof createLogService>;

/**
 * Every log event is also an outbox record, for RabbitMQ (DESIGN "Events to RabbitMQ": published
 * only after the MongoDB write succeeded). Without transactions: stage the record, write the log,
 * then mark the record ready. A crash in between leaves a staged record that the relay publishes
 * if the log exists and drops if it does not; the `logs` documents stay exactly Auth0-shaped.
 */
export function createLogService(logs: LogModel, outbox: EventOutbox, logger: Logger) {
  return {
    async record(event: LogEventInput): Promise<string> {
      // Like Auth0's, a sortable id: time first, then randomness. Stable for consumers to de-duplicate on.
      const log_id = `${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
      const log: LogDoc = { description: LOG_TYPES[event.type], details: {}, ...event, log_id, date: new Date() };
      const message = toEventMessage(log);
      await outbox.stage(message);
      try {
        await logs.create(log);
      } catch (err) {
        await outbox.abandon(log_id).catch(() => {}); // else the relay drops it later
        throw err;
      }
      // The log is written, so this event happened: a failure here only delays it (the relay recovers it).
      await outbox.markWritten(message).catch((err: Error) => {
        logger.warn({ err: { message: err.message }, log_id }, 'could not mark the event ready; the relay will publish it after recover_after_ms');
      });
      return log_id;
    },

    /** Which of these log_ids are stored. */
    async findWrittenLogIds(ids: string[]): Promise<Set<string>> {
      // trusted(): sanitizeFilter would otherwise strip our own $in (the values are our ids).
      const found = await logs.find({ log_id: mongoose.trusted({ $in: ids.map(String) }) }, { log_id: 1, _id: 0 }).lean().exec();
      return new Set(found.map((l) => l.log_id));
    },
  };
}
