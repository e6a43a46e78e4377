import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { createLease } from '../db/lease.ts';
import { startPendingEventsRelay, type PendingEventsRelay } from './events/pending-events.relay.ts';
import { sweepLifecycle } from './lifecycle/lifecycle.sweep.ts';
import { createSegmentRegistry } from './segments/segment-registry.ts';
import { createSegmentRepository } from './segments/segment.repository.ts';
import { createSegmentService, type SegmentService } from './segments/segment.service.ts';
import { sweepSegments } from './segments/segment.sweep.ts';

export type InsightArea = Area & {
  segments: SegmentService;
  /** Brings lifecycles and segments to `now` at once (what the timer does every sweep_seconds); tests drive time with it. */
  sweepNow(now?: Date): Promise<{ lifecycle: number; segments: number }>;
};

/**
 * Customer insight: facts are kept by every profile write (core's change funnel); here the saved
 * segments that funnel evaluates, the events those writes store (moved to RabbitMQ's outbox),
 * and the sweep of what time alone changes (lifecycles, time-based segments).
 */
export function createInsightArea(core: Core): InsightArea {
  const { config, connection, userModel, changes, outbox, logger } = core;
  const settings = config.insight;
  const vocabulary = settings.interests;
  const repository = createSegmentRepository(connection);
  const registry = createSegmentRegistry({ repository, vocabulary, logger });
  core.useSegments(registry.membership);
  const segments = createSegmentService({ users: userModel, repository, registry, outbox, vocabulary, logger });
  const lease = createLease(connection, 'insight-sweep');
  let relay: PendingEventsRelay | undefined;
  const timers: NodeJS.Timeout[] = [];
  let sweeping: Promise<unknown> | undefined;

  async function sweepNow(now = new Date()) {
    const lifecycle = await sweepLifecycle({ users: userModel, changes, windows: settings.lifecycle }, now);
    return { lifecycle, segments: await sweepSegments({ users: userModel, changes, repository, registry, vocabulary, logger }, now) };
  }

  async function sweepIfLeader(): Promise<void> {
    // One instance sweeps at a time; the lease outlives a slow sweep so no second one starts.
    if (!(await lease.acquire(settings.sweep_seconds * 2000))) return;
    const moved = await sweepNow();
    if (moved.lifecycle || moved.segments) logger.info(moved, 'insight sweep moved shoppers on');
  }

  const every = (ms: number, work: () => void) => { const timer = setInterval(work, ms); timer.unref(); timers.push(timer); };

  return {
    segments, sweepNow,
    async start() {
      await registry.refresh();
      relay = startPendingEventsRelay({ users: userModel, outbox, logger, pollMs: settings.events_poll_ms });
      changes.onEvents(() => relay?.wake());
      // Segments defined on other instances reach this one within segment_refresh_seconds.
      every(settings.segment_refresh_seconds * 1000, () => void registry.refresh().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'could not re-read the saved segments')));
      every(settings.sweep_seconds * 1000, () => {
        sweeping ??= sweepIfLeader()
          .catch((err: Error) => logger.warn({ err: { message: err.message } }, 'insight sweep failed; the next one retries'))
          .finally(() => { sweeping = undefined; });
      });
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await sweeping;
      await relay?.stop();
    },
  };
}
