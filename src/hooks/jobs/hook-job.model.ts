import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * pending  → waiting for run_after; running → claimed by `worker` until lease_until;
 * done     → finished (result says what happened); dead → gave up (last_error says why; superseded_at
 *            when a later sign-in queued the work again);
 * disabled → parked because its hook disabled itself (a refused API key); reopened at start-up.
 */
export const JOB_STATES = ['pending', 'running', 'done', 'dead', 'disabled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface HookJob {
  _id: Types.ObjectId;
  hook: string;
  user_id: string;
  /** Unique: the idempotency key (`sentiment:<user_id>` is once per user). */
  key: string;
  state: JobState;
  /** Attempts started so far; a claim increments it, and it fences updates from a stale worker. */
  attempts: number;
  run_after: Date;
  lease_until?: Date | null;
  worker?: string | null;
  last_error?: string | null;
  /** Attempts deferred by a rate limit (HTTP 429; not counted in `attempts`), and when the first was. */
  rate_limited?: number;
  rate_limited_since?: Date | null;
  result?: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  finished_at?: Date | null;
  /** Set on a dead job when a later sign-in queued its work again under its key (now `<key>#dead:<id>`). */
  superseded_at?: Date | null;
  /** Set when done or superseded: MongoDB may delete the job after that (TTL). Nothing depends on it happening. */
  expire_at?: Date | null;
}

const hookJobSchema = new Schema<HookJob>({
  hook: { type: String, required: true },
  user_id: { type: String, required: true },
  key: { type: String, required: true, unique: true },
  state: { type: String, enum: JOB_STATES, required: true },
  attempts: { type: Number, required: true, default: 0 },
  run_after: { type: Date, required: true },
  lease_until: { type: Date },
  worker: { type: String },
  last_error: { type: String },
  rate_limited: { type: Number },
  rate_limited_since: { type: Date },
  result: { type: Schema.Types.Mixed },
  created_at: { type: Date, required: true },
  updated_at: { type: Date, required: true },
  finished_at: { type: Date },
  superseded_at: { type: Date },
  expire_at: { type: Date },
}, { collection: 'hook_jobs', versionKey: false, minimize: false, strict: 'throw' });

// The claim looks for due pending jobs and expired leases; operators look for dead jobs by hook.
hookJobSchema.index({ state: 1, run_after: 1 });
hookJobSchema.index({ state: 1, lease_until: 1 });
hookJobSchema.index({ hook: 1, state: 1 });
hookJobSchema.index({ user_id: 1 });
hookJobSchema.index({ expire_at: 1 }, { expireAfterSeconds: 0 });

export type HookJobModel = Model<HookJob>;

export function createHookJobModel(connection: Connection): HookJobModel {
  return (connection.models.HookJob as HookJobModel | undefined) ?? connection.model<HookJob>('HookJob', hookJobSchema);
}
