import { Router } from 'express';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../lib/logger.ts';
import type { LogService } from '../logs/log.service.ts';
import { createAccessTokenVerifier } from '../oidc/access-token-verifier.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { AccountMails } from '../users/account-mails.ts';
import type { AttackProtection } from '../users/attack-protection.ts';
import type { PasswordHasher } from '../users/password-hasher.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { createApiRouter } from './http/api-router.ts';
import { clientRateLimit } from './http/client-rate-limit.ts';
import { jobDownloadRouter, jobRoutes } from './http/job.routes.ts';
import { createUserJobs } from './jobs/user-jobs.ts';
import { userRoutes } from './http/user.routes.ts';
import { managementAudience } from './management-api.ts';
import { createUserAdminService } from './user-admin.service.ts';

export interface AdminAreaDeps {
  config: Config;
  connection: Connection;
  users: UserRepository;
  logs: LogService;
  hasher: PasswordHasher;
  protection: AttackProtection;
  mails: AccountMails;
  oidc: LiveProvider;
  isDatabaseReady: () => boolean;
  logger: Logger;
  /** Connections users can belong to: the database connection and the enabled social ones. */
  connections: string[];
}

/** The Management API (/api/v2): its services, and the router that serves them to M2M clients. */
export function createAdminArea(deps: AdminAreaDeps) {
  const { config, connection, logs } = deps;
  const users = createUserAdminService({ ...deps, policy: config.password_policy });
  const jobs = createUserJobs({ config, connection, users: deps.users, connections: deps.connections, logger: deps.logger });
  const publicRouter = Router();
  publicRouter.use(jobDownloadRouter(jobs.service));
  const router = createApiRouter({
    routes: [...userRoutes(users), ...jobRoutes(jobs.service, { importMaxBytes: config.admin_api.jobs.import_max_bytes })],
    publicRouter,
    verify: createAccessTokenVerifier({ publicKeys: deps.oidc.publicKeys, issuer: config.issuer, audience: managementAudience(config.issuer) }),
    rateLimit: clientRateLimit(connection, config.admin_api.rate_limit),
    logs, issuer: config.issuer, isDatabaseReady: deps.isDatabaseReady,
  });
  return {
    users, jobs, router,
    /** Background work of the area (the jobs worker); stopped before the database closes. */
    start: () => jobs.start(),
    stop: (graceMs?: number) => jobs.stop(graceMs),
  };
}

export type AdminArea = ReturnType<typeof createAdminArea>;
