import type { Connection } from 'mongoose';
import { indexBuilds } from '../db/index-builds.ts';
import type { Logger } from '../lib/logger.ts';

/** A report's answer as it was computed, kept in MongoDB so every instance can serve it. */
interface RollupDoc {
  _id: string;
  /** The answer as JSON text: it comes back exactly as it was sent (no BSON dates, no key rules). */
  body: string;
  computed_at: Date;
  /** An instance refreshing it in the background holds this lease, so the others do not too. */
  refreshing_until: Date;
  /** Removed a day after its computation (TTL index): answers for old date ranges do not pile up. */
  expire_at: Date;
}

export interface RollupOptions { logger: Logger; now?: () => Date; leaseMs?: number; keepMs?: number }
export type ReportRollups = ReturnType<typeof createReportRollups>;

/**
 * Roll-ups of the summary reports (README "Customer insight", `max_age`): a caller that accepts an
 * answer up to `max_age` seconds old gets the stored one when it is that fresh, without touching the users.
 * Past half its age it is refreshed in the background (one instance at a time, by lease), so a
 * dashboard that is looked at keeps finding fresh ones; missing or too old, it is computed now. The
 * age is the caller's bound: nothing older is ever served. In one process, callers asking for the
 * same report at once share one computation.
 */
export function createReportRollups(connection: Connection, { logger, now = () => new Date(), leaseMs = 120_000, keepMs = 86_400_000 }: RollupOptions) {
  const rollups = connection.collection<RollupDoc>('report_rollups');
  const ready = indexBuilds(() => rollups.createIndex({ expire_at: 1 }, { expireAfterSeconds: 0 }));
  const computing = new Map<string, Promise<unknown>>();
  const refreshing = new Set<Promise<void>>();

  /** Computes and stores; `computed_at` is taken before the computation, so the age never understates. */
  function compute<T>(key: string, run: () => Promise<T>): Promise<T> {
    const shared = computing.get(key) as Promise<T> | undefined;
    if (shared) return shared;
    const started = now();
    const computation = run().then(async (body) => {
      await ready();
      await rollups.replaceOne({ _id: key }, {
        body: JSON.stringify(body), computed_at: started, refreshing_until: new Date(0), expire_at: new Date(started.getTime() + keepMs),
      }, { upsert: true });
      return body;
    }).finally(() => computing.delete(key));
    computing.set(key, computation);
    return computation;
  }

  /** Claimed only while the stored answer is still the one that needed it: a refresh that just ended is not redone. */
  async function refreshInBackground(key: string, computedAt: Date, run: () => Promise<unknown>): Promise<void> {
    const at = now();
    const claimed = await rollups.findOneAndUpdate(
      { _id: key, computed_at: computedAt, refreshing_until: { $lt: at } },
      { $set: { refreshing_until: new Date(at.getTime() + leaseMs) } },
    );
    if (claimed) await compute(key, run);
  }

  return {
    /** `maxAgeSeconds`: the oldest answer the caller accepts; 0 or undefined: computed now, and not stored. */
    async answer<T>(key: string, maxAgeSeconds: number | undefined, run: () => Promise<T>): Promise<T> {
      if (!maxAgeSeconds) return run();
      const maxAgeMs = maxAgeSeconds * 1000;
      const stored = await rollups.findOne({ _id: key });
      const age = stored ? now().getTime() - stored.computed_at.getTime() : Infinity;
      if (!stored || age > maxAgeMs) return compute(key, run);
      if (age > maxAgeMs / 2 && !computing.has(key)) {
        const refresh = refreshInBackground(key, stored.computed_at, run)
          .catch((err: Error) => logger.warn({ err: { message: err.message }, report: key }, 'report roll-up: the background refresh failed'))
          .finally(() => refreshing.delete(refresh));
        refreshing.add(refresh);
      }
      return JSON.parse(stored.body) as T;
    },
    /** Settles once the computations and background refreshes under way have (for tests). */
    async settled(): Promise<void> {
      await Promise.allSettled([...refreshing, ...computing.values()]);
    },
  };
}

/**
 * A report and its parameters as one key: the same question always gives the same key, and two
 * questions never share one. Values are the caller's text, so their `&`, `=` and `%` are escaped:
 * else `connection=x&days=3` (one value) and `connection=x`, `days=3` (two) would make one key, and
 * one caller's answer would be served to the other.
 */
export function rollupKey(report: string, params: Record<string, unknown>): string {
  const defined = Object.entries(params).filter(([, value]) => value !== undefined).sort(([a], [b]) => a.localeCompare(b));
  const text = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)).replace(/[%&=]/g, encodeURIComponent);
  return `${report}?${defined.map(([name, value]) => `${name}=${text(value)}`).join('&')}`;
}
