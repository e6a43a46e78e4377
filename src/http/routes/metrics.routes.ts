import { Router } from 'express';
import type { DurableHooks } from '../../hooks/jobs/durable-hooks.ts';
import { NotFoundError } from '../../errors/app-error.ts';
import { requireBearer, staticBearer } from '../edge/bearer.ts';

/**
 * Prometheus text for the durable hooks: this instance's attempt counters, and the job states of
 * the whole deployment (from MongoDB). Only served when a METRICS_TOKEN is configured, to a scraper
 * that presents it: counts of users' jobs are not for the public.
 */
export function metricsRoutes(hooks: DurableHooks, token: string | undefined): Router {
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
    for (const [field, help] of [['attempts', 'Attempts started.'], ['succeeded', 'Attempts that finished the job.'], ['retried', 'Attempts that will be retried.'], ['dead', 'Jobs given up on.'], ['disabled', 'Times the hook disabled itself.']] as const) {
      metric(`insole_hook_${field}_total`, `${help} (this instance)`, 'counter', Object.entries(counters).map(([hook, c]) => [`hook="${hook}"`, c[field]]));
    }
    metric('insole_hook_enabled', '1 when the hook runs on this instance.', 'gauge', Object.entries(counters).map(([hook, c]) => [`hook="${hook}"`, c.enabled ? 1 : 0]));
    const states = await hooks.queue.countByState();
    metric('insole_hook_jobs', 'Jobs by state, all instances.', 'gauge',
      Object.entries(states).flatMap(([hook, byState]) => Object.entries(byState).map(([state, n]) => [`hook="${hook}",state="${state}"`, n ?? 0] as [string, number])));
    res.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
  return router;
}
