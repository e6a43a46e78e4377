import type { Config } from '../config/schema.ts';
import type { Logger } from '../lib/logger.ts';
import { createAmqpPublisher } from './amqp-publisher.ts';
import type { EventOutbox, OutboxRecord } from './event-outbox.ts';

export interface EventRelay {
  /** Finishes the round in progress, then closes the broker connection. Call before the database closes. */
  stop(): Promise<void>;
  /** For /metrics: undefined when the relay is off (no AMQP_URL). */
  status(): RelayStatus | undefined;
}

export interface RelayStatus {
  connected: boolean;
  /** The broker's reason while it blocks publishing (a memory or disk alarm). */
  blockedReason?: string;
}

export interface EventRelayDeps {
  config: Config['events'];
  outbox: EventOutbox;
  /** Which of these log_ids are in `logs`: settles records a crash left half-written. */
  findWrittenLogIds(ids: string[]): Promise<Set<string>>;
  logger: Logger;
}

/**
 * Records are claimed in the order they reached the outbox, which is not the order of their events:
 * a sign-in's `s` is dated before its user write and moved after it (log-outbox.ts), so another
 * request's event can arrive in between. A batch is published in date order, ties in log_id order.
 */
const inDateOrder = (a: OutboxRecord, b: OutboxRecord) =>
  new Date(a.event.date).getTime() - new Date(b.event.date).getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/** Rounds in a row before yielding to the timer, so one instance's backlog cannot starve its event loop. */
const MAX_ROUNDS = 20;

/** A refused record's last_error. */
const REFUSED = 'refused by RabbitMQ (basic.nack)';

/**
 * Publishes the outbox to RabbitMQ. Every instance runs one; records are claimed atomically with a
 * lease (`claim_ms`), so two relays never publish the same record, and a record whose relay died is
 * retried once its lease runs out. A record is marked sent only after the broker confirmed it:
 * delivery is at least once, and consumers de-duplicate on `log_id` (the message id).
 */
export function startEventRelay(deps: EventRelayDeps): EventRelay {
  const { config, logger } = deps;
  if (!config.amqp_url) {
    logger.warn('AMQP_URL is not set: login events are not published; they wait in event_outbox until events.undelivered_retention_days');
    return { stop: async () => {}, status: () => undefined };
  }
  const log = logger.child({ component: 'event-relay' });
  const publisher = createAmqpPublisher({
    url: config.amqp_url, exchange: config.exchange, logger: log,
    reconnectMinMs: config.reconnect_min_ms, reconnectMaxMs: config.reconnect_max_ms,
    confirmTimeoutMs: Math.floor(config.claim_ms / 2),
    onReady: () => run(),
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failing = false;
  let lastRecovery = 0;
  let refusing = false;
  const unsubscribe = deps.outbox.onWritten(() => run());

  function run(): void {
    if (stopped) return;
    if (running) { again = true; return; }
    clearTimeout(timer);
    running = relayRound()
      .then((more) => { again ||= more; failing = false; })
      .catch((err: Error) => {
        // Usually the database is away; the next round retries. Said once, not every poll.
        (failing ? log.debug : log.warn).call(log, { err: { message: err.message } }, 'event relay round failed; retrying');
        failing = true;
      })
      .finally(() => {
        running = undefined;
        if (stopped) return;
        timer = setTimeout(run, again ? 0 : config.poll_ms);
        timer.unref();
        again = false;
      });
  }

  async function relayRound(): Promise<boolean> {
    const { outbox } = deps;
    // While blocked, a publish would only wait for its confirm to time out: 'unblocked' runs us again.
    if (!publisher.isConnected() || publisher.blockedReason() !== undefined) return false;
    if (Date.now() - lastRecovery >= Math.min(config.recover_after_ms, 10_000)) {
      lastRecovery = Date.now();
      await recoverStale();
    }
    for (let round = 0; round < MAX_ROUNDS && !stopped; round++) {
      const batch = await outbox.claimReady(config.batch_size, config.claim_ms);
      if (!batch.length) return false;
      const outcome = await publisher.publish(batch.toSorted(inDateOrder).map((r) => ({
        id: r._id, routingKey: r.event.type, body: r.event, timestamp: new Date(r.event.date),
      })));
      const byId = new Map(batch.map((r) => [r._id, r]));
      await outbox.markSent(outcome.confirmed.map((id) => byId.get(id)!));
      await postponeRefused(outcome.refused.map((id) => byId.get(id)!), outcome.confirmed.map((id) => byId.get(id)!));
      if (outcome.failed.length) {
        await outbox.unclaim(outcome.failed.map((id) => byId.get(id)!), outcome.error ?? 'not confirmed');
        return false; // the publisher reconnects and calls run() again
      }
      if (batch.length < config.batch_size) return false;
    }
    return true;
  }

  /**
   * A nacked message is retried with the reconnect backoff, per record (its attempts so far), not at
   * once: handed straight back, a refusal that lasts would be published every poll — again to every
   * queue that took it — and would fill every batch, holding up the events behind it. Said once, until
   * a refused event goes through.
   */
  async function postponeRefused(refused: OutboxRecord[], confirmed: OutboxRecord[]): Promise<void> {
    if (confirmed.some((r) => r.last_error === REFUSED)) refusing = false;
    if (!refused.length) return;
    const backoff = (r: OutboxRecord) => Math.min(config.reconnect_min_ms * 2 ** Math.min(Math.max(0, r.attempts - 1), 30), config.reconnect_max_ms);
    const now = Date.now();
    await deps.outbox.postpone(refused.map((record) => ({ record, retryAt: new Date(now + backoff(record)) })), REFUSED);
    const line = { refused: refused.length, log_ids: refused.slice(0, 10).map((r) => r._id), retry_in_ms: Math.min(...refused.map(backoff)) };
    (refusing ? log.debug : log.warn).call(log, line, 'RabbitMQ refused events (basic.nack, e.g. a bound queue full with overflow reject-publish): retrying them with backoff; queues that took them get them again');
    refusing = true;
  }

  /** A `new` record this old lost its writer between two steps: publish it if its log exists, else drop it. */
  async function recoverStale(): Promise<void> {
    const stale = await deps.outbox.claimStale(config.recover_after_ms, config.batch_size, config.claim_ms);
    if (!stale.length) return;
    const written = await deps.findWrittenLogIds(stale.map((r) => r._id));
    const [found, orphans] = partition(stale, (r) => written.has(r._id));
    await deps.outbox.markReady(found);
    await deps.outbox.discard(orphans);
    log.warn({ published: found.length, dropped: orphans.length }, 'settled half-written events left by an interrupted write');
  }

  publisher.start();
  timer = setTimeout(run, config.poll_ms);
  timer.unref();

  return {
    status: () => ({ connected: publisher.isConnected(), ...(publisher.blockedReason() === undefined ? {} : { blockedReason: publisher.blockedReason() }) }),
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      await running;
      await publisher.stop();
    },
  };
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
