import { z } from 'zod';
import { toPublicProfile } from '../../users/profile.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { fieldsParams, projectFields } from './query-params.ts';
import { createUserBody, emailField, patchUserBody, PROFILE_FIELDS, userIdParams, userResponse } from './user-schemas.ts';

const fieldsQuery = z.object(fieldsParams(PROFILE_FIELDS)).strict();
const auth0Error = { description: 'Auth0 error body: { statusCode, error, message, errorCode }' };
const byParamId = ({ params }: { params: { id: string } }) => params.id;

/** One user at a time: read, create, update, delete (Auth0's /api/v2/users/{id} and /users-by-email). */
export function userRoutes(admin: UserAdminService): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/users/{id}', tag: 'Users', summary: 'Get a user', scopes: ['read:users'],
      params: userIdParams, query: fieldsQuery,
      responses: { 200: { description: 'The profile.', schema: userResponse }, 404: auth0Error },
      async handle({ params, query }) {
        const user = toPublicProfile(await admin.getUser(params.id));
        return { status: 200, body: projectFields(user, query.fields, query.include_fields) };
      },
    }),
    defineRoute({
      method: 'post', path: '/users', tag: 'Users', summary: 'Create a user', scopes: ['create:users'],
      body: createUserBody,
      responses: { 201: { description: 'The new profile.', schema: userResponse }, 400: auth0Error, 409: auth0Error },
      audit: { description: 'Create a User' },
      async handle({ body }) {
        return { status: 201, body: toPublicProfile(await admin.createUser(body)) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/users/{id}', tag: 'Users', summary: 'Update a user', scopes: ['update:users'],
      params: userIdParams, body: patchUserBody,
      responses: { 200: { description: 'The updated profile.', schema: userResponse }, 400: auth0Error, 404: auth0Error, 409: auth0Error },
      audit: { description: 'Update a User', userId: byParamId },
      async handle({ params, body }) {
        return { status: 200, body: toPublicProfile(await admin.updateUser(params.id, body)) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{id}', tag: 'Users', summary: 'Delete a user', scopes: ['delete:users'],
      params: userIdParams,
      responses: { 204: { description: 'Deleted; sessions and tokens revoked.' }, 404: auth0Error },
      audit: { description: 'Delete a User', userId: byParamId },
      async handle({ params }) {
        await admin.deleteUser(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get', path: '/users-by-email', tag: 'Users', summary: 'Find users by email', scopes: ['read:users'],
      query: z.object({ email: emailField, ...fieldsParams(PROFILE_FIELDS) }).strict(),
      responses: { 200: { description: 'The users with that email (at most one here: emails are unique).', schema: z.array(userResponse) } },
      async handle({ query }) {
        const users = await admin.usersByEmail(query.email);
        return { status: 200, body: users.map((user) => projectFields(toPublicProfile(user), query.fields, query.include_fields)) };
      },
    }),
  ];
}
