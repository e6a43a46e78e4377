import type { ConfirmChannel } from 'amqplib';

export interface OutgoingMessage {
  id: string;
  routingKey: string;
  body: unknown;
  timestamp: Date;
}

export interface PublishOutcome {
  confirmed: string[];
  /** The broker answered basic.nack: it took the message and refused it (a bound queue full with overflow reject-publish, …). */
  refused: string[];
  /** Not confirmed either way: not connected, the channel closed, or no confirm in time. */
  failed: string[];
  error?: string;
}

/** amqplib's error for a basic.nack (lib/channel.js); a closed channel fails its messages with another one. */
const NACKED = 'message nacked';

/**
 * Publishes persistent messages on a confirm channel and waits for the broker's confirm of each
 * (https://www.rabbitmq.com/docs/confirms); never throws. Messages not confirmed within `timeoutMs`
 * fail, after `onTimeout` was told how many: the caller decides what a silent broker means.
 */
export async function publishConfirmed(
  ch: ConfirmChannel, exchange: string, messages: OutgoingMessage[], timeoutMs: number, onTimeout: (unconfirmed: number) => void,
): Promise<PublishOutcome> {
  const confirmed: string[] = [];
  const refused: string[] = [];
  const failed: string[] = [];
  let error: string | undefined;
  const settled = new Set<string>();
  // Counted by id: a batch naming one message twice must still finish (it once never did).
  const expected = new Set(messages.map((m) => m.id)).size;
  let finish = () => {};
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const settle = (id: string, err?: Error) => {
    if (settled.has(id)) return;
    settled.add(id);
    if (!err) confirmed.push(id);
    else if (err.message === NACKED) refused.push(id);
    else { failed.push(id); error ??= err.message; }
    if (settled.size === expected) finish();
  };
  const timer = setTimeout(() => {
    const unconfirmed = messages.length - settled.size;
    for (const m of messages) settle(m.id, new Error('confirm timeout'));
    onTimeout(unconfirmed);
  }, timeoutMs);
  for (const m of messages) {
    try {
      // The return value is amqplib's back-pressure hint; batches are small, and it buffers anyway.
      ch.publish(exchange, m.routingKey, Buffer.from(JSON.stringify(m.body)), {
        persistent: true, messageId: m.id, contentType: 'application/json', type: m.routingKey,
        timestamp: Math.floor(m.timestamp.getTime() / 1000), appId: 'insole',
      }, (err: Error | null) => settle(m.id, err ?? undefined));
    } catch (err) {
      settle(m.id, err as Error); // the channel closed under us
    }
  }
  await done;
  clearTimeout(timer);
  return { confirmed, refused, failed, error };
}
