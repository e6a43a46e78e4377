/**
 * Short-lived reads by key, shared: what was read for a key is trusted for `ttlMs`, and concurrent
 * callers share the read in flight (the dashboard asks up to nine things at once for one page). A
 * failed read is not kept, so the next caller tries again. At most `maxEntries` keys are kept, the
 * oldest dropped first: the callers read for a few users (those holding a dashboard or user token),
 * and the bound is against surprises.
 */
export function createSharedReads<T>(read: (key: string) => Promise<T>, { ttlMs, maxEntries = 1000, now = Date.now }: { ttlMs: number; maxEntries?: number; now?: () => number }) {
  const kept = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key: string): Promise<T> {
      const entry = kept.get(key);
      if (entry && now() - entry.at < ttlMs) return entry.value;
      kept.delete(key); // re-inserted last: the oldest entries are the first ones
      if (kept.size >= maxEntries) kept.delete(kept.keys().next().value!);
      const value = read(key);
      kept.set(key, { at: now(), value });
      value.catch(() => { if (kept.get(key)?.value === value) kept.delete(key); });
      return value;
    },
    /** The next get of `key` reads again (after this instance changed what it would read). */
    forget(key: string): void { kept.delete(key); },
  };
}
