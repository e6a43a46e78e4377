import express, { Router } from 'express';
import { z } from 'zod';
import { BadRequestError } from '../../errors/app-error.ts';
import { parseForm } from '../forms.ts';
import { ROUTES } from '../../oidc/provider.ts';

// Each parameter once (RFC 6749 §3.1): a repeated one arrives as an array and is refused.
const authorizationForm = z.record(z.string().max(100), z.string().max(4096));

/**
 * OpenID Connect Core §3.1.2.1: the authorization endpoint MUST accept POST (form-encoded) as well
 * as GET. oidc-provider's own POST (`enableHttpPostMethods`) requires the session cookie to be
 * SameSite=None, because a store's cross-site form post carries no Lax cookie: a signed-in shopper
 * would look signed out and prompt=none would fail. insole keeps SameSite=Lax (STANDARDS), so a
 * POST is answered with a 303 to the same request as a GET on this same path: a top-level navigation,
 * which carries the cookie, and which oidc-provider then checks and answers as any other GET.
 */
export function authorizePostRoutes(): Router {
  const router = Router();
  router.post(ROUTES.authorization, express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 50 }), (req, res) => {
    if (!req.is('application/x-www-form-urlencoded')) throw new BadRequestError('Send the authorization request as a form (application/x-www-form-urlencoded).');
    const params = parseForm(authorizationForm, req.body);
    res.redirect(303, `${ROUTES.authorization}?${new URLSearchParams(params)}`);
  });
  return router;
}
