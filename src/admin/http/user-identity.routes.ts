import { z } from 'zod';
import { BadRequestError } from '../../errors/app-error.ts';
import { publicProfileSchema } from '../../users/profile.ts';
import type { AccountLinking, SecondaryName } from '../account-linking.ts';
import type { VerifyIdToken } from '../../oidc/id-token-verifier.ts';
import { roleRightsOf } from '../role-members.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { userIdParams } from './user-schemas.ts';

const unlinkParams = z.object({
  id: z.string().min(1).max(300),
  provider: z.string().min(1).max(100),
  user_id: z.string().min(1).max(300),
});

/** Auth0's body: the secondary user by its main identity (user_id: a string, or a number as the SDKs allow). */
const linkBody = z.object({
  provider: z.string().min(1).max(100).optional().describe('Provider of the secondary user\'s main identity: google-oauth2, facebook, twitter.'),
  user_id: z.union([z.string().min(1).max(300), z.number().int().nonnegative()]).optional().describe('Its id at the provider (the part after the |), or the whole user_id.'),
  connection_id: z.string().min(1).max(100).optional().describe('insole has no connection ids: the connection\'s name; when sent, the identity must be in it.'),
  link_with: z.string().min(1).max(20_000).optional().describe('Instead of the three others: the secondary user\'s ID token, issued by insole to the client that calls (aud), RS256, not expired.'),
}).strict().superRefine((body, ctx) => {
  const named = body.provider !== undefined || body.user_id !== undefined || body.connection_id !== undefined;
  if (body.link_with !== undefined && named) ctx.addIssue({ code: 'custom', path: ['link_with'], message: 'link_with cannot be sent with provider, user_id or connection_id' });
  else if (body.link_with === undefined && (body.provider === undefined || body.user_id === undefined)) ctx.addIssue({ code: 'custom', message: 'provider and user_id (or link_with) are required' });
});

type LinkBody = z.infer<typeof linkBody>;

const identities = publicProfileSchema.shape.identities;

/** Auth0's link (POST /users/{id}/identities) and unlink (DELETE /users/{id}/identities/{provider}/{user_id}). */
export function userIdentityRoutes(admin: UserAdminService, linking: AccountLinking, verifyIdToken: VerifyIdToken): AnyApiRoute[] {
  /** The secondary as the body names it; an ID token's subject is a user_id, `<provider>|<id>` as insole makes them. */
  async function secondaryOf(body: LinkBody, clientId: string | undefined): Promise<SecondaryName> {
    if (body.link_with === undefined) return { provider: body.provider!, user_id: String(body.user_id), connection: body.connection_id };
    const subject = await verifyIdToken(body.link_with, clientId);
    const bar = subject.indexOf('|');
    if (bar < 1) throw new BadRequestError('The ID token of link_with names no user of insole.', 'invalid_body');
    return { provider: subject.slice(0, bar), user_id: subject.slice(bar + 1) };
  }

  return [
    defineRoute({
      method: 'post', path: '/users/{id}/identities', tag: 'Users', summary: 'Link a user account', scopes: ['update:users'],
      description: 'Moves the identities of the secondary user (named by its main identity) to the user {id}, and deletes the secondary: its profile and metadata are not merged. '
        + 'A user with dashboard roles as primary needs create:role_members too, one as secondary delete:role_members (403). '
        + 'A password user cannot be the secondary (400). link_with names the secondary by its ID token instead; one that is not insole\'s, '
        + 'for another client or expired is a 400. Each refusal writes nothing.',
      params: userIdParams, body: linkBody,
      responses: {
        201: { description: 'The primary user\'s identities, the linked ones included.', schema: identities },
        400: auth0Error, 403: auth0Error, 404: auth0Error, 409: auth0Error,
        503: { description: 'The move was interrupted by sign-ins of the secondary: send the same request again to finish it.' },
      },
      audit: { description: 'Link a User Account', userId: ({ params }) => params.id },
      async handle({ params, body }, call) {
        const secondary = await secondaryOf(body, call.bearer.clientId);
        const linked = await linking.link(params.id, secondary, roleRightsOf(call.bearer.scopes), `api:${call.bearer.clientId ?? call.bearer.subject}`);
        return { status: 201, body: linked };
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{id}/identities/{provider}/{user_id}', tag: 'Users', summary: 'Unlink a user identity', scopes: ['update:users'],
      description: 'Separates a linked (secondary) identity; the main identity, which the user_id names, cannot be removed (400). '
        + 'A later sign-in with that identity links it again only once the shopper signs in to the account in the same sign-in.',
      params: unlinkParams,
      responses: {
        200: { description: 'The identities the user keeps.', schema: identities },
        400: auth0Error, 404: auth0Error,
      },
      audit: { description: 'Unlink a User Identity', userId: ({ params }) => params.id },
      async handle({ params }, call) {
        const kept = await admin.unlink(params.id, params.provider, params.user_id, `api:${call.bearer.clientId ?? call.bearer.subject}`);
        return { status: 200, body: kept };
      },
    }),
  ];
}
