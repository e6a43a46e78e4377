import { z } from 'zod';
import { toPublicProfile } from '../../users/profile.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import { USER_CURSOR_FIELDS, USER_SORT_FIELDS, type CursorSort, type UserListing, type UserSort } from '../user-listing.service.ts';
import { roleRightsOf } from '../role-members.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { fieldsParams, nextPage, pagingParams, projectFields, queryBoolean, sortParam, withTotals } from './query-params.ts';
import { createUserBody, lookupEmailField, patchUserBody, PROFILE_FIELDS, userIdParams, userResponse } from './user-schemas.ts';

const fieldsQuery = z.object(fieldsParams(PROFILE_FIELDS)).strict();
const getUserQuery = fieldsQuery.extend({
  include_facts: queryBoolean.optional().describe("insole's addition: also the user's derived facts (what segments and reports read), under `facts`."),
});
const factsResponse = z.record(z.string(), z.unknown()).describe('Derived facts: gender, born_from/born_to, interests, interest_keys, country, city, x_handle, sentiment, connections, enrichment, lifecycle, segments, active_weeks.');
const auth0Error = { description: 'Auth0 error body: { statusCode, error, message, errorCode }' };
const roleScopeError = (scope: string) => ({ description: `The token lacks ${scope}, or the role scope a change of dashboard roles needs (create:role_members to give one, delete:role_members to take one away).` });
const byParamId = ({ params }: { params: { id: string } }) => params.id;

const listQuery = z.object({
  ...pagingParams,
  sort: sortParam(USER_SORT_FIELDS).describe(`field:1 or field:-1; fields: ${USER_SORT_FIELDS.join(', ')}.`),
  ...fieldsParams(PROFILE_FIELDS),
  q: z.string().optional().describe("Auth0's user search syntax (search engine v3): field:value, quoted phrases, AND/OR/NOT, parentheses, * wildcards (inner and leading ones need 3 literal characters), [a TO b] ranges, _exists_:field, metadata paths (user_metadata.größe:42: any key PATCH stores; a space, :, \\, \", *, ?, parentheses or brackets in a key escaped with \\)."),
  search_engine: z.enum(['v2', 'v3']).optional().describe('Accepted for compatibility; the syntax is always v3.'),
  primary_order: queryBoolean.optional().describe('Accepted for compatibility; no effect.'),
  connection: z.string().max(200).optional().describe('Only users with an identity in this connection (Username-Password-Authentication, google-oauth2, facebook, twitter); another name is a 400 naming these.'),
  from: z.string().max(1000).optional().describe('Cursor paging (beyond Auth0): the cursor from the previous page\'s Link header.'),
  take: z.coerce.number().int().min(1).max(100).optional().describe('Cursor paging: users per page (default 50); the next page is in the Link header (rel="next").'),
}).strict().superRefine((query, ctx) => {
  const cursor = query.from !== undefined || query.take !== undefined;
  if (cursor && (query.page !== undefined || query.per_page !== undefined || query.include_totals)) {
    ctx.addIssue({ code: 'custom', message: 'from/take (cursor paging) cannot be combined with page, per_page or include_totals' });
  }
  if (cursor && query.sort && !(USER_CURSOR_FIELDS as readonly string[]).includes(query.sort.field)) {
    ctx.addIssue({ code: 'custom', path: ['sort'], message: `cursor paging sorts by ${USER_CURSOR_FIELDS.join(' or ')}` });
  }
});

