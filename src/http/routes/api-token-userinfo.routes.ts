import { Router } from 'express';
import { ROUTES } from '../../oidc/provider.ts';
import type { createApiTokenUserinfo } from '../../oidc/api-token-userinfo.ts';

// A compact JWS (three base64url parts); opaque tokens have no dot. The scheme is case-insensitive (RFC 9110 §11.1).
const BEARER_JWT = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i;

/**
 * GET /userinfo with a JWT access token for one of our APIs (oidc/api-token-userinfo.ts). Every
 * other request, and every token it does not accept, goes on to oidc-provider, whose answers
 * (opaque tokens, errors with WWW-Authenticate, CORS preflight, POST) stay exactly as they were.
 * Its headers are oidc-provider's userinfo ones: no caching, and CORS for the origin (`*` without one).
 */
export function apiTokenUserinfoRoutes(userinfoFor: ReturnType<typeof createApiTokenUserinfo>): Router {
  const router = Router();
  router.get(ROUTES.userinfo, async (req, res, next) => {
    if (req.method !== 'GET') return next(); // Express routes HEAD here too
    const token = BEARER_JWT.exec(req.get('authorization') ?? '')?.[1];
    const origin = req.get('origin');
    const claims = token && await userinfoFor(token, origin);
    if (!claims) return next();
    res.vary('Origin');
    res.set({ 'cache-control': 'no-store', 'access-control-allow-origin': origin ?? '*', 'access-control-expose-headers': 'WWW-Authenticate' });
    res.json(claims);
  });
  return router;
}
