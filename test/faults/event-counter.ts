import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

/**
 * An analytics consumer of insole's events, built to outlive a broker outage: a durable queue of
 * its own (bound to the topic exchange with `#` before any event is published, so nothing is
 * dropped for want of a queue), manual acks, and a reconnect loop. It counts arrivals per log_id.
 *
 * A message the *broker* delivers again to us (our ack was lost with the connection) comes with
 * `redelivered` set and is not counted as a duplicate: only a second message *published* for the
 * same log_id is, which is what "duplicates" means for insole's at-least-once delivery.
 */
export interface EventCounter {
  /** log_id → messages published for it that reached us. */
  readonly arrivals: Map<string, number>;
  /** Broker redeliveries of messages we had already counted. */
  redeliveries(): number;
  connected(): boolean;
  close(): Promise<void>;
}

/** `ownExchange`: the exchange is this run's alone (deleted at close). */
export async function startEventCounter(amqpUrl: string, { exchange = 'insole.events', queue, ownExchange = false }: { exchange?: string; queue: string; ownExchange?: boolean }): Promise<EventCounter> {
  const arrivals = new Map<string, number>();
  let redeliveries = 0;
  let model: ChannelModel | undefined;
  let channel: Channel | undefined;
  let closing = false;
  let retry: NodeJS.Timeout | undefined;

  const onMessage = (message: ConsumeMessage | null) => {
    if (!message || !channel) return;
    const logId = String((JSON.parse(message.content.toString('utf8')) as { log_id?: unknown }).log_id ?? message.properties.messageId);
    if (message.fields.redelivered && arrivals.has(logId)) redeliveries++;
    else arrivals.set(logId, (arrivals.get(logId) ?? 0) + 1);
    channel.ack(message);
  };

  async function open(): Promise<void> {
    retry = undefined;
    if (closing) return;
    try {
      const opened = await connect(amqpUrl, { clientProperties: { connection_name: `insole-faults consumer pid ${process.pid}` } });
      opened.on('error', () => undefined);
      opened.on('close', () => { if (model === opened) { model = undefined; channel = undefined; schedule(); } });
      const ch = await opened.createChannel();
      ch.on('error', () => undefined);
      await ch.assertExchange(exchange, 'topic', { durable: true });
      await ch.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false });
      await ch.bindQueue(queue, exchange, '#');
      await ch.prefetch(500);
      model = opened;
      channel = ch;
      await ch.consume(queue, onMessage, { noAck: false });
    } catch {
      schedule();
    }
  }
  const schedule = () => { if (!closing && !retry) retry = setTimeout(() => void open(), 500); };

  await open();
  if (!channel) throw new Error(`RabbitMQ is not reachable at ${amqpUrl.replace(/\/\/[^@]*@/, '//')}: the fault suite needs a real broker`);
  return {
    arrivals,
    redeliveries: () => redeliveries,
    connected: () => channel !== undefined,
    async close() {
      closing = true;
      clearTimeout(retry);
      await channel?.deleteQueue(queue).catch(() => undefined);
      if (ownExchange) await channel?.deleteExchange(exchange).catch(() => undefined);
      await model?.close().catch(() => undefined);
    },
  };
}
