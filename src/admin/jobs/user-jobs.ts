import type { Connection } from 'mongoose';
import type { Config } from '../../config/schema.ts';
import { NotFoundError } from '../../errors/app-error.ts';
import type { Logger } from '../../lib/logger.ts';
import type { UserRepository } from '../../users/user.repository.ts';
import { createDownloadLinks, downloadLinkSecrets } from './download-link.ts';
import { createExportFileRepository } from './export-file.repository.ts';
import { createJobRunner } from './job-runners.ts';
import { createJobWorker } from './job-worker.ts';
import { createUserJobModel } from './user-job.model.ts';
import { createUserJobRepository } from './user-job.repository.ts';
import { createUserJobsService } from './user-jobs.service.ts';
import type { ImportDeps } from './user-import.ts';

export type UserJobs = ReturnType<typeof createUserJobs>;

/** What an import needs besides the file, for the job and for `insole users import` alike. */
export function importDepsFor(users: UserRepository, dashboard: Config['dashboard']): ImportDeps {
  return { users, dashboard };
}

/** Users export/import jobs: their collection, file store, API service and this instance's worker. */
export function createUserJobs(deps: { config: Config; connection: Connection; users: UserRepository; connections: readonly string[]; findSegment(id: string): Promise<unknown>; logger: Logger }) {
  const { config, connection, users } = deps;
  const settings = config.admin_api.jobs;
  const model = createUserJobModel(connection);
  const jobs = createUserJobRepository(model);
  const files = createExportFileRepository(connection);
  const retentionMs = settings.retention_hours * 3600_000;
  const segmentExists = (id: string) => deps.findSegment(id).then(() => true, (err: unknown) => {
    if (err instanceof NotFoundError) return false;
    throw err;
  });
  const worker = createJobWorker({
    jobs, files, logger: deps.logger.child({ component: 'user-jobs' }),
    run: createJobRunner({ jobs, files, users, importDeps: importDepsFor(users, config.dashboard), segmentExists, retentionMs }),
    settings: { pollMs: settings.poll_ms, leaseMs: settings.lease_ms, maxAttempts: settings.max_attempts, retentionMs },
  });
  const service = createUserJobsService({
    jobs, files, issuer: config.issuer, connections: deps.connections, findSegment: deps.findSegment, nudge: worker.nudge, retentionMs,
    links: createDownloadLinks(downloadLinkSecrets(config), settings.download_link_seconds),
  });
  return {
    service,
    async start(): Promise<void> {
      await model.init();
      if (settings.worker) worker.start();
    },
    stop: (graceMs?: number) => worker.stop(graceMs),
  };
}
