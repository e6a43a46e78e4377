import type { LogDoc } from '../logs/log.model.ts';

/**
 * The JSON body of one RabbitMQ message: the Auth0 log event as stored in `logs` (same field names),
 * `date` as an ISO string. `log_id` is stable, so consumers de-duplicate on it. For a data team it
 * carries what joins a login with storefront behaviour: user_id, client_id, connection, ip,
 * user_agent and date.
 */
export type EventMessage = Omit<LogDoc, 'date'> & { date: string };

/** Absent fields stay absent (as in Auth0's log events), never `null` or `undefined`. */
export function toEventMessage(log: LogDoc): EventMessage {
  const fields = Object.entries({ ...log, date: log.date.toISOString() }).filter(([key, value]) => key !== '_id' && value !== undefined);
  return Object.fromEntries(fields) as unknown as EventMessage;
}
