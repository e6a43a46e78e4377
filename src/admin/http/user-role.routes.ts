import { z } from 'zod';
import type { RoleDirectory } from '../dashboard-roles.ts';
import { roleRightsOf } from '../role-members.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import type { UserRoles } from '../user-roles.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { pageOf, roleIdsBody, rolePagingQuery, roleResponse, rolesPage } from './role-schemas.ts';
import { userIdParams } from './user-schemas.ts';

const byParamId = ({ params }: { params: { id: string } }) => params.id;
const unchanged = 'An unknown role id is a 400 (invalid_body) naming it, an unknown user a 404; either way nothing is written.';

/** Auth0's GET, POST and DELETE /users/{id}/roles, over app_metadata.roles (src/admin/user-roles.service.ts). */
export function userRoleRoutes(admin: UserAdminService, roles: RoleDirectory, userRoles: UserRoles): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/users/{id}/roles', tag: 'Users', summary: "Get a user's roles", scopes: { allOf: ['read:users', 'read:roles'] },
      description: 'The dashboard roles the user holds (app_metadata.roles, and admin for a verified address in config dashboard.admins) that config defines.',
      params: userIdParams, query: rolePagingQuery,
      responses: { 200: { description: 'The roles; an envelope with totals when include_totals=true.', schema: z.union([z.array(roleResponse), rolesPage]) }, 400: auth0Error, 404: auth0Error },
      async handle({ params, query }) {
        return { status: 200, body: pageOf('roles', roles.ofUser(await admin.getUser(params.id)), query) };
      },
    }),
    defineRoute({
      method: 'post', path: '/users/{id}/roles', tag: 'Users', summary: 'Assign roles to a user', scopes: ['create:role_members'],
      description: `Adds the roles to app_metadata.roles (those already held stay; the others in the list are kept). ${unchanged}`,
      params: userIdParams, body: roleIdsBody,
      responses: { 204: { description: 'The user holds the roles.' }, 400: auth0Error, 404: auth0Error, 409: auth0Error },
      audit: { description: 'Assign roles to a user', userId: byParamId },
      async handle({ params, body }, call) {
        await userRoles.assign(params.id, body.roles, roleRightsOf(call.bearer.scopes));
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{id}/roles', tag: 'Users', summary: 'Remove roles from a user', scopes: ['delete:role_members'],
      description: `Takes the roles out of app_metadata.roles; a role the user does not hold is no error. ${unchanged} `
        + 'admin for a verified address in config dashboard.admins comes from config and is not removable here: a 400 (operation_not_supported).',
      params: userIdParams, body: roleIdsBody,
      responses: { 204: { description: 'The user no longer holds the roles.' }, 400: auth0Error, 404: auth0Error, 409: auth0Error },
      audit: { description: 'Remove roles from a user', userId: byParamId },
      async handle({ params, body }, call) {
        await userRoles.remove(params.id, body.roles, roleRightsOf(call.bearer.scopes));
        return { status: 204 };
      },
    }),
  ];
}
