import { z } from 'zod';
import { MAX_EXPORT_FIELDS } from '../jobs/export-fields.ts';
import { JOB_STATUSES, JOB_TYPES, type RecordError, type UserJob } from '../jobs/user-job.model.ts';
import { queryBoolean } from './query-params.ts';

const connectionId = z.string().min(1).max(200)
  .describe('insole has no connection ids: the connection name, e.g. Username-Password-Authentication, google-oauth2, facebook, twitter.');

const exportField = z.object({
  name: z.string().min(1).max(100).describe('A profile field, user_metadata.<path>, app_metadata.<path> (keys as PATCH stores them, dot-separated) or identities[<n>].<attribute>.'),
  export_as: z.string().min(1).max(100).optional()
    .describe('Column title (CSV) or key (NDJSON) in the file (default: the name). Two fields with one title are a 400: one would overwrite the other.'),
}).strict();

export const jobIdParams = z.object({ id: z.string().regex(/^job_[A-Za-z0-9]{16}$/, 'must be job_ followed by 16 letters or digits') });

export const exportJobBody = z.object({
  connection_id: connectionId.optional().describe('Only users with an identity of this connection (default: all users).'),
  segment_id: z.string().regex(/^seg_[0-9a-f]{24}$/, 'not a segment id').optional().describe("insole's addition: only the members of this saved segment (see /segments)."),
  format: z.enum(['json', 'csv']).optional().describe('json: NDJSON, one user per line (default); csv: a header row, then one user per row.'),
  limit: z.number().int().min(1).optional().describe('At most this many users (default: all).'),
  fields: z.array(exportField).max(MAX_EXPORT_FIELDS).optional().describe('Default: the root profile fields (and identities and metadata in NDJSON).'),
}).strict();

/** Multipart fields arrive as text: booleans as `true`/`false`. */
export const importJobBody = z.object({
  users: z.string({ error: "Must provide 'users' file as multipart part." }).describe('The users file: a JSON array of users (Auth0 bulk-import schema), or NDJSON.'),
  connection_id: z.string({ error: "Must provide 'connection_id' as multipart part." }).pipe(connectionId),
  upsert: queryBoolean.optional().describe('true: users that exist (by email) are updated with the upsertable attributes of their record.'),
  external_id: z.string().max(100).optional().describe('Your own id for the job, returned with it.'),
  send_completion_email: queryBoolean.optional().describe('Accepted for compatibility and ignored: insole sends no completion mail.'),
}).strict();

/** Auth0's body; `client_id` and `organization_id` are accepted and ignored (the link always leads to insole's own page). */
export const verificationEmailBody = z.object({
  user_id: z.string().min(1).max(300).describe('The user to send the mail to.'),
  client_id: z.string().min(1).max(200).optional().describe('Accepted for compatibility; no effect.'),
  identity: z.object({ user_id: z.string().min(1).max(300), provider: z.string().min(1).max(100) }).strict().optional()
    .describe("Which of the user's identities the address belongs to (Auth0 asks it for social primary identities); it must be one of them."),
  organization_id: z.string().min(1).max(200).optional().describe('Accepted for compatibility; no effect.'),
}).strict();

const isoDate = z.string().describe('ISO 8601 date-time');
const count = z.number().int().min(0);

export const jobResponse = z.object({
  id: z.string(),
  type: z.enum(JOB_TYPES),
  status: z.enum(JOB_STATUSES),
  created_at: isoDate,
  connection_id: z.string().optional(),
  connection: z.string().optional(),
  segment_id: z.string().optional(),
  format: z.enum(['json', 'csv']).optional(),
  limit: z.number().int().optional(),
  fields: z.array(exportField).optional(),
  upsert: z.boolean().optional(),
  external_id: z.string().optional(),
  location: z.url().optional().describe('A completed export: a signed link to its gzip file, valid for admin_api.jobs.download_link_seconds.'),
  percentage_done: z.number().int().min(0).max(100).optional(),
  time_left_seconds: z.number().int().min(0).optional(),
  status_details: z.string().optional(),
  summary: z.object({ failed: count, updated: count, inserted: count, total: count }).optional(),
}).meta({ id: 'Job' });

export const recordErrorsResponse = z.array(z.object({
  user: z.object({ email: z.string().optional(), user_id: z.string().optional() }).describe('Which user the record meant (only these fields: a record can hold a password hash).'),
  index: z.number().int().min(0).describe('Position of the record in the file, from 0 (beyond Auth0).'),
  errors: z.array(z.object({ code: z.string(), message: z.string(), path: z.string().optional() })),
}));

const dropUndefined = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;

/** A job in Auth0's shape; progress while it runs, `location` when an export is done. */
export function toJobView(job: UserJob, location?: string): z.input<typeof jobResponse> {
  const running = job.status === 'processing' && job.total;
  const elapsedSeconds = job.started_at ? (Date.now() - job.started_at.getTime()) / 1000 : 0;
  return dropUndefined({
    id: job.job_id, type: job.type, status: job.status, created_at: job.created_at.toISOString(),
    connection_id: job.connection ?? undefined, connection: job.connection ?? undefined, segment_id: job.segment ?? undefined,
    format: job.format ?? undefined, limit: job.limit ?? undefined,
    fields: job.fields?.map(({ name, export_as }) => dropUndefined({ name, export_as })),
    upsert: job.type === 'users_import' ? job.upsert ?? false : undefined, external_id: job.external_id ?? undefined,
    location,
    percentage_done: running ? Math.min(100, Math.floor((job.processed / job.total!) * 100)) : job.status === 'completed' ? 100 : undefined,
    time_left_seconds: running && job.processed && elapsedSeconds ? Math.ceil((elapsedSeconds / job.processed) * (job.total! - job.processed)) : undefined,
    status_details: job.status_details ?? undefined,
    summary: job.summary ? { failed: job.summary.failed, updated: job.summary.updated, inserted: job.summary.inserted, total: job.summary.total } : undefined,
  });
}

export const toRecordErrors = (records: RecordError[]) => records.map(({ user, index, errors }) => ({ user, index, errors }));
