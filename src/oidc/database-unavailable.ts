import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RenderView } from '../http/views.ts';
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

/**
 * The same answer for a database lost after the route itself: oidc-provider saves the session in a
 * middleware of its own after the route (`ensureSessionSave`), outside its error handling, so a
 * failure there reached Koa's default handler as a bare 500. Registered first, this sees it.
 */
export function databaseUnavailableGuard(renderView: RenderView, onUnavailable: (err: Error) => void) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    try {
      await next();
    } catch (err) {
      if (!isDatabaseUnavailableError(err)) throw err;
      onUnavailable(err as Error);
      ctx.remove('Location'); // the route's redirect, if it had one, must not be followed
      ctx.status = unavailable.status;
      ctx.set('Retry-After', '5');
      if (ctx.accepts('json', 'html') === 'html') {
        ctx.type = 'html';
        ctx.body = await renderView('error', { title: 'Something went wrong', error: unavailable.code, description: unavailable.message });
      } else {
        ctx.body = { error: unavailable.code, error_description: unavailable.message };
      }
    }
  };
}

