import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, type ChannelModel, type MessageProperties } from 'amqplib';
import { brokerAddress } from '../../src/events/amqp-publisher.ts';

/** The run's RabbitMQ (.ci/run starts Debian's and exports AMQP_URL); guest/guest on loopback otherwise. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const EVENTS_EXCHANGE = 'insole.events';

/**
 * The broker's control tool: the local `rabbitmqctl` (.ci/run's Debian broker), or the command in
 * RABBITMQCTL when the broker runs elsewhere (`docker exec rabbitmq rabbitmqctl` on hosted CI).
 */
export function rabbitmqctl(...args: string[]): Promise<{ stdout: string }> {
  const [command, ...prefix] = (process.env.RABBITMQCTL ?? 'rabbitmqctl').split(' ').filter(Boolean);
  return promisify(execFile)(command!, [...prefix, '-q', ...args], { timeout: 30_000 });
}

export interface ReceivedEvent {
  routingKey: string;
  exchange: string;
  properties: MessageProperties;
  body: Record<string, unknown>;
}

export interface EventQueue {
  /** Every message waiting in the queue, taken with basic.get until it is empty. */
  drain(): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

/** Connects straight to the broker; fails (never skips) when it is not there. */
export async function connectBroker(): Promise<ChannelModel> {
  try {
    return await connect(AMQP_URL);
  } catch (err) {
    throw new Error(`RabbitMQ is not reachable at ${brokerAddress(AMQP_URL)} (${(err as Error).message}). `
      + 'The event tests need a real broker: `bash .ci/run` installs and starts Debian\'s rabbitmq-server, or set AMQP_URL.');
  }
}

/**
 * A test-owned exclusive queue bound to insole's exchange, over a direct connection to the real
 * broker (not through any proxy the test puts in front of insole). Bind it before the events happen:
 * a topic exchange drops messages no queue is bound for.
 */
export async function bindEventQueue(pattern = '#'): Promise<EventQueue> {
  const model = await connectBroker();
  const channel = await model.createChannel();
  await channel.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, EVENTS_EXCHANGE, pattern);
  return {
    async drain() {
      const received: ReceivedEvent[] = [];
      for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
        received.push({
          routingKey: message.fields.routingKey, exchange: message.fields.exchange,
          properties: message.properties, body: JSON.parse(message.content.toString('utf8')),
        });
      }
      return received;
    },
    close: () => model.close(),
  };
}
