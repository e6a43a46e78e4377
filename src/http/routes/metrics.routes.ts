import { Router } from 'express';
import type { RelayStatus } from '../../events/event-relay.ts';
import type { DurableHooks } from '../../hooks/jobs/durable-hooks.ts';
import { OPEN_STATES } from '../../hooks/jobs/job-queue.ts';
import { NotFoundError } from '../../errors/app-error.ts';
import type { ProcessSnapshot } from '../../lib/process-metrics.ts';
import { requireBearer, staticBearer } from '../edge/bearer.ts';

export type ProcessSample = ProcessSnapshot & { mongodbConnections: number };

/**
 * Prometheus text for the durable hooks: this instance's attempt counters, and the job states of
 * the whole deployment (from MongoDB); then this process's health figures. Only served when a
 * METRICS_TOKEN is configured, to a scraper that presents it: counts of users' jobs are not for the public.
 */
export function metricsRoutes(hooks: DurableHooks, token: string | undefined, processSample: () => ProcessSample | undefined = () => undefined,
  relayStatus: () => RelayStatus | undefined = () => undefined): Router {
  const router = Router();
  if (!token) {
    router.get('/metrics', () => { throw new NotFoundError(); });
    return router;
  }
  router.get('/metrics', requireBearer(staticBearer(token, 'metrics-scraper', ['read:metrics']), 'insole-metrics'), async (_req, res) => {
    const lines: string[] = [];
    const counters = hooks.metrics();
    const metric = (name: string, help: string, type: 'counter' | 'gauge', rows: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows.map(([labels, value]) => `${name}{${labels}} ${value}`));
    };
    for (const [field, help] of [['attempts', 'Attempts started.'], ['succeeded', 'Attempts that finished the job.'], ['retried', 'Attempts that will be retried.'], ['rate_limited', 'Attempts deferred by a rate limit (HTTP 429); they do not count toward max_attempts.'], ['dead', 'Jobs given up on.'], ['disabled', 'Times the hook disabled itself.']] as const) {
      metric(`insole_hook_${field}_total`, `${help} (this instance)`, 'counter', Object.entries(counters).map(([hook, c]) => [`hook="${hook}"`, c[field]]));
    }
    metric('insole_hook_enabled', '1 when the hook runs on this instance.', 'gauge', Object.entries(counters).map(([hook, c]) => [`hook="${hook}"`, c.enabled ? 1 : 0]));
    // Every hook and watched state gets a line, zero included: a gauge that vanishes at zero reads as "no data".
    const open = await hooks.queue.countOpen();
    metric('insole_hook_jobs', 'Jobs by state (pending, running, dead, disabled), all instances.', 'gauge',
      [...new Set([...Object.keys(counters), ...Object.keys(open)])].flatMap((hook) => OPEN_STATES.map((state) => [`hook="${hook}",state="${state}"`, open[hook]?.[state] ?? 0] as [string, number])));
    const relay = relayStatus();
    if (relay) lines.push(...relayLines(relay));
    const sample = processSample();
    if (sample) lines.push(...processLines(sample));
    res.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
  return router;
}

/**
 * The relay's side of RabbitMQ, from this instance (absent when AMQP_URL is unset). Not a readiness
 * check: sign-ins do not need the broker (events wait in MongoDB), and failing readiness on every
 * instance at once would turn a broker's alarm into an outage.
 */
function relayLines({ connected, blockedReason }: RelayStatus): string[] {
  return [
    '# HELP insole_event_relay_connected 1 while this instance is connected to RabbitMQ.', '# TYPE insole_event_relay_connected gauge',
    `insole_event_relay_connected ${connected ? 1 : 0}`,
    '# HELP insole_event_relay_blocked 1 while RabbitMQ blocks this instance\'s publishing (a memory or disk alarm; the reason is in the log).', '# TYPE insole_event_relay_blocked gauge',
    `insole_event_relay_blocked ${blockedReason === undefined ? 0 : 1}`,
  ];
}

/** Names as prom-client's defaults use them, so existing dashboards read them. */
function processLines(sample: ProcessSample): string[] {
  const gauge = (name: string, help: string, rows: [string, number][]) => [
    `# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...rows.map(([labels, value]) => `${name}${labels ? `{${labels}}` : ''} ${value}`),
  ];
  const delay = sample.eventLoopDelay;
  return [
    ...gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [['', sample.residentBytes]]),
    ...gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', [['', sample.heapUsedBytes]]),
    ...gauge('nodejs_eventloop_lag_seconds', 'Event-loop delay over the last 10 s window.', [['quantile="0.5"', delay.p50], ['quantile="0.99"', delay.p99], ['quantile="1"', delay.max]]),
    ...gauge('nodejs_active_resources', 'Handles and requests keeping the event loop alive, by type.', Object.entries(sample.activeResources).map(([type, n]) => [`type="${type}"`, n])),
    ...gauge('nodejs_active_resources_total', 'All of them.', [['', Object.values(sample.activeResources).reduce((a, b) => a + b, 0)]]),
    ...gauge('insole_mongodb_pool_connections', 'Open connections in this instance\'s MongoDB pool.', [['', sample.mongodbConnections]]),
  ];
}
