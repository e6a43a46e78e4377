import { Schema, type Connection, type Model, type Types } from 'mongoose';

// verification_email: Auth0's job for a verification mail; done when answered (the mail goes out in the background).
export const JOB_TYPES = ['users_export', 'users_import', 'verification_email'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** Auth0's job states: pending → processing (claimed, leased) → completed | failed. */
export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface ExportField { name: string; export_as?: string }

export interface ImportSummary { failed: number; updated: number; inserted: number; total: number }

/** One refused record of an import, as GET /jobs/{id}/errors reports it (never the record itself: it may hold a hash). */
export interface RecordError {
  index: number;
  user: { email?: string; user_id?: string };
  errors: { code: string; message: string; path?: string }[];
}

export interface UserJob {
  _id: Types.ObjectId;
  /** Auth0's shape: `job_` and 16 letters or digits. */
  job_id: string;
  type: JobType;
  status: JobStatus;
  /** The client whose token created the job (or `cli`). */
  created_by: string;
  connection?: string | null;
  /** An export of one saved segment's members (insole's addition to Auth0's export). */
  segment?: string | null;
  // Export parameters.
  format?: 'json' | 'csv' | null;
  limit?: number | null;
  fields?: ExportField[] | null;
  // Import parameters. The file waits here (never selected by default) and is removed when the job ends.
  upsert?: boolean | null;
  external_id?: string | null;
  send_completion_email?: boolean | null;
  /**
   * The role scopes (create:role_members, delete:role_members) of the token that created an import:
   * a record that would give or take a dashboard role without them fails (role-members.ts). None
   * recorded (a job from before this field): no role changes.
   */
  role_scopes?: string[] | null;
  users_file?: string | null;
  /** Claims so far; a claim increments it, and it fences updates from a worker that lost its lease. */
  attempts: number;
  worker?: string | null;
  lease_until?: Date | null;
  /** Export: users written; import: records handled (the import resumes after them when another worker takes over). */
  processed: number;
  /** Export: users to write (counted at start); import: records in the file. */
  total?: number | null;
  started_at?: Date | null;
  summary?: ImportSummary | null;
  record_errors?: RecordError[];
  /** The export's GridFS file (gzip). */
  file_id?: Types.ObjectId | null;
  status_details?: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at?: Date | null;
  /** Set when the job ends; every read filters on it, and MongoDB may delete the job after it (TTL). */
  expire_at?: Date | null;
}

const jobSchema = new Schema<UserJob>({
  job_id: { type: String, required: true, unique: true },
  type: { type: String, enum: JOB_TYPES, required: true },
  status: { type: String, enum: JOB_STATUSES, required: true },
  created_by: { type: String, required: true },
  connection: { type: String },
  segment: { type: String },
  format: { type: String, enum: ['json', 'csv'] },
  limit: { type: Number },
  fields: { type: [new Schema<ExportField>({ name: { type: String, required: true }, export_as: { type: String } }, { _id: false })], default: undefined },
  upsert: { type: Boolean },
  external_id: { type: String },
  send_completion_email: { type: Boolean },
  role_scopes: { type: [String], default: undefined },
  users_file: { type: String, select: false },
  attempts: { type: Number, required: true, default: 0 },
  worker: { type: String },
  lease_until: { type: Date },
  processed: { type: Number, required: true, default: 0 },
  total: { type: Number },
  started_at: { type: Date },
  summary: { type: new Schema<ImportSummary>({ failed: Number, updated: Number, inserted: Number, total: Number }, { _id: false }) },
  record_errors: { type: [Schema.Types.Mixed], select: false, default: undefined },
  file_id: { type: Schema.Types.ObjectId },
  status_details: { type: String },
  created_at: { type: Date, required: true },
  updated_at: { type: Date, required: true },
  finished_at: { type: Date },
  expire_at: { type: Date },
}, { collection: 'user_jobs', versionKey: false, minimize: false, strict: 'throw' });

// The claim looks for pending jobs by age and for running jobs whose lease ran out.
jobSchema.index({ status: 1, created_at: 1 });
jobSchema.index({ status: 1, lease_until: 1 });
jobSchema.index({ expire_at: 1 }, { expireAfterSeconds: 0 });

export type UserJobModel = Model<UserJob>;

export function createUserJobModel(connection: Connection): UserJobModel {
  return (connection.models.UserJob as UserJobModel | undefined) ?? connection.model<UserJob>('UserJob', jobSchema);
}
