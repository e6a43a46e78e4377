import { z } from 'zod';
import { publicProfileSchema } from '../../users/profile.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';

const unlinkParams = z.object({
  id: z.string().min(1).max(300),
  provider: z.string().min(1).max(100),
  user_id: z.string().min(1).max(300),
});

/** Auth0's unlink: DELETE /users/{id}/identities/{provider}/{user_id}. */
export function userIdentityRoutes(admin: UserAdminService): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'delete', path: '/users/{id}/identities/{provider}/{user_id}', tag: 'Users', summary: 'Unlink a user identity', scopes: ['update:users'],
      description: 'Separates a linked (secondary) identity; the main identity, which the user_id names, cannot be removed (400). '
        + 'A later sign-in with that identity links it again only once the shopper signs in to the account in the same sign-in.',
      params: unlinkParams,
      responses: {
        200: { description: 'The identities the user keeps.', schema: publicProfileSchema.shape.identities },
        400: auth0Error, 404: auth0Error,
      },
      audit: { description: 'Unlink a User Identity', userId: ({ params }) => params.id },
      async handle({ params }, call) {
        const identities = await admin.unlink(params.id, params.provider, params.user_id, `api:${call.bearer.clientId ?? call.bearer.subject}`);
        return { status: 200, body: identities };
      },
    }),
  ];
}
