import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { logoutRoutes } from '../http/routes/logout.routes.ts';
import { apiTokenUserinfoRoutes } from '../http/routes/api-token-userinfo.routes.ts';
import { authorizePostRoutes } from '../http/routes/authorize-post.routes.ts';
import { createApiTokenUserinfo } from './api-token-userinfo.ts';
import { logoutLogging } from './logout-log.ts';
import { startLiveProvider, type LiveProvider } from './live-provider.ts';
import { answerDatabaseUnavailable } from './database-unavailable.ts';
import { moveToFlowCollection } from './flow-collection.ts';
import { createProvider } from './provider.ts';
import { clientGrantProblems } from './resource-servers.ts';
import { ConfigError } from '../config/load-config.ts';
import type { Keyring } from '../lib/sealed-box.ts';
import { clientSecretsBox } from './client-secrets.ts';
import { loadDashboardClientSecret } from './dashboard-client.ts';
import { createSealingInstanceNote } from './sealing-instances.ts';
import { checkKeyEncryptionKey, loadSigningKeys, signingKeysBox } from './signing-keys.ts';
import { backchannelFetch, createLogoutNotices } from './backchannel-logout.ts';
import { revokeAllForAccount, type EndSessions } from './revoke-account.ts';

export type OidcArea = Area & {
  provider: LiveProvider;
  /** Ends an account's sessions and tokens, and sends each of their clients its logout token. */
  endSessions: EndSessions;
  /** The dashboard's client secret, the same on every instance whatever key it seals with; unset when the dashboard is off. */
  dashboardSecret?: string;
};

/**
 * Keys that open none of the stored signing keys are not this deployment's (a typo, another
 * database's): refused, naming the signing key, before a first start seals the dashboard's secret with them.
 */
async function readDashboardSecret({ config, connection }: Core, keyBox: Keyring): Promise<string> {
  await checkKeyEncryptionKey(connection, keyBox);
  return loadDashboardClientSecret(connection, clientSecretsBox(config));
}

/** The OpenID Provider: oidc-provider over MongoDB, rebuilt when the signing keys change, and Auth0's /v2/logout. */
export async function createOidcArea(core: Core): Promise<OidcArea> {
  const { config, connection, users, logs, logger, renderView, http } = core;
  const grantProblems = clientGrantProblems(config);
  if (grantProblems.length) throw new ConfigError(grantProblems);
  const keyBox = signingKeysBox(config);
  const noteSealingKey = createSealingInstanceNote(connection, keyBox.keyId);
  await moveToFlowCollection(connection, logger);
  const dashboardSecret = config.dashboard.enabled ? await readDashboardSecret(core, keyBox) : undefined;
  const timeoutMs = config.backchannel_logout.timeout_ms;
  const logoutNotices = createLogoutNotices({ logger, timeoutMs });
  const fetch = backchannelFetch(http, timeoutMs);
  const provider = await startLiveProvider({
    loadKeys: async () => {
      const keys = await loadSigningKeys(connection, keyBox);
      // Only once its keys opened (an instance refused at start serves nothing). Advisory, for keys
      // reseal: a failed note never holds back the keys (the next re-read notes again).
      await noteSealingKey().catch(() => undefined);
      return keys;
    },
    build: (signingKeys) => {
      const answered503 = (err: Error) => logger.warn({ err: { message: err.message } }, 'database unavailable: answered 503');
      const built = createProvider({ config, connection, users, signingKeys, renderView, onDatabaseUnavailable: answered503, fetch, dashboardSecret });
      built.use(logoutLogging(logs));
      logoutNotices.watch(built);
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
  const endSessions: EndSessions = async (accountId) => {
    await logoutNotices.send(provider.current(), await revokeAllForAccount(connection, accountId));
  };
  return { provider, endSessions, dashboardSecret, pages: [logoutRoutes(provider.current), apiTokenUserinfoRoutes(apiTokenUserinfo), authorizePostRoutes()], stop: () => provider.stop() };
}
