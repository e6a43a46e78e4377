import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { logoutRoutes } from '../http/routes/logout.routes.ts';
import { apiTokenUserinfoRoutes } from '../http/routes/api-token-userinfo.routes.ts';
import { createApiTokenUserinfo } from './api-token-userinfo.ts';
import { logoutLogging } from './logout-log.ts';
import { startLiveProvider, type LiveProvider } from './live-provider.ts';
import { answerDatabaseUnavailable } from './database-unavailable.ts';
import { moveToFlowCollection } from './flow-collection.ts';
import { createProvider } from './provider.ts';
import { clientGrantProblems } from './resource-servers.ts';
import { ConfigError } from '../config/load-config.ts';
import { loadSigningKeys, signingKeysBox } from './signing-keys.ts';

export type OidcArea = Area & { provider: LiveProvider };

/** The OpenID Provider: oidc-provider over MongoDB, rebuilt when the signing keys change, and Auth0's /v2/logout. */
export async function createOidcArea({ config, connection, users, logs, logger, renderView }: Core): Promise<OidcArea> {
  const grantProblems = clientGrantProblems(config);
  if (grantProblems.length) throw new ConfigError(grantProblems);
  const keyBox = signingKeysBox(config);
  await moveToFlowCollection(connection, logger);
  const provider = await startLiveProvider({
    loadKeys: () => loadSigningKeys(connection, keyBox),
    build: (signingKeys) => {
      const answered503 = (err: Error) => logger.warn({ err: { message: err.message } }, 'database unavailable: answered 503');
      const built = createProvider({ config, connection, users, signingKeys, renderView, onDatabaseUnavailable: answered503 });
      built.use(logoutLogging(logs));
      built.on('server_error', (ctx, err) => {
        if (answerDatabaseUnavailable(ctx, err)) answered503(err);
        else logger.error({ err }, 'oidc-provider server error');
      });
      return built;
    },
    refreshMs: config.signing_keys.refresh_seconds * 1000,
    logger,
  });
  const apiTokenUserinfo = createApiTokenUserinfo({ config, users, provider: provider.current, publicKeys: provider.publicKeys });
  return { provider, pages: [logoutRoutes(provider.current), apiTokenUserinfoRoutes(apiTokenUserinfo)], stop: () => provider.stop() };
}
