import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay quantiles cover the last completed window of this length (any number of scrapers see the same). */
export const EVENT_LOOP_WINDOW_MS = 10_000;

export interface ProcessSnapshot {
  residentBytes: number;
  heapUsedBytes: number;
  /** Seconds, over the last completed window: p50, p99, max. */
  eventLoopDelay: { p50: number; p99: number; max: number };
  /** Handles and requests keeping the event loop alive, by type (TCPSocketWrap, Timeout, …). */
  activeResources: Record<string, number>;
}

export interface ProcessMetrics {
  snapshot(): ProcessSnapshot;
  stop(): void;
}

/**
 * What a soak test (or an operator) watches for leaks and stalls in one process: resident memory,
 * heap, event-loop delay and the resources keeping the loop alive. The delay histogram samples
 * every 20 ms and is rotated each window, so a figure describes recent behaviour, not the uptime.
 */
export function startProcessMetrics(): ProcessMetrics {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  let last = { p50: 0, p99: 0, max: 0 };
  const rotate = () => {
    last = { p50: seconds(histogram.percentile(50)), p99: seconds(histogram.percentile(99)), max: seconds(histogram.max) };
    histogram.reset();
  };
  const timer = setInterval(rotate, EVENT_LOOP_WINDOW_MS);
  timer.unref();

  return {
    snapshot() {
      const activeResources: Record<string, number> = {};
      for (const type of process.getActiveResourcesInfo()) activeResources[type] = (activeResources[type] ?? 0) + 1;
      const memory = process.memoryUsage();
      return { residentBytes: memory.rss, heapUsedBytes: memory.heapUsed, eventLoopDelay: last, activeResources };
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
