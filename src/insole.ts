import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from 'mongoose';
import { createApp } from './app.ts';
import type { Config } from './config/schema.ts';
import { connectDatabase, isDatabaseReady } from './db/connect.ts';
import type { Logger } from './lib/logger.ts';
import { createSealedBox } from './lib/sealed-box.ts';
import { createLogModel } from './logs/log.model.ts';
import { createLogService } from './logs/log.service.ts';
import { createEventOutbox } from './events/event-outbox.ts';
import { startEventRelay } from './events/event-relay.ts';
import { createViewRenderer } from './http/views.ts';
import { logoutLogging } from './oidc/logout-log.ts';
import { createProvider } from './oidc/provider.ts';
import { startLiveProvider } from './oidc/live-provider.ts';
import { loadSigningKeys, signingKeysBox } from './oidc/signing-keys.ts';
import { createPasswordHasher } from './users/password-hasher.ts';
import { createPasswordSigninService } from './users/password-signin.service.ts';
import { createUserModel } from './users/user.model.ts';
import { createUserRepository } from './users/user.repository.ts';
import { createHandshakeStore } from './auth/handshake.store.ts';
import { createPassport, enabledConnections } from './auth/passport-setup.ts';
import { createSocialSigninService } from './auth/social-signin.service.ts';
import { createMailer } from './integrations/mailer.ts';
import { createPostLogin } from './hooks/post-login.ts';
import { createRulesStep } from './hooks/rules/rules.step.ts';
import { createMetadataStore } from './hooks/rules/metadata-store.ts';
import { createBuiltinHooks } from './hooks/builtin/builtin-hooks.ts';
import { createDurableHooks, type DurableHooks } from './hooks/jobs/durable-hooks.ts';
import { createAccountMails } from './users/account-mails.ts';
import { createAccountService } from './users/account.service.ts';
import { createAttackProtection } from './users/attack-protection.ts';
import { createEmailTickets } from './users/email-tickets.ts';
import { createAdminArea } from './admin/admin.area.ts';
import { PASSWORD_CONNECTION } from './users/new-user.ts';

export interface RunningInsole {
  server: Server;
  url: string;
  connection: Connection;
  /** The durable hooks' queue and worker (metrics() per hook). */
  hooks: DurableHooks;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the database. */
  stop(graceMs?: number): Promise<void>;
}

/** Builds every dependency from the config and serves. main.ts and the tests both start insole here. */
export async function startInsole(config: Config, logger: Logger, mongodbUri: string): Promise<RunningInsole> {
  const connection = await connectDatabase(mongodbUri, logger);
  const userModel = createUserModel(connection);
  const logModel = createLogModel(connection);
  await Promise.all([userModel.init(), logModel.init()]);

  const users = createUserRepository(userModel);
  const outbox = createEventOutbox(connection, config.events);
  await outbox.prepare();
  const logs = createLogService(logModel, outbox, logger);
  const renderView = createViewRenderer(config);
  const keyBox = signingKeysBox(config);
  const oidc = await startLiveProvider({
    loadKeys: () => loadSigningKeys(connection, keyBox),
    build: (signingKeys) => {
      const provider = createProvider({ config, connection, users, signingKeys, renderView });
      provider.use(logoutLogging(logs));
      provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc-provider server error'));
      return provider;
    },
    refreshMs: config.signing_keys.refresh_seconds * 1000,
    logger,
  });

  const mailer = createMailer(config, logger);
  const tickets = createEmailTickets(connection);
  const mails = createAccountMails({ config, mailer, tickets, render: renderView });
  const protection = createAttackProtection(connection, config);
  const hasher = createPasswordHasher(config.argon2);
  const policy = config.password_policy;
  const passwordSignin = createPasswordSigninService({ users, logs, policy, hasher, protection, mails });
  const account = createAccountService({ connection, users, tickets, mails, logs, hasher, policy, protection });
  const handshakes = createHandshakeStore(connection);
  const tokenBox = createSealedBox(config.secrets.key_encryption_key, 'idp-tokens');
  const durableHooks = await createDurableHooks({
    config: config.hooks, connection, hooks: createBuiltinHooks(config.hooks, userModel), findUser: users.findByUserId, logger,
  });
  const ready = () => isDatabaseReady(connection);
  const admin = createAdminArea({
    config, connection, users, logs, hasher, protection, mails, oidc, isDatabaseReady: ready, logger,
    connections: [PASSWORD_CONNECTION, ...enabledConnections(config)],
  });
  const app = createApp({
    config, logger, oidc, passwordSignin, renderView, isDatabaseReady: ready, managementApi: admin.router,
    socialSignin: createSocialSigninService({ users, logs }),
    account,
    durableHooks,
    // After every sign-in: Auth0-style rules inline, then the durable hooks are queued.
    postLogin: createPostLogin([
      createRulesStep({ rules: config.rules, issuer: config.issuer, logger, logs, metadata: createMetadataStore(userModel) }),
      durableHooks.step,
    ], logger),
    passport: createPassport(config, handshakes),
    connections: enabledConnections(config),
    handshakes,
    sealTokens: (tokens) => tokenBox.seal(JSON.stringify(tokens)),
  });

  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
  const { port } = server.address() as AddressInfo;
  logger.info({ port, issuer: config.issuer }, 'insole is listening');
  await durableHooks.start();
  await admin.start();
  const relay = startEventRelay({ config: config.events, outbox, findWrittenLogIds: logs.findWrittenLogIds, logger });

  return {
    server, connection, hooks: durableHooks,
    url: `http://127.0.0.1:${port}`,
    async stop(graceMs = 10_000) {
      oidc.stop();
      const hooksStopped = durableHooks.stop(graceMs); // claims no more; in-flight attempts get the same grace
      const adminStopped = admin.stop(graceMs); // a running export or import: the same grace, then handed back
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      mailer.close();
      await relay.stop(); // before the database: its last round marks what the broker confirmed
      await hooksStopped; // before the database: the last attempts record their outcome
      await adminStopped;
      await connection.close();
    },
  };
}
