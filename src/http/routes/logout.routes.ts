import { Router } from 'express';
import { z } from 'zod';
import { BadRequestError } from '../../errors/app-error.ts';
import { parseForm } from '../forms.ts';
import { ROUTES } from '../../oidc/provider.ts';
import type { CurrentProvider } from '../../oidc/live-provider.ts';

const logoutQuery = z.object({
  client_id: z.string().min(1).max(200).optional(),
  returnTo: z.string().max(2048).optional(),
  federated: z.string().optional(),
  // Auth0's SDK telemetry (base64 JSON naming the SDK and its version): auth0-spa-js adds it to
  // every URL it opens. Accepted and ignored, as Auth0 does with it.
  auth0Client: z.string().max(2048).optional(),
}).strict();

/**
 * Auth0's `/v2/logout?client_id=…&returnTo=…`, translated to RP-initiated logout. `returnTo` must
 * be one of the client's post_logout_redirect_uris, exactly (oidc-provider's own check, as at
 * `/oidc/logout`; a home page is registered in both spellings: config/post-logout-uris.ts; no open
 * redirect), else an error page; without it, the client's first one.
 */
export function logoutRoutes(provider: CurrentProvider): Router {
  const router = Router();
  router.get('/v2/logout', async (req, res) => {
    const { client_id, returnTo } = parseForm(logoutQuery, req.query);
    const target = new URLSearchParams();
    if (returnTo !== undefined) {
      if (!client_id) throw new BadRequestError('returnTo needs the client_id of the application it belongs to.');
      const client = await provider().Client.find(client_id);
      if (!client) throw new BadRequestError('Unknown client_id.', 'invalid_client');
      if (!client.postLogoutRedirectUriAllowed(returnTo)) {
        throw new BadRequestError('returnTo is not one of this application\'s allowed logout URLs. They match exactly: register the URL as the application sends it.');
      }
      target.set('post_logout_redirect_uri', returnTo);
    } else if (client_id) {
      // Auth0: "If the client_id parameter is included and the returnTo URL is NOT set, the server
      // returns the user to the first Allowed Logout URLs" (auth0-spa-js's logout() sends no returnTo).
      const [first] = (await provider().Client.find(client_id))?.postLogoutRedirectUris ?? [];
      if (first) target.set('post_logout_redirect_uri', first);
    }
    if (client_id) target.set('client_id', client_id);
    const query = target.size ? `?${target}` : '';
    res.redirect(303, `${ROUTES.end_session}${query}`);
  });
  return router;
}