/** Users: list and search, read, create, update, delete (Auth0's /api/v2/users and /users-by-email). */
export function userRoutes(admin: UserAdminService, listing: UserListing): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/users', tag: 'Users', summary: 'List or search users', scopes: ['read:users'],
      description: 'Offset pages as Auth0 (page, per_page, include_totals), without its 1,000-result cap; or a cursor (take, then the Link header) for constant cost per page at any depth.',
      query: listQuery,
      responses: {
        200: {
          description: 'The users; an envelope with totals when include_totals=true.',
          headers: { link: 'Cursor paging: `<url>; rel="next"`, the next page, while there is one.' },
          schema: z.union([z.array(userResponse), z.object({ start: z.number(), limit: z.number(), length: z.number(), total: z.number(), users: z.array(userResponse) })]),
        },
        400: auth0Error,
      },
      async handle({ query }, call) {
        const project = (users: Parameters<typeof toPublicProfile>[0][]) => users.map((user) => projectFields(toPublicProfile(user), query.fields, query.include_fields));
        if (query.from !== undefined || query.take !== undefined) {
          const take = query.take ?? 50;
          const { users, next } = await listing.after(query, { from: query.from, take, sort: (query.sort as CursorSort | undefined) ?? { field: 'user_id', direction: 1 } });
          return { status: 200, body: project(users), headers: next ? { link: `<${nextPage(call.url, next, take)}>; rel="next"` } : undefined };
        }
        const [page, perPage] = [query.page ?? 0, query.per_page ?? 50];
        const { users, total } = await listing.page(query, { page, perPage, sort: (query.sort as UserSort | undefined) ?? { field: 'created_at', direction: 1 }, withTotal: Boolean(query.include_totals) });
        return { status: 200, body: query.include_totals ? withTotals('users', project(users), page * perPage, perPage, total!) : project(users) };
      },
    }),
    defineRoute({
      method: 'get', path: '/users/{id}', tag: 'Users', summary: 'Get a user', scopes: ['read:users'],
      params: userIdParams, query: getUserQuery,
      responses: { 200: { description: 'The profile (with include_facts, also its facts).', schema: userResponse.extend({ facts: factsResponse.optional() }) }, 404: auth0Error },
      async handle({ params, query }) {
        const stored = await admin.getUser(params.id);
        const body = projectFields(toPublicProfile(stored), query.fields, query.include_fields);
        if (!query.include_facts) return { status: 200, body };
        const { rev: _rev, ...facts } = (stored.facts ?? {}) as Record<string, unknown>;
        return { status: 200, body: { ...body, facts: JSON.parse(JSON.stringify(facts)) as Record<string, unknown> } };
      },
    }),
    defineRoute({
      method: 'post', path: '/users', tag: 'Users', summary: 'Create a user', scopes: ['create:users'],
      description: 'A user with dashboard roles (app_metadata.roles, or a verified address in dashboard.admins) also needs create:role_members (403 without it).',
      body: createUserBody,
      responses: { 201: { description: 'The new profile.', schema: userResponse }, 400: auth0Error, 403: roleScopeError('create:users'), 409: auth0Error },
      audit: { description: 'Create a User', userName: ({ body }) => body.email, replyUserId: (body) => (body as { user_id: string }).user_id },
      async handle({ body }, call) {
        return { status: 201, body: toPublicProfile(await admin.createUser(body, roleRightsOf(call.bearer.scopes))) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/users/{id}', tag: 'Users', summary: 'Update a user', scopes: ['update:users'],
      params: userIdParams, body: patchUserBody,
      description: 'An email another user has is a 400 "The specified new email already exists", as at Auth0 (not a 409 as for POST). '
        + 'A change of dashboard roles (app_metadata.roles, or the verified address of an admin in dashboard.admins) also needs create:role_members to add one '
        + 'and delete:role_members to remove one, emptying app_metadata included; a new password or email for a user whose roles give dashboard scopes '
        + 'needs create:role_members too (403 without, and nothing is written).',
      responses: { 200: { description: 'The updated profile.', schema: userResponse }, 400: auth0Error, 403: roleScopeError('update:users'), 404: auth0Error },
      audit: { description: 'Update a User', userId: byParamId },
      async handle({ params, body }, call) {
        return { status: 200, body: toPublicProfile(await admin.updateUser(params.id, body, roleRightsOf(call.bearer.scopes))) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/{id}', tag: 'Users', summary: 'Delete a user', scopes: ['delete:users'],
      description: 'Idempotent, as at Auth0 (whose SDKs expect no 404 here): a user that does not exist is answered 204 too.',
      params: userIdParams,
      responses: { 204: { description: 'Deleted (or there was no such user); sessions and tokens revoked.' } },
      audit: { description: 'Delete a User', userId: byParamId },
      async handle({ params }) {
        await admin.deleteUser(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get', path: '/users-by-email', tag: 'Users', summary: 'Find users by email', scopes: ['read:users'],
      query: z.object({ email: lookupEmailField, ...fieldsParams(PROFILE_FIELDS) }).strict(),
      responses: { 200: { description: 'The users with that email (at most one here: emails are unique).', schema: z.array(userResponse) } },
      async handle({ query }) {
        const users = await admin.usersByEmail(query.email);
        return { status: 200, body: users.map((user) => projectFields(toPublicProfile(user), query.fields, query.include_fields)) };
      },
    }),
  ];
}
