import type { Connection } from 'mongoose';
import { createUserAdminService, type UserAdminService } from '../admin/user-admin.service.ts';
import type { Config } from '../config/schema.ts';
import { createEventOutbox } from '../events/event-outbox.ts';
import { createViewRenderer } from '../http/views.ts';
import { createMailer } from '../integrations/mailer.ts';
import { createLogger } from '../lib/logger.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createLogService } from '../logs/log.service.ts';
import { createAccountMails } from '../users/account-mails.ts';
import { createAttackProtection } from '../users/attack-protection.ts';
import { createEmailTickets } from '../users/email-tickets.ts';
import { createPasswordHasher } from '../users/password-hasher.ts';
import { userWritesFor } from '../core.ts';

/**
 * The admin service the Management API uses, built for one CLI command: same operations, same log
 * events. It starts no index builds (the command exits before one would end); `close` releases the mailer.
 */
export function createCliUserAdmin(connection: Connection, config: Config): { admin: UserAdminService; close(): void } {
  const logger = createLogger('error');
  const mailer = createMailer(config, logger);
  const mails = createAccountMails({ config, mailer, tickets: createEmailTickets(connection, { createIndexes: false }), render: createViewRenderer(config) });
  const admin = createUserAdminService({
    connection, mails, policy: config.password_policy,
    users: userWritesFor(connection, config).users,
    hasher: createPasswordHasher(config.argon2),
    protection: createAttackProtection(connection, config, { createIndexes: false }),
    logs: createLogService(createLogModel(connection), createEventOutbox(connection, config.events), logger),
  });
  return { admin, close: () => mailer.close() };
}
