import { hkdfSync } from 'node:crypto';
import type { Config } from '../config/schema.ts';

export const DASHBOARD_CLIENT_ID = 'insole-dashboard';

/**
 * The dashboard is a relying party of insole like any other (code flow + PKCE), registered by
 * insole itself: a confidential, first-party client whose secret is derived from the key
 * encryption key (every instance derives the same; nothing to store), and the only client that
 * may ask for Management API tokens on behalf of a signed-in user (`management_delegation`).
 * It receives back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0) at its own
 * /admin/backchannel-logout, with `sid` (session required), so an insole session ended anywhere
 * ends the dashboard sessions it signed in (src/dashboard/http/backchannel-logout.routes.ts).
 */
export function dashboardClient(config: Config) {
  const secret = Buffer.from(hkdfSync('sha256', config.secrets.key_encryption_key, 'insole', 'dashboard-client-secret', 32)).toString('base64url');
  return {
    client_id: DASHBOARD_CLIENT_ID,
    client_secret: secret,
    client_name: `${config.brand.name} dashboard`,
    redirect_uris: [`${config.issuer}/admin/callback`],
    post_logout_redirect_uris: [`${config.issuer}/admin/signed-out`],
    backchannel_logout_uri: `${config.issuer}/admin/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code', 'refresh_token'] as ('authorization_code' | 'refresh_token')[],
    response_types: ['code'] as 'code'[],
    token_endpoint_auth_method: 'client_secret_basic' as const,
    first_party: true,
    management_delegation: true,
  };
}
