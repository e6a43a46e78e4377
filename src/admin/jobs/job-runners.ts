import { createGzip } from 'node:zlib';
import { Types } from 'mongoose';
import type { UserRepository } from '../../users/user.repository.ts';
import type { ExportFileRepository } from './export-file.repository.ts';
import { defaultExportFields } from './export-fields.ts';
import type { UserJob } from './user-job.model.ts';
import type { UserJobRepository } from './user-job.repository.ts';
import { writeExport } from './user-export.ts';
import { importUsers, parseUsersFile, type ImportDeps } from './user-import.ts';
import { roleRightsOf } from '../role-members.ts';
import { StoredUserError } from '../../users/stored-user.ts';

/** Users per round trip of an export's cursor: a job reads every user, so fewer, larger batches (about 2 MB each, the next read while this one is written; memory stays flat). */
const EXPORT_BATCH = 1000;

/**
 * The job cannot succeed however often it is tried (what it names is gone): the worker fails it at
 * once, and the message is its `status_details`, shown to the API client, so it names no internals.
 */
export class JobFailure extends Error {
  constructor(message: string) { super(message); this.name = 'JobFailure'; }
}

/** The job went to another worker (this one's lease ran out): stop, and record nothing. */
export class LostLease extends Error {
  constructor() { super('the lease passed to another worker'); this.name = 'LostLease'; }
}

export interface JobRun {
  signal: AbortSignal;
  /** Where the attempt is; the worker's heartbeat saves it with each lease renewal. */
  progress: { written: number };
}

/** Runs one claimed job to its end; false when the outcome could not be recorded (the lease was lost). */
export type RunJob = (job: UserJob, run: JobRun) => Promise<boolean>;

export interface JobRunnerDeps {
  jobs: UserJobRepository;
  files: ExportFileRepository;
  users: UserRepository;
  importDeps: ImportDeps;
  /** Whether the saved segment an export names still exists (it may be deleted after the job was created). */
  segmentExists(id: string): Promise<boolean>;
  retentionMs: number;
}

export function createJobRunner(deps: JobRunnerDeps): RunJob {
  const { jobs, files, users, retentionMs } = deps;
  const expiry = () => new Date(Date.now() + retentionMs);
  const must = async (recorded: Promise<boolean>) => {
    if (!(await recorded)) throw new LostLease();
  };

  /**
   * A deleted segment has no members (its id is pulled from every profile): the export would complete
   * with an empty or partial file that looks like an answer. Checked before and after the export.
   */
  async function mustHaveSegment(job: UserJob, when: string): Promise<void> {
    if (job.segment && !(await deps.segmentExists(job.segment))) {
      throw new JobFailure(`The segment ${job.segment} was deleted ${when}: there is no list of its members to export.`);
    }
  }

  /** Cursor → NDJSON/CSV → gzip → GridFS, with backpressure all the way: memory stays flat. */
  async function runExport(job: UserJob, { signal, progress }: JobRun): Promise<boolean> {
    if (job.file_id) await files.remove(job.file_id); // what an interrupted attempt left behind
    await mustHaveSegment(job, 'after the job was created');
    const fileId = new Types.ObjectId();
    const source = { connection: job.connection ?? undefined, segment: job.segment ?? undefined, limit: job.limit ?? undefined };
    const total = Math.min(await users.countAll(source), job.limit ?? Infinity);
    await must(jobs.begin(job, { total, processed: 0, file_id: fileId }));
    progress.written = 0;
    // Until the job completes, the file's expiry is a bound for the sweep, should this instance die mid-way.
    const upload = files.openUpload(fileId, `${job.job_id}.${job.format}.gz`, new Date(Date.now() + retentionMs + 24 * 3600_000));
    const plan = { format: job.format ?? 'json', fields: job.fields?.length ? job.fields : defaultExportFields(job.format ?? 'json') };
    try {
      await writeExport(users.streamBatches(source, EXPORT_BATCH), plan, { through: [createGzip()], to: upload }, { signal, progress });
      await mustHaveSegment(job, 'while the job ran');
    } catch (err) {
      await files.remove(fileId).catch(() => undefined);
      // A user no reader can use stays so at every attempt: fail now, saying which and why.
      throw err instanceof StoredUserError ? new JobFailure(err.message) : err;
    }
    const expireAt = expiry();
    await files.setExpiry(fileId, expireAt);
    return jobs.complete(job, expireAt);
  }

  /** Record by record, each outcome saved as it happens, resuming after the last one saved. */
  async function runImport(job: UserJob, { signal, progress }: JobRun): Promise<boolean> {
    const records = parseUsersFile(job.users_file ?? '');
    await must(jobs.begin(job, { total: records.length }));
    progress.written = job.processed;
    await importUsers(records, { upsert: job.upsert ?? false, roles: roleRightsOf(new Set(job.role_scopes ?? [])) }, deps.importDeps, {
      startAt: job.processed, signal,
      async onOutcome(index, outcome) {
        await must(jobs.recordImported(job, index, outcome));
        progress.written = index + 1;
      },
    });
    return jobs.complete(job, expiry());
  }

  return (job, run) => (job.type === 'users_export' ? runExport(job, run) : runImport(job, run));
}
