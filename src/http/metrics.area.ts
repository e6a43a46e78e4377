import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { openPoolConnections } from '../db/connect.ts';
import type { DurableHooks } from '../hooks/jobs/durable-hooks.ts';
import { startProcessMetrics, type ProcessMetrics } from '../lib/process-metrics.ts';
import { metricsRoutes } from './routes/metrics.routes.ts';

/**
 * GET /metrics for a Prometheus scraper (only with METRICS_TOKEN): the hooks' counters and job
 * states, the event relay's connection to RabbitMQ, and this process's memory, event-loop delay, active handles and MongoDB pool size.
 */
export function createMetricsArea({ config, connection, relayStatus }: Core, hooks: DurableHooks): Area {
  let measured: ProcessMetrics | undefined;
  const sample = () => ({ ...measured!.snapshot(), mongodbConnections: openPoolConnections(connection) });
  return {
    apis: [{ path: '/', router: metricsRoutes(hooks, config.metrics_token, () => (measured ? sample() : undefined), relayStatus) }],
    start() { if (config.metrics_token) measured = startProcessMetrics(); },
    stop() { measured?.stop(); },
  };
}
