import type { Config } from '../../config/schema.ts';
import type { ShopperPlan } from './shopper.ts';

const DAY_MS = 86_400_000;
/** Sign-ins of the last LOG_DAYS get log events: enough for daily charts and stats, not every event of a year. */
export const LOG_DAYS = 90;
/** FullContact was switched on this far into the period: shoppers not seen since are not enriched. */
const ENRICHMENT_STARTED = 0.15;

export function monthsBefore(now: Date, months: number): Date {
  const start = new Date(now);
  start.setUTCMonth(start.getUTCMonth() - months);
  return start;
}

/** The plan of a seed run from the configuration: the same windows, vocabulary and thresholds production uses. */
export function shopperPlan(config: Config, { seed, months, now }: { seed: number; months: number; now: Date }): ShopperPlan {
  const start = monthsBefore(now, months);
  const span = now.getTime() - start.getTime();
  const { fullcontact, sentiment } = config.hooks;
  const storefront = config.clients.find((c) => c.client_id === 'storefront') ?? config.clients[0];
  return {
    seed,
    period: { start, now },
    hooks: {
      enrichFrom: new Date(start.getTime() + ENRICHMENT_STARTED * span),
      refreshAfterDays: fullcontact.refresh_after_days,
      sentiment: { negative_below: sentiment.negative_below, positive_above: sentiment.positive_above, mode: sentiment.mode },
    },
    logs: {
      from: new Date(Math.max(start.getTime(), now.getTime() - LOG_DAYS * DAY_MS)),
      client_id: storefront?.client_id ?? 'storefront',
      client_name: storefront?.client_name,
    },
    // As the write path: enrichment is pending only where the FullContact hook would run (hooks on, FullContact on).
    insight: { vocabulary: config.insight.interests, windows: config.insight.lifecycle, enrichmentEnabled: config.hooks.enabled && fullcontact.enabled },
  };
}
