import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { createLease } from '../db/lease.ts';
import { startPendingEventsRelay, type PendingEventsRelay } from './events/pending-events.relay.ts';
import { sweepLifecycle } from './lifecycle/lifecycle.sweep.ts';

export type InsightArea = Area & {
  /** Brings lifecycles (and time-based segments) to `now` at once; the timer does it every sweep_seconds. */
  sweepNow(now?: Date): Promise<number>;
};

/**
 * Customer insight: facts are kept by every profile write (core's change funnel); here the events
 * those writes store are moved to RabbitMQ's outbox, and time's effect on lifecycles is swept.
 */
export function createInsightArea({ config, connection, userModel, changes, outbox, logger }: Core): InsightArea {
  const settings = config.insight;
  const lease = createLease(connection, 'insight-sweep');
  let relay: PendingEventsRelay | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;

  const sweepNow = (now = new Date()) => sweepLifecycle({ users: userModel, changes, windows: settings.lifecycle }, now);

  async function sweepIfLeader(): Promise<void> {
    // One instance sweeps at a time; the lease outlives a slow sweep so no second one starts.
    if (!(await lease.acquire(settings.sweep_seconds * 2000))) return;
    const moved = await sweepNow();
    if (moved) logger.info({ moved }, 'lifecycle sweep moved shoppers on');
  }

  return {
    sweepNow,
    start() {
      relay = startPendingEventsRelay({ users: userModel, outbox, logger, pollMs: settings.events_poll_ms });
      changes.onEvents(() => relay?.wake());
      timer = setInterval(() => {
        sweeping ??= sweepIfLeader()
          .catch((err: Error) => logger.warn({ err: { message: err.message } }, 'lifecycle sweep failed; the next one retries'))
          .finally(() => { sweeping = undefined; });
      }, settings.sweep_seconds * 1000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await sweeping;
      await relay?.stop();
    },
  };
}
