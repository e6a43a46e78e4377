import { Router } from 'express';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createLogRepository } from '../logs/log.repository.ts';
import type { LogService } from '../logs/log.service.ts';
import { createAccessTokenVerifier } from '../oidc/access-token-verifier.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { AccountMails } from '../users/account-mails.ts';
import type { AttackProtection } from '../users/attack-protection.ts';
import type { PasswordHasher } from '../users/password-hasher.ts';
import { createUserModel } from '../users/user.model.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { countActiveUsers } from '../reports/active-users.report.ts';
import { runDailyStats } from '../reports/daily-stats.report.ts';
import { createApiRouter } from './http/api-router.ts';
import { clientRateLimit } from './http/client-rate-limit.ts';
import { logRoutes, type CompileLogSearch } from './http/log.routes.ts';
import { statsRoutes } from './http/stats.routes.ts';
import { userBlockRoutes } from './http/user-block.routes.ts';
import { userIdentityRoutes } from './http/user-identity.routes.ts';
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
}

/** The Management API (/api/v2): its services, and the router that serves them to M2M clients. */
export function createAdminArea(deps: AdminAreaDeps) {
  const { config, connection, logs } = deps;
  const users = createUserAdminService({ ...deps, policy: config.password_policy });
  const logModel = createLogModel(connection);
  const userModel = createUserModel(connection);
  const router = createApiRouter({
    routes: [
      ...userRoutes(users),
      ...userIdentityRoutes(users),
      ...userBlockRoutes(users, { bruteForceEnabled: config.attack_protection.brute_force.enabled }),
      ...logRoutes({ logs: createLogRepository(logModel), compileLogSearch }),
      ...statsRoutes({
        dailyStats: (from, to) => runDailyStats(logModel, from, to),
        activeUsers: (since) => countActiveUsers(userModel, since),
        now: () => new Date(),
      }),
    ],
    publicRouter: Router(),
    verify: createAccessTokenVerifier({ publicKeys: deps.oidc.publicKeys, issuer: config.issuer, audience: managementAudience(config.issuer) }),
    rateLimit: clientRateLimit(connection, config.admin_api.rate_limit),
    logs, issuer: config.issuer, isDatabaseReady: deps.isDatabaseReady,
  });
  return { users, router };
}

export type AdminArea = ReturnType<typeof createAdminArea>;

// TEMPORARY until the log-search compiler (src/search/) is merged: every non-blank `q`/`search` is a 400.
const compileLogSearch: CompileLogSearch = () => {
  throw new AppError('invalid_query_string', 400, 'q is not supported yet');
};
