import type { Readable } from 'node:stream';
import { AppError, BadRequestError, NotFoundError } from '../../errors/app-error.ts';
import { PASSWORD_CONNECTION } from '../../users/password-user.ts';
import type { DownloadLinks } from './download-link.ts';
import type { ExportFileRepository } from './export-file.repository.ts';
import { defaultExportFields, exportFieldsProblems, MAX_EXPORT_FIELDS, type ExportFormat } from './export-fields.ts';
import type { ExportField, RecordError, UserJob } from './user-job.model.ts';
import type { UserJobRepository } from './user-job.repository.ts';
import { parseUsersFile } from './user-import.ts';
import { roleScopesOf, type RoleRights } from '../role-members.ts';
import { knownConnection } from '../connection-names.ts';

export class JobNotFoundError extends NotFoundError {
  constructor() { super('The job does not exist.'); }
  override readonly code = 'inexistent_job';
}

export interface ExportRequest { format?: ExportFormat; fields?: ExportField[]; limit?: number; connection_id?: string; segment_id?: string }
export interface ImportRequest { users: string; connection_id: string; upsert?: boolean; external_id?: string; send_completion_email?: boolean }

export type UserJobsService = ReturnType<typeof createUserJobsService>;

/**
 * Users export and import jobs, for both faces (Management API and CLI use the same runners):
 * creating one checks everything that can be checked at once (fields, connection, the file's
 * JSON), so a job only fails for reasons that arise while it runs.
 *
 * Connections: insole has no connection ids; `connection_id` takes the connection's name
 * (`Username-Password-Authentication`, `google-oauth2`, `facebook`, `twitter`).
 */
export function createUserJobsService(deps: {
  jobs: UserJobRepository; files: ExportFileRepository; links: DownloadLinks; issuer: string;
  /** Connections users can belong to: the database connection and every social one, configured or not. */
  connections: readonly string[];
  /** The saved segment an export names; throws SegmentNotFoundError (404) when it does not exist, or was deleted. */
  findSegment(id: string): Promise<unknown>;
  /** Tells this instance's worker that a job is waiting. */
  nudge(): void;
  /** How long finished jobs stay readable (admin_api.jobs.retention_hours). */
  retentionMs: number;
}) {
  const { jobs, files, links } = deps;

  async function createExportJob(request: ExportRequest, createdBy: string): Promise<UserJob> {
    const format = request.format ?? 'json';
    const fields = request.fields?.length ? request.fields : defaultExportFields(format);
    if (fields.length > MAX_EXPORT_FIELDS) throw new BadRequestError(`At most ${MAX_EXPORT_FIELDS} fields can be exported.`, 'invalid_body');
    const problems = exportFieldsProblems(fields, format);
    if (problems.length) throw new BadRequestError(`Payload validation error: ${problems.join('; ')}.`, 'invalid_body');
    // An unknown segment has no members: the job would complete with an empty file that looks like an answer.
    if (request.segment_id !== undefined) await deps.findSegment(request.segment_id);
    const job = await jobs.create({ type: 'users_export', created_by: createdBy, format, fields, limit: request.limit, connection: knownConnection(request.connection_id, deps.connections), segment: request.segment_id });
    deps.nudge();
    return job;
  }

  /**
   * `roles`: what the creating token may do to dashboard roles, kept on the job. Records are
   * checked one by one as the job runs (a bad one fails, the others go on), and only then is it
   * known whether an upsert takes roles away (it replaces the stored app_metadata), so the rights
   * travel with the job and the records that need more fail with a clear error.
   */
  async function createImportJob(request: ImportRequest, createdBy: string, roles: RoleRights): Promise<UserJob> {
    if (knownConnection(request.connection_id, deps.connections) !== PASSWORD_CONNECTION) throw new BadRequestError(`Connection must be a database connection: users are imported into ${PASSWORD_CONNECTION}.`, 'invalid_body');
    const total = parseUsersFile(request.users).length;
    const job = await jobs.create({
      type: 'users_import', created_by: createdBy, connection: PASSWORD_CONNECTION, users_file: request.users,
      upsert: request.upsert ?? false, external_id: request.external_id, send_completion_email: request.send_completion_email,
      role_scopes: roleScopesOf(roles), total, summary: { failed: 0, updated: 0, inserted: 0, total },
    });
    deps.nudge();
    return job;
  }

  /** Auth0's verification-email job: the mail is already on its way (`send`), so the job is born completed. */
  async function createVerificationEmailJob(send: () => Promise<void>, createdBy: string): Promise<UserJob> {
    await send();
    return jobs.createCompleted({ type: 'verification_email', created_by: createdBy }, deps.retentionMs);
  }

  async function getJob(jobId: string): Promise<{ job: UserJob; location?: string }> {
    const job = await jobs.find(jobId);
    if (!job) throw new JobNotFoundError();
    const location = job.type === 'users_export' && job.status === 'completed' ? links.create(deps.issuer, job.job_id) : undefined;
    return { job, location };
  }

  /** Auth0's three answers: the refused records, the job itself when it failed as a whole, or nothing (204). */
  async function getErrors(jobId: string): Promise<{ job: UserJob; records?: RecordError[] }> {
    const job = await jobs.findWithErrors(jobId);
    if (!job) throw new JobNotFoundError();
    return { job, records: job.record_errors?.length ? job.record_errors : undefined };
  }

  /** The file behind a signed `location`; the signature is checked before anything is looked up. */
  async function openDownload(jobId: string, expires: string, signature: string): Promise<{ stream: Readable; length: number; filename: string }> {
    if (!links.verify(jobId, expires, signature)) {
      throw new AppError('invalid_signature', 403, 'The download link is invalid or has expired: GET /api/v2/jobs/{id} gives a fresh one.');
    }
    const job = await jobs.find(jobId);
    const length = job?.file_id && job.status === 'completed' ? await files.length(job.file_id) : undefined;
    if (!job?.file_id || length === undefined) throw new NotFoundError('The export file does not exist (it may have expired).');
    return { stream: files.openDownload(job.file_id), length, filename: `${job.job_id}.${job.format}.gz` };
  }

  return { createExportJob, createImportJob, createVerificationEmailJob, getJob, getErrors, openDownload };
}
