import type { Suite } from './suite.ts';

/**
 * Waits until the background work the load caused is finished: every log event written (a sign-in's
 * own log is written by a batched move, carried on its user until then) and moved to the outbox (a
 * crash leaves some for the sweep), every outbox record confirmed and received, every hook job done.
 * A bound on waiting (generous on a loaded 2-core machine), never a speed check: when it runs out,
 * the audit says what is missing.
 */
export async function settle(suite: Suite, boundMs: number): Promise<{ ms: number; settled: boolean }> {
  const start = Date.now();
  const db = suite.mongo.db!;
  for (;;) {
    try {
      const [stranded, carried, unsent, open, ids] = await Promise.all([
        db.collection('logs').countDocuments({ outbox_pending: true }),
        db.collection('users').countDocuments({ 'pending_logs.0': { $exists: true } }),
        db.collection('event_outbox').countDocuments({ state: { $ne: 'sent' } }),
        db.collection('hook_jobs').countDocuments({ state: { $in: ['pending', 'running'] } }),
        db.collection<{ _id: string }>('event_outbox').find({}, { projection: { _id: 1 } }).toArray(),
      ]);
      const missing = ids.filter((r) => !suite.counter.arrivals.has(r._id)).length;
      if (stranded === 0 && carried === 0 && unsent === 0 && open === 0 && missing === 0) return { ms: Date.now() - start, settled: true };
    } catch { /* the database may be coming back */ }
    if (Date.now() - start > boundMs) return { ms: Date.now() - start, settled: false };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Polls `probe` until it returns something truthy, or fails after `boundMs` with what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, boundMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`still waiting after ${boundMs} ms for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
