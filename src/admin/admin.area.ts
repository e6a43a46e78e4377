import { Router } from 'express';
import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createLogRepository } from '../logs/log.repository.ts';
import { createAccessTokenVerifier } from '../oidc/access-token-verifier.ts';
import { createIdTokenVerifier } from '../oidc/id-token-verifier.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import { countActiveUsers } from '../reports/active-users.report.ts';
import { runDailyStats } from '../reports/daily-stats.report.ts';
import { createInsightReports } from '../reports/insight-reports.ts';
import { createReportRollups } from '../reports/report-rollups.ts';
import { runSegmentPreview } from '../reports/segment-preview.report.ts';
import { compileSegmentFilter } from '../insight/segments/segment-filter.ts';
import { logSearchCatalogue } from '../search/search-catalogues.ts';
import { compileSearch } from '../search/search-compiler.ts';
import type { AccountsArea } from '../users/accounts.area.ts';
import { createRoleStanding } from '../users/role-standing.ts';
import { createApiRouter } from './http/api-router.ts';
import { clientRateLimit } from './http/client-rate-limit.ts';
import { jobDownloadRouter, jobRoutes } from './http/job.routes.ts';
import { createUserJobs } from './jobs/user-jobs.ts';
import { segmentRoutes } from './http/segment.routes.ts';
import type { InsightArea } from '../insight/insight.area.ts';
import { buildOpenApiDocument } from './http/openapi-document.ts';
import { openApiRoutes } from './http/openapi.routes.ts';
import { logRoutes } from './http/log.routes.ts';
import { reportAudienceRoutes } from './http/report-audience.routes.ts';
import { reportSummaryRoutes } from './http/report-summary.routes.ts';
import { reportRoutes } from './http/report.routes.ts';
import { segmentPreviewRoutes } from './http/segment-preview.routes.ts';
import { statsRoutes } from './http/stats.routes.ts';
import { userBlockRoutes } from './http/user-block.routes.ts';
import { userIdentityRoutes } from './http/user-identity.routes.ts';
import { userRoutes } from './http/user.routes.ts';
import { ticketRoutes } from './http/ticket.routes.ts';
import { createResultUrls } from './result-urls.ts';
import { createUserTickets } from './user-tickets.service.ts';
import { roleRoutes } from './http/role.routes.ts';
import { userRoleRoutes } from './http/user-role.routes.ts';
import { createRoleDirectory } from './dashboard-roles.ts';
import { createAccountLinking } from './account-linking.ts';
import { createUserRoles } from './user-roles.service.ts';
import { managementAudience } from './management-api.ts';
import { createUserAdminService } from './user-admin.service.ts';
import { createUserListing } from './user-listing.service.ts';

/** The Management API (/api/v2): its services, and the router that serves them to M2M clients. */
interface AdminAreaDeps { oidc: LiveProvider; accounts: AccountsArea; insight: Pick<InsightArea, 'segments'>; connections: readonly string[] }

export function createAdminArea(core: Core, { oidc, accounts, insight, connections }: AdminAreaDeps) {
  const { config, connection, logs, userModel, logger } = core;
  const users = createUserAdminService({ ...core, ...accounts, policy: config.password_policy, dashboard: config.dashboard });
  const jobs = createUserJobs({ config, connection, users: core.users, connections, findSegment: insight.segments.find, logger });
  const logModel = createLogModel(connection);
  const insightReports = createInsightReports(connection, config.insight);
  const rollups = createReportRollups(connection, { logger: logger.child({ component: 'report-rollups' }) });
  const listing = createUserListing(core.users, connections);
  const roles = createRoleDirectory(config.dashboard);
  // One per instance: the dashboard's live streams ask it too, so a user's page and streams share a read.
  const standingOf = createRoleStanding(core.users, config.dashboard);
  const userRoles = createUserRoles({ admin: users, users: core.users, roles, dashboard: config.dashboard });
  const routes = [
    ...userRoutes(users, listing),
    ...userRoleRoutes(users, roles, userRoles),
    ...roleRoutes(roles, listing, userRoles),
    ...userIdentityRoutes(users, createAccountLinking({ users: core.users, logs, endSessions: accounts.endSessions, dashboard: config.dashboard }),
      createIdTokenVerifier({ publicKeys: oidc.publicKeys, issuer: config.issuer })),
    ...userBlockRoutes(users, { bruteForceEnabled: config.attack_protection.brute_force.enabled }),
    ...ticketRoutes(createUserTickets({ users: core.users, mails: accounts.mails, resultUrls: createResultUrls(config, connection) })),
    ...logRoutes({ logs: createLogRepository(logModel), compileLogSearch: (q) => compileSearch(q, logSearchCatalogue) }),
    ...statsRoutes({
      dailyStats: (from, to) => runDailyStats(logModel, from, to),
      activeUsers: (since) => countActiveUsers(userModel, since),
      now: () => new Date(),
    }),
    ...jobRoutes(jobs.service, { importMaxBytes: config.admin_api.jobs.import_max_bytes }, users),
    ...segmentRoutes(insight.segments, listing, core.users),
    ...segmentPreviewRoutes({
      preview(filter) {
        const now = new Date();
        return runSegmentPreview(userModel, compileSegmentFilter(filter, { now, vocabulary: config.insight.interests }), now);
      },
    }),
    ...reportRoutes(insightReports, rollups),
    // A sign-in's log is written within events.gather_ms, and the move itself takes a moment.
    ...reportSummaryRoutes(insightReports, rollups, { logsLagMs: config.events.gather_ms + 2000 }),
    ...reportAudienceRoutes(insightReports, rollups),
  ];
  // Built at start-up, from the routes themselves: a route the generator cannot describe stops the start.
  const openApi = buildOpenApiDocument(routes, { issuer: config.issuer, referenceUrl: `${config.issuer}/api/v2/docs` });
  const router = createApiRouter({
    routes,
    publicRouter: Router().use(openApiRoutes(openApi), jobDownloadRouter(jobs.service)),
    verify: createAccessTokenVerifier({ publicKeys: oidc.publicKeys, issuer: config.issuer, audience: managementAudience(config.issuer) }),
    standingOf,
    rateLimit: clientRateLimit(connection, config.admin_api.rate_limit),
    logs, issuer: config.issuer, isDatabaseReady: core.isDatabaseReady,
  });
  return {
    users, jobs, routes, openApi, standingOf, apis: [{ path: '/api/v2', router }],
    // The export/import worker; on shutdown a running job gets the grace, then is handed back.
    start: () => jobs.start(),
    stop: (graceMs: number) => jobs.stop(graceMs),
  } satisfies Area & Record<string, unknown>;
}

export type AdminArea = ReturnType<typeof createAdminArea>;
