/**
 * What happened to one attempt. `released`: shutdown interrupted it; `rate_limited`: the API
 * answered 429 and the job waits for it. Neither counts toward max_attempts.
 */
export type AttemptOutcome = 'done' | 'retry' | 'rate_limited' | 'dead' | 'disabled' | 'released' | 'lost';

export interface HookCounters {
  /** Attempts started (claims). */
  attempts: number;
  succeeded: number;
  retried: number;
  rate_limited: number;
  dead: number;
  /** Attempts that ended with the hook disabling itself; their jobs wait in state `disabled`. */
  parked: number;
  /** Times the hook disabled itself (a refused credential): 0 or 1 per instance. */
  disabled: number;
  released: number;
  /** Attempts whose outcome could not be recorded: the lease had passed to another worker, or the database was away. */
  lost: number;
}

export interface HookStatus extends HookCounters {
  enabled: boolean;
  /** Why the hook is disabled, when it is. */
  disabled_reason?: string;
}

const FIELD: Record<AttemptOutcome, keyof HookCounters> = {
  done: 'succeeded', retry: 'retried', rate_limited: 'rate_limited', dead: 'dead', disabled: 'parked', released: 'released', lost: 'lost',
};

/** In-memory counters of this instance, per hook (a scrape endpoint can read them with `snapshot`). */
export function createHookMetrics(hooks: string[]) {
  const counters = new Map(hooks.map((name) => [name, { attempts: 0, succeeded: 0, retried: 0, rate_limited: 0, dead: 0, parked: 0, disabled: 0, released: 0, lost: 0 }]));
  const disabledBecause = new Map<string, string>();
  const pausedUntil = new Map<string, number>();
  const rateLimitedInARow = new Map<string, number>();
  const of = (hook: string) => counters.get(hook)!;
  return {
    attemptStarted(hook: string): void {
      of(hook).attempts++;
    },
    attemptEnded(hook: string, outcome: AttemptOutcome): void {
      of(hook)[FIELD[outcome]]++;
      // Any other answer of the API ends a run of rate limits; an interrupted or lost attempt says nothing.
      if (outcome === 'rate_limited') rateLimitedInARow.set(hook, (rateLimitedInARow.get(hook) ?? 0) + 1);
      else if (outcome !== 'released' && outcome !== 'lost') rateLimitedInARow.delete(hook);
    },
    /** This instance's attempts of the hook that the API rate-limited since its last other answer. */
    rateLimitedInARow: (hook: string) => rateLimitedInARow.get(hook) ?? 0,
    /** False when the hook was already disabled. */
    disable(hook: string, reason: string): boolean {
      if (disabledBecause.has(hook)) return false;
      disabledBecause.set(hook, reason);
      of(hook).disabled++;
      return true;
    },
    isEnabled: (hook: string) => counters.has(hook) && !disabledBecause.has(hook),
    enabledHooks: () => [...counters.keys()].filter((name) => !disabledBecause.has(name)),
    /**
     * The API rate-limited the hook until `untilMs` (its Retry-After, or a backoff without one). A
     * rate limit is per API key, not per user: every other job of the hook would only meet it too,
     * costing a call each, so this instance claims none of them until then.
     */
    pause(hook: string, untilMs: number): void {
      pausedUntil.set(hook, Math.max(untilMs, pausedUntil.get(hook) ?? 0));
    },
    /** The hooks whose jobs may be claimed now: enabled, and not paused by a rate limit. */
    claimableHooks: (now = Date.now()) => [...counters.keys()].filter((name) => !disabledBecause.has(name) && (pausedUntil.get(name) ?? 0) <= now),
    snapshot(): Record<string, HookStatus> {
      return Object.fromEntries([...counters].map(([name, c]) => [name, {
        ...c, enabled: !disabledBecause.has(name), ...(disabledBecause.has(name) ? { disabled_reason: disabledBecause.get(name) } : {}),
      }]));
    },
  };
}

export type HookMetrics = ReturnType<typeof createHookMetrics>;
