import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import type { LogService } from '../logs/log.service.ts';
import { createAccessTokenVerifier } from '../oidc/access-token-verifier.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { AccountMails } from '../users/account-mails.ts';
import type { AttackProtection } from '../users/attack-protection.ts';
import type { PasswordHasher } from '../users/password-hasher.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { createApiRouter } from './http/api-router.ts';
import { buildOpenApiDocument } from './http/openapi-document.ts';
import { openApiRoutes } from './http/openapi.routes.ts';
import { clientRateLimit } from './http/client-rate-limit.ts';
import { userRoutes } from './http/user.routes.ts';
import { managementAudience } from './management-api.ts';
import { createUserAdminService } from './user-admin.service.ts';
import { createUserListing } from './user-listing.service.ts';

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
  const routes = [...userRoutes(users, createUserListing(deps.users))];
  // Built at start-up, from the routes themselves: a route the generator cannot describe stops the start.
  const openApi = buildOpenApiDocument(routes, { issuer: config.issuer, referenceUrl: `${config.issuer}/api/v2/docs` });
  const router = createApiRouter({
    routes,
    publicRouter: openApiRoutes(openApi),
    verify: createAccessTokenVerifier({ publicKeys: deps.oidc.publicKeys, issuer: config.issuer, audience: managementAudience(config.issuer) }),
    rateLimit: clientRateLimit(connection, config.admin_api.rate_limit),
    logs, issuer: config.issuer, isDatabaseReady: deps.isDatabaseReady,
  });
  return { users, routes, openApi, router };
}

export type AdminArea = ReturnType<typeof createAdminArea>;
