import type { Connection } from 'mongoose';
import { createUserAdminService, type UserAdminService } from '../admin/user-admin.service.ts';
import type { Config } from '../config/schema.ts';
import { createEventOutbox } from '../events/event-outbox.ts';
import { createViewRenderer } from '../http/views.ts';
import { createMailer } from '../integrations/mailer.ts';
import { createLogger } from '../lib/logger.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createLogOutbox } from '../logs/log-outbox.ts';
import { createLogService } from '../logs/log.service.ts';
import { createAccountMails } from '../users/account-mails.ts';
import { createAttackProtection } from '../users/attack-protection.ts';
import { createEmailTickets } from '../users/email-tickets.ts';
import { createPasswordHasher } from '../users/password-hasher.ts';
import { userWritesFor } from '../core.ts';
import { endSessionsQuietly } from '../oidc/revoke-account.ts';

/**
 * The admin service the Management API uses, built for one CLI command: same operations, same log
 * events. It starts no index builds (the command exits before one would end); `close` releases the mailer.
 */
export function createCliUserAdmin(connection: Connection, config: Config): { admin: UserAdminService; close(): Promise<void> } {
  const logger = createLogger('error');
  const logModel = createLogModel(connection);
  const writes = userWritesFor(connection, config);
  const logOutbox = createLogOutbox(logModel, writes.userModel.collection, createEventOutbox(connection, config.events), logger, { gatherMs: config.events.gather_ms, sweepMs: config.events.recover_after_ms });
  const mailer = createMailer(config, logger);
  const mails = createAccountMails({ config, mailer, tickets: createEmailTickets(connection, { createIndexes: false }), render: createViewRenderer(config) });
  const admin = createUserAdminService({
    mails, policy: config.password_policy, dashboard: config.dashboard,
    endSessions: endSessionsQuietly(connection),
    users: writes.users,
    hasher: createPasswordHasher(config.argon2),
    protection: createAttackProtection(connection, config, { createIndexes: false }),
    logs: createLogService(logModel, logOutbox),
  });
  return {
    admin,
    async close() {
      await logOutbox.stop(); // the command's log events reach the outbox before it exits
      await mailer.close(30_000); // and a mail it sent reaches the relay
    },
  };
}
