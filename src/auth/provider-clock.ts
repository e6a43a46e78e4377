import type { Request } from 'express';

/**
 * The clock of a provider's budget (connections.timeout_ms) in one strategy run: it runs only
 * while passport waits on the provider. insole's own handshake writes inside the run (the state
 * stored or consumed, the request-token secret) stop it: a slow database is insole's trouble, not
 * "the provider is not answering", and is answered as any slow request is (answer_within_ms, 503).
 */
export interface ProviderClock {
  pause(): void;
  resume(): void;
}

declare module 'express-serve-static-core' {
  interface Request { providerClock?: ProviderClock }
}

/** `work` (a database write of insole's own) with the provider's clock stopped. */
export async function offProviderClock<T>(req: Request, work: () => Promise<T>): Promise<T> {
  const clock = req.providerClock;
  clock?.pause();
  try {
    return await work();
  } finally {
    clock?.resume();
  }
}

/** A deadline of `ms` that calls `expired` once, not counting the time it spent paused (pauses may nest). */
export function pausableDeadline(ms: number, expired: () => void): ProviderClock & { clear(): void } {
  let left = ms;
  let since = performance.now();
  let pauses = 0;
  let cleared = false;
  let timer: NodeJS.Timeout | undefined = setTimeout(expired, left);
  return {
    pause() {
      if (cleared || pauses++ > 0) return;
      clearTimeout(timer);
      left -= performance.now() - since;
    },
    resume() {
      if (cleared || --pauses > 0) return;
      since = performance.now();
      timer = setTimeout(expired, Math.max(0, left));
    },
    clear() {
      cleared = true;
      clearTimeout(timer);
    },
  };
}
