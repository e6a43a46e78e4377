import type { Request, Response } from 'express';
import type { ProviderResult } from '../../auth/passport-setup.ts';
import { pausableDeadline } from '../../auth/provider-clock.ts';
import type { ProviderOutcome } from '../../auth/social-callback.ts';

/** `redirected`: passport answered itself (to the provider); otherwise how the round trip ended. */
export type StrategyOutcome = { kind: 'redirected' } | ProviderOutcome;

/**
 * Runs a passport strategy as a promise with a deadline: a provider that hangs (the oauth library
 * has no timeouts) must not hang the shopper. The deadline counts only the provider's calls: it
 * stops while the strategy's stores write insole's own handshake records (provider-clock.ts). After the deadline, late strategy output is ignored:
 * passport writes through a gate that closes when the outcome is settled, so a redirect that comes
 * while the route is still recording the failure cannot go out before (or instead of) its page.
 */
/** The part of a Passport instance we use (its own typings describe only the global singleton). */
export interface Authenticator {
  authenticate(strategy: string, options: object, callback: (...args: never[]) => void): (req: Request, res: Response, next: (err?: unknown) => void) => void;
}

/** `options`: the strategy's authorization parameters (passport-google-oauth20 takes `prompt`). */
export function runStrategy(passport: Authenticator, connection: string, req: Request, res: Response, timeoutMs: number, options: object = {}): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: StrategyOutcome) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      resolve(outcome);
    };
    const deadline = pausableDeadline(timeoutMs, () => settle({ kind: 'failed', reason: `no answer from the provider within ${timeoutMs} ms` }));
    req.providerClock = deadline;
    res.once('finish', () => settle({ kind: 'redirected' }));

    passport.authenticate(connection, { ...options, session: false }, (err: unknown, user: ProviderResult | false, info?: { message?: string }) => {
      if (err) return settle({ kind: 'failed', reason: describe(err) });
      if (!user) return settle({ kind: 'denied', reason: info?.message ?? 'denied by the user' });
      settle({ kind: 'success', result: user });
    })(req, untilSettled(res, () => settled), (err?: unknown) => settle({ kind: 'failed', reason: describe(err) }));
  });
}

/**
 * The response as passport sees it: once `settled`, what passport does to it (a redirect is
 * `statusCode`, `setHeader` and `end`: passport's authenticate.js) is dropped. The route answers on
 * the response itself.
 */
function untilSettled(res: Response, settled: () => boolean): Response {
  return new Proxy(res, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (settled() ? target : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
    set(target, prop, value) {
      if (!settled()) Reflect.set(target, prop, value, target);
      return true;
    },
  });
}

// Only the error's name and message: provider errors can carry response bodies, never tokens, but keep logs lean.
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; oauthError?: { statusCode?: number } } | undefined;
  const status = e?.oauthError?.statusCode ? ` (HTTP ${e.oauthError.statusCode})` : '';
  return `${e?.name ?? 'Error'}: ${e?.message ?? 'unknown'}${status}`.slice(0, 300);
}
