import type { KoaContextWithOIDC } from 'oidc-provider';
import { isDatabaseUnavailableError } from '../db/connect.ts';
import { UnavailableError } from '../errors/app-error.ts';

const unavailable = new UnavailableError();

/**
 * oidc-provider turns any error it did not raise itself into a 500 server_error. A database that
 * went away between the readiness gate and a query (or mid-flow) is not that: it answers 503 with
 * Retry-After, like every Express route (error-handler.ts). Called from the provider's
 * `server_error` event, which fires before Koa sends the answer; the HTML page is already rendered
 * by `renderError` with the same message (see `unavailableDescription`).
 */
export function answerDatabaseUnavailable(ctx: KoaContextWithOIDC, err: unknown): boolean {
  if (!isDatabaseUnavailableError(err)) return false;
  ctx.status = unavailable.status;
  ctx.set('Retry-After', '5');
  if (typeof ctx.body !== 'string') ctx.body = { error: unavailable.code, error_description: unavailable.message };
  return true;
}

/** What the error page says: the 503 message for a database outage, else oidc-provider's own. */
export function unavailableDescription(err: unknown): { error: string; description: string } | undefined {
  return isDatabaseUnavailableError(err) ? { error: unavailable.code, description: unavailable.message } : undefined;
}
