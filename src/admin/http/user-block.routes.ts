import { z } from 'zod';
import type { UserDoc } from '../../users/user.model.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { queryBoolean } from './query-params.ts';
import { userIdParams } from './user-schemas.ts';

const blocksResponse = z.object({
  blocked_for: z.array(z.object({ identifier: z.string(), ip: z.string().optional() })),
}).meta({ id: 'UserBlocks' });

const considerEnablement = queryBoolean.optional()
  .describe('true: answer no blocks while brute-force protection is disabled (attack_protection.brute_force.enabled).');
const identifierField = z.string().trim().toLowerCase().min(1).max(254).describe("The user's email address.");
const readQuery = z.object({ consider_brute_force_enablement: considerEnablement }).strict();
const byIdentifierQuery = z.object({ identifier: identifierField, consider_brute_force_enablement: considerEnablement }).strict();
const deleteByIdentifierQuery = z.object({ identifier: identifierField }).strict();

/**
 * Auth0's user blocks: the brute-force blocks (`blocked_for`, one entry per blocked IP), not the
 * `blocked` flag an admin sets with PATCH /users/{id}. Lifting them is the admin service's unblock.
 * By user id an unknown user is a 404; by identifier it is not (Auth0 declares no 404 there, nor do
 * its SDKs): an identifier nobody uses simply has no blocks to show or lift.
 */
export function userBlockRoutes(admin: UserAdminService, { bruteForceEnabled }: { bruteForceEnabled: boolean }): AnyApiRoute[] {
  const blocksOf = (user: UserDoc, consider?: boolean) => ({
    blocked_for: consider && !bruteForceEnabled ? [] : user.blocked_for.map(({ identifier, ip }) => (ip ? { identifier, ip } : { identifier })),
  });

  return [
    defineRoute({
      method: 'get', path: '/user-blocks/{id}', tag: 'User Blocks', summary: "Get a user's brute-force blocks", scopes: ['read:users'],
      params: userIdParams, query: readQuery,
      responses: { 200: { description: 'The blocked identifier + IP pairs.', schema: blocksResponse }, 404: auth0Error },
      async handle({ params, query }) {
        return { status: 200, body: blocksOf(await admin.getUser(params.id), query.consider_brute_force_enablement) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/user-blocks/{id}', tag: 'User Blocks', summary: "Lift a user's brute-force blocks", scopes: ['update:users'],
      params: userIdParams,
      responses: { 204: { description: 'Every blocked IP may sign in as this user again.' }, 404: auth0Error },
      audit: { description: 'Unblock a User', userId: ({ params }) => params.id },
      async handle({ params }) {
        await admin.unblock(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get', path: '/user-blocks', tag: 'User Blocks', summary: 'Get brute-force blocks by identifier', scopes: ['read:users'],
      query: byIdentifierQuery,
      responses: { 200: { description: 'The blocked identifier + IP pairs; none for an identifier no user has.', schema: blocksResponse } },
      async handle({ query }) {
        const [user] = await admin.usersByEmail(query.identifier);
        return { status: 200, body: user ? blocksOf(user, query.consider_brute_force_enablement) : { blocked_for: [] } };
      },
    }),
    defineRoute({
      method: 'delete', path: '/user-blocks', tag: 'User Blocks', summary: 'Lift brute-force blocks by identifier', scopes: ['update:users'],
      query: deleteByIdentifierQuery,
      responses: { 204: { description: 'Every blocked IP may sign in as this user again (nothing to do for an identifier no user has).' } },
      audit: { description: 'Unblock a User', userName: ({ query }) => query.identifier },
      async handle({ query }) {
        const [user] = await admin.usersByEmail(query.identifier);
        if (user) await admin.unblock(user.user_id);
        return { status: 204 };
      },
    }),
  ];
}
