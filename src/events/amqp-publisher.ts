import { hostname } from 'node:os';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { finishedWithin } from '../lib/finished-within.ts';
import type { Logger } from '../lib/logger.ts';
import { publishConfirmed, type OutgoingMessage, type PublishOutcome } from './publish-confirmed.ts';

export interface PublisherOptions {
  url: string;
  exchange: string;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A batch not confirmed by then counts as failed and the connection is dropped. */
  confirmTimeoutMs: number;
  logger: Logger;
  /** Connected, or the broker unblocked us: publishing works again. */
  onReady(): void;
}

export type AmqpPublisher = ReturnType<typeof createAmqpPublisher>;

/** Without a heartbeat, a broker that vanishes without closing the socket would go unnoticed. */
const HEARTBEAT_SECONDS = '15';

/** amqplib's error when the broker ends the handshake refusing the login (403) or the vhost (530); not a broker shutting down (320). */
const HANDSHAKE_REFUSED = /^Handshake terminated by server: (403|530) /;

/** The URL without its credentials, for log lines. */
export function brokerAddress(url: string): string {
  const { protocol, host, pathname } = new URL(url);
  return `${protocol}//${host}${pathname === '/' ? '' : pathname}`;
}

/**
 * One connection and one confirm channel to RabbitMQ, kept open: when the broker is unreachable
 * or the connection drops, it reconnects with capped exponential backoff. amqplib emits 'error'
 * and 'close' on both the connection and the channel; all four are handled, so a broker outage is
 * never an uncaught error.
 */
export function createAmqpPublisher(options: PublisherOptions) {
  const { exchange, logger } = options;
  const url = new URL(options.url);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', HEARTBEAT_SECONDS);
  const where = brokerAddress(options.url);
  let model: ChannelModel | undefined;
  let channel: ConfirmChannel | undefined;
  let connecting = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = options.reconnectMinMs;
  let outage = false;
  /** The broker's reason while it blocks our publishing (connection.blocked), with when it began. */
  let blocked: { reason: string; since: number } | undefined;

  async function open(): Promise<void> {
    retryTimer = undefined;
    if (stopped) return;
    connecting = true;
    let opened: ChannelModel | undefined;
    try {
      opened = await connect(url.href, { timeout: 10_000, clientProperties: { connection_name: `insole ${hostname()} pid ${process.pid}` } });
      const current = opened;
      current.on('error', (err: Error) => logger.warn({ err: { message: err.message }, broker: where }, 'RabbitMQ connection error'));
      current.on('close', () => lost(current));
      current.on('blocked', (reason: string) => onBlocked(current, reason));
      current.on('unblocked', () => onUnblocked(current));
      const ch = await current.createConfirmChannel();
      ch.on('error', (err: Error) => logger.warn({ err: { message: err.message }, broker: where }, 'RabbitMQ channel error'));
      // A channel closed on its own (e.g. a refused declaration) is replaced with the whole connection.
      ch.on('close', () => { if (channel === ch) void current.close().catch(() => {}); });
      await ch.assertExchange(exchange, 'topic', { durable: true });
      connecting = false;
      if (stopped) {
        await current.close().catch(() => {});
        return;
      }
      model = current;
      channel = ch;
      delay = options.reconnectMinMs;
      outage = false;
      logger.info({ broker: where, exchange }, 'connected to RabbitMQ: publishing login events');
      options.onReady();
    } catch (err) {
      connecting = false;
      void opened?.close().catch(() => {});
      const refusal = opened ? 'exchange' : HANDSHAKE_REFUSED.test((err as Error).message) ? 'login' : undefined;
      retry(err as Error, refusal);
    }
  }

  /**
   * A memory or disk alarm: RabbitMQ stops reading from publishing connections (connection.blocked,
   * https://www.rabbitmq.com/docs/connection-blocked). Publishing would only wait for confirms that
   * cannot come, so the relay holds off until 'unblocked'; the connection is kept.
   */
  function onBlocked(which: ChannelModel, reason: string): void {
    if (which !== model || blocked) return;
    blocked = { reason: String(reason), since: Date.now() };
    logger.warn({ broker: where, reason: blocked.reason }, `RabbitMQ is blocking publishers (${blocked.reason}): login events wait in MongoDB until it unblocks`);
  }

  function onUnblocked(which: ChannelModel): void {
    if (which !== model || !blocked) return;
    logger.warn({ broker: where, blocked_ms: Date.now() - blocked.since }, 'RabbitMQ unblocked publishers: sending the events that waited');
    blocked = undefined;
    options.onReady();
  }

  function lost(which: ChannelModel): void {
    if (which !== model) return;
    model = undefined;
    channel = undefined;
    blocked = undefined;
    if (!stopped) retry(new Error('connection closed'));
  }

  /**
   * `refusal`: the broker answered and said no — to the login (user, password or vhost of AMQP_URL),
   * or to the exchange (it exists there with another type). Not an outage that ends by itself.
   */
  function retry(err: Error, refusal?: 'login' | 'exchange'): void {
    if (stopped || connecting || retryTimer) return;
    // Once per outage at warn (error when the broker refused: an operator must act); each further attempt at debug.
    const line = { err: { message: err.message }, broker: where, retry_in_ms: delay };
    if (outage) logger.debug(line, refusal ? `RabbitMQ still refuses the ${refusal === 'login' ? 'connection' : 'events exchange'}` : 'RabbitMQ still unreachable');
    else if (refusal === 'exchange') logger.error({ ...line, exchange }, `RabbitMQ refused the events exchange "${exchange}" (declared there with other settings? events.exchange names a durable topic exchange): login events wait in MongoDB`);
    else if (refusal === 'login') logger.error(line, 'RabbitMQ refused the connection (check the user name, password and vhost of AMQP_URL, and that user\'s permissions): login events wait in MongoDB');
    else logger.warn(line, 'RabbitMQ unreachable: login events wait in MongoDB and are sent when it is back');
    outage = true;
    retryTimer = setTimeout(() => void open(), delay);
    retryTimer.unref();
    delay = Math.min(delay * 2, options.reconnectMaxMs);
  }

  /** Publishes persistent messages and waits for the broker's confirms; never throws. */
  async function publish(messages: OutgoingMessage[]): Promise<PublishOutcome> {
    const ch = channel;
    if (!messages.length) return { confirmed: [], refused: [], failed: [] };
    if (!ch) return { confirmed: [], refused: [], failed: messages.map((m) => m.id), error: 'not connected' };
    return publishConfirmed(ch, exchange, messages, options.confirmTimeoutMs, (unconfirmed) => {
      // A blocked broker is alive: another connection would be blocked too, so this one is kept.
      if (blocked) return;
      logger.warn({ broker: where, unconfirmed }, 'RabbitMQ did not confirm in time: reconnecting');
      if (channel === ch) { channel = undefined; void model?.close().catch(() => {}); }
    });
  }

  return {
    start: () => void open(),
    isConnected: () => channel !== undefined,
    /** The broker's reason while it blocks publishing (a resource alarm); undefined otherwise. */
    blockedReason: () => blocked?.reason,
    publish,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(retryTimer);
      const closing = model;
      model = undefined;
      channel = undefined;
      // A broker that stopped answering would hold close() until the heartbeat gives up.
      if (closing) await finishedWithin(closing.close().catch(() => undefined), 2_000);
    },
  };
}
