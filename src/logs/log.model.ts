import { Schema, type Connection, type Model } from 'mongoose';

export interface LogDoc {
  log_id: string;
  date: Date;
  type: string;
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
  details: Record<string, unknown>;
}

// Auth0 log event shape (GET /api/v2/logs), field names verbatim.
const logSchema = new Schema<LogDoc>({
  log_id: { type: String, required: true, unique: true },
  date: { type: Date, required: true },
  type: { type: String, required: true },
  description: { type: String },
  client_id: { type: String },
  client_name: { type: String },
  ip: { type: String },
  user_agent: { type: String },
  user_id: { type: String },
  user_name: { type: String },
  connection: { type: String },
  strategy: { type: String },
  strategy_type: { type: String },
  details: { type: Schema.Types.Mixed, default: () => ({}) },
}, { collection: 'logs', versionKey: false, minimize: false, strict: 'throw' });

// Date-ordered reads sort on (date, log_id): log_id breaks ties, so offset pages never repeat or skip
// a log at an equal date, and ending each index with it lets MongoDB take the order from the index.
logSchema.index({ date: -1, log_id: -1 });
logSchema.index({ user_id: 1, date: -1, log_id: -1 });
logSchema.index({ type: 1, date: -1, log_id: -1 });
// The log-outbox sweep's look-up (log-outbox.ts): sparse, since the marker is there only briefly.
logSchema.index({ outbox_pending: 1 }, { sparse: true });

export type LogModel = Model<LogDoc>;

export function createLogModel(connection: Connection): LogModel {
  return (connection.models.Log as LogModel | undefined) ?? connection.model<LogDoc>('Log', logSchema);
}
