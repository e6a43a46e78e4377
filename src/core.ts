import type { Connection } from 'mongoose';
import type { Config } from './config/schema.ts';
import { connectDatabase, isDatabaseReady } from './db/connect.ts';
import { createEventOutbox, type EventOutbox } from './events/event-outbox.ts';
import { startEventRelay } from './events/event-relay.ts';
import { createViewRenderer, type RenderView } from './http/views.ts';
import { createMailer, type Mailer } from './integrations/mailer.ts';
import type { Logger } from './lib/logger.ts';
import { createLogModel } from './logs/log.model.ts';
import { createLogService, type LogService } from './logs/log.service.ts';
import { createUserModel, type UserModel } from './users/user.model.ts';
import { createUserRepository, type UserRepository } from './users/user.repository.ts';

/** What every area shares: the database, users and their log events (with the outbox behind them), mail and views. */
export interface Core {
  config: Config;
  logger: Logger;
  connection: Connection;
  userModel: UserModel;
  users: UserRepository;
  logs: LogService;
  outbox: EventOutbox;
  mailer: Mailer;
  renderView: RenderView;
  isDatabaseReady: () => boolean;
  /** Starts relaying staged events to RabbitMQ; the returned function stops it (after its last round). */
  startRelay(): () => Promise<void>;
}

export async function createCore(config: Config, logger: Logger, mongodbUri: string): Promise<Core> {
  const connection = await connectDatabase(mongodbUri, logger);
  const userModel = createUserModel(connection);
  const logModel = createLogModel(connection);
  await Promise.all([userModel.init(), logModel.init()]);
  const outbox = createEventOutbox(connection, config.events);
  await outbox.prepare();
  const logs = createLogService(logModel, outbox, logger);
  return {
    config, logger, connection, userModel, outbox, logs,
    users: createUserRepository(userModel),
    mailer: createMailer(config, logger),
    renderView: createViewRenderer(config),
    isDatabaseReady: () => isDatabaseReady(connection),
    startRelay() {
      const relay = startEventRelay({ config: config.events, outbox, findWrittenLogIds: logs.findWrittenLogIds, logger });
      return () => relay.stop();
    },
  };
}
