import type { KoaContextWithOIDC } from 'oidc-provider';
import type { LogService } from '../logs/log.service.ts';

type Next = () => Promise<void>;

/** Writes Auth0's `slo` event once oidc-provider has ended a session at the user's confirmation. */
export function logoutLogging(logs: LogService) {
  return async (ctx: KoaContextWithOIDC, next: Next) => {
    await next();
    const { oidc } = ctx;
    if (oidc?.route !== 'end_session_confirm' || ctx.status !== 303 || !oidc.params?.logout) return;
    const accountId = oidc.session?.accountId;
    if (!accountId) return;
    await logs.record({
      type: 'slo', user_id: accountId, client_id: oidc.client?.clientId, client_name: oidc.client?.clientName,
      ip: ctx.ip, user_agent: ctx.get('user-agent')?.slice(0, 512),
    });
  };
}
