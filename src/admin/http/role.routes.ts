import { z } from 'zod';
import type { RoleDirectory } from '../dashboard-roles.ts';
import type { UserListing } from '../user-listing.service.ts';
import { roleRightsOf } from '../role-members.ts';
import type { UserRoles } from '../user-roles.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { pagingParams } from './query-params.ts';
import { pageOf, roleIdParams, rolePagingQuery, roleResponse, rolesPage } from './role-schemas.ts';

const roleUser = z.object({ user_id: z.string(), email: z.string().optional(), name: z.string().optional(), picture: z.string().optional() });

const roleUsersQuery = z.object({
  ...pagingParams,
  from: z.string().max(1000).optional().describe('Checkpoint paging: the `next` of the previous page.'),
  take: z.coerce.number().int().min(1).max(100).optional().describe('Checkpoint paging: users per page (default 50); the answer is { users, next }.'),
}).strict().refine((query) => !((query.from !== undefined || query.take !== undefined) && (query.page !== undefined || query.per_page !== undefined || query.include_totals)), {
  message: 'from/take (checkpoint paging) cannot be combined with page, per_page or include_totals',
});

/** Auth0's body of POST /roles/{id}/users. */
const roleUsersBody = z.object({
  users: z.array(z.string().min(1).max(300)).min(1).max(100).describe('The ids of the users to give the role.'),
}).strict();

/**
 * Auth0's roles: here they are config's dashboard roles (src/admin/dashboard-roles.ts), read, and
 * given to users; no role is created, changed or deleted.
 */
export function roleRoutes(roles: RoleDirectory, listing: UserListing, userRoles: UserRoles): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/roles', tag: 'Roles', summary: 'Get roles', scopes: ['read:roles'],
      description: 'The dashboard roles of config dashboard.roles; a role\'s id is its name. Roles are config, so there is no POST, PATCH or DELETE.',
      query: rolePagingQuery.extend({ name_filter: z.string().max(100).optional().describe('Only roles whose name contains this (case-insensitive).') }),
      responses: { 200: { description: 'The roles; an envelope with totals when include_totals=true.', schema: z.union([z.array(roleResponse), rolesPage]) }, 400: auth0Error },
      async handle({ query }) {
        const filter = query.name_filter?.toLowerCase();
        return { status: 200, body: pageOf('roles', roles.list().filter((role) => !filter || role.name.toLowerCase().includes(filter)), query) };
      },
    }),
    defineRoute({
      method: 'get', path: '/roles/{id}', tag: 'Roles', summary: 'Get a role', scopes: ['read:roles'],
      params: roleIdParams,
      responses: { 200: { description: 'The role.', schema: roleResponse }, 404: auth0Error },
      async handle({ params }) {
        return { status: 200, body: roles.get(params.id) };
      },
    }),
    defineRoute({
      method: 'get', path: '/roles/{id}/users', tag: 'Roles', summary: "Get a role's users", scopes: ['read:role_members'],
      description: 'Who holds the role: app_metadata.roles, and for admin also the verified addresses of config dashboard.admins. '
        + 'Offset pages (page, per_page, include_totals) or checkpoint paging (from, take), in user_id order.',
      params: roleIdParams, query: roleUsersQuery,
      responses: {
        200: {
          description: 'The users; { start, limit, total, users } with include_totals; { users, next } with from/take (next while there are more).',
          schema: z.union([z.array(roleUser), z.object({ start: z.number(), limit: z.number(), total: z.number(), users: z.array(roleUser) }), z.object({ users: z.array(roleUser), next: z.string().optional() })]),
        },
        400: auth0Error, 404: auth0Error,
      },
      async handle({ params, query }) {
        const where = roles.holdersFilter(roles.get(params.id).id);
        const sort = { field: 'user_id', direction: 1 } as const;
        if (query.from !== undefined || query.take !== undefined) {
          const { users, next } = await listing.after({ where }, { from: query.from, take: query.take ?? 50, sort });
          return { status: 200, body: { users: users.map(roleUserOf), ...(next ? { next } : {}) } };
        }
        const [page, perPage] = [query.page ?? 0, query.per_page ?? 50];
        const { users, total } = await listing.page({ where }, { page, perPage, sort, withTotal: Boolean(query.include_totals) });
        const shown = users.map(roleUserOf);
        return { status: 200, body: query.include_totals ? { start: page * perPage, limit: perPage, total: total!, users: shown } : shown };
      },
    }),
    defineRoute({
      method: 'post', path: '/roles/{id}/users', tag: 'Roles', summary: 'Assign users to a role', scopes: ['create:role_members'],
      description: 'Adds the role to each user\'s app_metadata.roles, with every check of POST /users/{id}/roles (403 for a change the token\'s role scopes do not allow, '
        + '409 for roles that are no list, the metadata cap); a user who holds it already is left as is. An unknown role or user is a 404. '
        + 'Every user is checked before the first write, so any refusal writes nothing.',
      params: roleIdParams, body: roleUsersBody,
      responses: { 200: { description: 'Each user holds the role (an empty answer, as at Auth0).' }, 400: auth0Error, 403: auth0Error, 404: auth0Error, 409: auth0Error },
      audit: { description: 'Assign users to a role' },
      async handle({ params, body }, call) {
        await userRoles.assignToUsers(params.id, body.users, roleRightsOf(call.bearer.scopes));
        return { status: 200 };
      },
    }),
  ];
}

/** Auth0's four fields of a role's user; a social user may have no email, name or picture. */
function roleUserOf(user: { user_id: string; email?: string | null; name?: string | null; picture?: string | null }) {
  const { user_id, email, name, picture } = user;
  return { user_id, ...(email ? { email } : {}), ...(name ? { name } : {}), ...(picture ? { picture } : {}) };
}
