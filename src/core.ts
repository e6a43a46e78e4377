import type { Connection } from 'mongoose';
import type { Config } from './config/schema.ts';
import { connectDatabase, isDatabaseReady } from './db/connect.ts';
import { createEventOutbox, type EventOutbox } from './events/event-outbox.ts';
import { startEventRelay, type EventRelay, type RelayStatus } from './events/event-relay.ts';
import { createViewRenderer, type RenderView } from './http/views.ts';
import { createOutboundHttp, type OutboundHttp } from './integrations/http-dispatcher.ts';
import { createMailer, type Mailer } from './integrations/mailer.ts';
import type { Logger } from './lib/logger.ts';
import { createLogModel } from './logs/log.model.ts';
import { createLogOutbox } from './logs/log-outbox.ts';
import { createLogService, type LogService } from './logs/log.service.ts';
import { createUserModel, type UserModel } from './users/user.model.ts';
import { createUserRepository, type UserRepository } from './users/user.repository.ts';
import { createUserChanges, type UserChanges } from './users/user-changes.ts';
import { createUserInsight, type SegmentMembership } from './insight/user-insight.ts';

/** The users collection with the write funnel that keeps facts (for the server, the CLI and benches alike). */
export function userWritesFor(connection: Connection, config: Pick<Config, 'insight' | 'hooks'>, segments?: () => SegmentMembership | undefined) {
  const userModel = createUserModel(connection);
  const changes = createUserChanges(userModel, createUserInsight(config, segments));
  return { userModel, changes, users: createUserRepository(userModel, changes) };
}

/** What every area shares: the database, users and their log events (with the outbox behind them), mail and views. */
export interface Core {
  config: Config;
  logger: Logger;
  connection: Connection;
  userModel: UserModel;
  users: UserRepository;
  /** The write funnel that keeps facts and their events with every profile change. */
  changes: UserChanges;
  logs: LogService;
  outbox: EventOutbox;
  mailer: Mailer;
  /** Every outbound HTTP call (hooks, rules, social providers) goes through this one dispatcher. */
  http: OutboundHttp;
  renderView: RenderView;
  isDatabaseReady: () => boolean;
  /** Saved segments to keep with every write (the insight area's registry); until then membership is kept as stored. */
  useSegments(membership: SegmentMembership): void;
  /** Starts moving log events to the outbox and relaying the outbox to RabbitMQ; the returned function stops both (after their last round). */
  startRelay(): () => Promise<void>;
  /** The relay's connection to RabbitMQ once started; undefined before, or when AMQP_URL is unset. */
  relayStatus(): RelayStatus | undefined;
}

/** Connects (`signal` abandons the attempt), then builds the indexes the core's writes need; a failure closes the connection again. */
export async function createCore(config: Config, logger: Logger, mongodbUri: string, { signal }: { signal?: AbortSignal } = {}): Promise<Core> {
  const connection = await connectDatabase(mongodbUri, logger, { signal });
  let segments: SegmentMembership | undefined;
  const { userModel, changes } = userWritesFor(connection, config, () => segments);
  const logModel = createLogModel(connection);
  const outbox = createEventOutbox(connection, config.events);
  try {
    await Promise.all([userModel.init(), logModel.init()]);
    await outbox.prepare();
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  const logOutbox = createLogOutbox(logModel, userModel.collection, outbox, logger, { gatherMs: config.events.gather_ms, sweepMs: config.events.recover_after_ms });
  const logs = createLogService(logModel, logOutbox);
  let relay: EventRelay | undefined;
  return {
    config, logger, connection, userModel, outbox, logs,
    users: createUserRepository(userModel, changes, logger),
    changes,
    mailer: createMailer(config, logger),
    http: createOutboundHttp(config.outbound_http),
    renderView: createViewRenderer(config),
    isDatabaseReady: () => isDatabaseReady(connection),
    useSegments(membership) { segments = membership; },
    startRelay() {
      logOutbox.start();
      const started = startEventRelay({ config: config.events, outbox, findWrittenLogIds: logs.findWrittenLogIds, logger });
      relay = started;
      return async () => {
        await logOutbox.stop(); // the last log events into the outbox, then the relay's last round
        await started.stop();
      };
    },
    relayStatus: () => relay?.status(),
  };
}
