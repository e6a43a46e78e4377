import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
import { undiciCodeOf, type OutboundHttp } from '../integrations/http-dispatcher.ts';
import type { Logger } from '../lib/logger.ts';

/**
 * OpenID Connect Back-Channel Logout 1.0. oidc-provider builds and signs the logout token (typ
 * `logout+jwt`, §2.4) and POSTs it when a shopper signs out through /oidc/logout; insole's own
 * session endings (password reset, a block, a deletion) call the same `client.backchannelLogout`
 * for each session they end (revoke-account.ts). One attempt per (client, session), as §2.8 allows
 * ("the OP MAY retry"): a failure is logged and never fails the sign-out.
 */

type ProviderFetch = NonNullable<Configuration['fetch']>;

/**
 * oidc-provider's `fetch`, through insole's dispatcher (proxy, pools, connect timeout) instead of its
 * own, with `timeout_ms` as the whole call's deadline in place of its fixed 2.5 s. Its own dispatcher
 * also refuses private and loopback addresses (SSRF protection for URLs that strangers register);
 * here only operators register clients, and a store's back-channel endpoint is often internal.
 * Only the status is read, so the body is let go at once and the connection goes back to the pool.
 */
export function backchannelFetch(http: Pick<OutboundHttp, 'fetch'>, timeoutMs: number): ProviderFetch {
  return (async (input: string | URL, init: RequestInit = {}) => {
    const { dispatcher: _theirs, signal: _theirDeadline, ...request } = init as RequestInit & { dispatcher?: unknown };
    const res = await http.fetch(input, { ...(request as Parameters<OutboundHttp['fetch']>[1]), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    return res;
  }) as unknown as ProviderFetch;
}

/** Why a delivery failed, in words fit for a log line: never the token, nor the URL (its query may hold a secret). */
export function deliveryFailure(err: unknown, timeoutMs: number): string {
  const status = (err as { response?: { status?: number } }).response?.status;
  if (status !== undefined) return `answered HTTP ${status} (200 or 204 expected)`;
  const name = (err as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const code = undiciCodeOf(err) ?? rootCode(err);
  return code ? `not reachable (${code})` : `not reachable (${(err as Error).message?.split('\n')[0].slice(0, 120)})`;
}

function rootCode(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) if (typeof e.code === 'string') return e.code;
  return undefined;
}

export interface EndedAuthorization { accountId: string; clientId: string; sid: string }

type LogoutClient = { clientId: string; backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> };

export function createLogoutNotices({ logger, timeoutMs }: { logger: Logger; timeoutMs: number }) {
  const failed = (clientId: string, err: unknown) => {
    logger.warn({ client_id: clientId, reason: deliveryFailure(err, timeoutMs) }, 'back-channel logout token not delivered (one attempt; not retried)');
  };

  /** Hooks oidc-provider's own deliveries (RP-initiated logout) to the warning line. */
  function watch(provider: Provider): void {
    provider.on('backchannel.error', (_ctx, err, client) => failed(client.clientId, err));
  }

  /**
   * Sends a logout token to each client of the ended sessions that registered a back-channel
   * logout URI, all at once; resolves when each has answered or failed (at most `timeoutMs`).
   */
  async function send(provider: Provider, ended: EndedAuthorization[]): Promise<void> {
    await Promise.all(ended.map(async ({ accountId, clientId, sid }) => {
      try {
        const client = await provider.Client.find(clientId) as unknown as LogoutClient | undefined;
        if (client?.backchannelLogoutUri) await client.backchannelLogout(accountId, sid);
      } catch (err) {
        failed(clientId, err);
      }
    }));
  }

  return { watch, send };
}

export type LogoutNotices = ReturnType<typeof createLogoutNotices>;
