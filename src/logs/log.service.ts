import { randomBytes } from 'node:crypto';
import type { LogModel } from './log.model.ts';
import { LOG_TYPES, type LogType } from './log-types.ts';

export interface LogEventInput {
  type: LogType;
  description?: string;
  client_id?: string;
  client_name?: string;
  ip?: string;
  user_agent?: string;
  user_id?: string;
  user_name?: string;
  connection?: string;
  strategy?: string;
  strategy_type?: string;
  details?: Record<string, unknown>;
}

export type LogService = ReturnType<typeof createLogService>;

export function createLogService(logs: LogModel) {
  return {
    async record(event: LogEventInput): Promise<string> {
      // Like Auth0's, a sortable id: time first, then randomness. Stable for consumers to de-duplicate on.
      const log_id = `${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
      await logs.create({
        description: LOG_TYPES[event.type],
        details: {},
        ...event,
        log_id,
        date: new Date(),
      });
      return log_id;
    },
  };
}
