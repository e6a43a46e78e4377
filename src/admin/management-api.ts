/**
 * The Management API as a resource server: its audience and the scopes a client can be granted,
 * named as Auth0 names them (https://auth0.com/docs/api/management/v2 lists the scope per endpoint).
 */
export const MANAGEMENT_SCOPES = [
  'read:users', 'create:users', 'update:users', 'delete:users',
  // read:logs_users: Auth0's narrower scope for one user's logs (GET /users/{id}/logs accepts it or read:logs).
  'read:logs', 'read:logs_users', 'read:stats',
  // Customer insight (issue 10): reports and segment previews; saved segments.
  'read:reports', 'read:segments', 'update:segments',
  // Dashboard roles (app_metadata.roles) are privileges, not profile data: Auth0 keeps role
  // assignment behind these scopes, apart from update:users and create:users (src/admin/role-members.ts).
  'create:role_members', 'delete:role_members',
  // Reading them, as Auth0's role endpoints ask: the roles (config dashboard.roles) and who holds each.
  'read:roles', 'read:role_members',
  // Links that set a password or verify an address, for a store's own mails (POST /tickets/...): Auth0's scope.
  'create:user_tickets',
] as const;

export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];

/** What each scope allows, for the OpenAPI document's security scheme (a new scope cannot go undescribed). */
export const SCOPE_DESCRIPTIONS: Record<ManagementScope, string> = {
  'read:users': 'Read users, their logs and blocks; start user exports.',
  'create:users': 'Create users; start user imports.',
  'update:users': 'Update, block and unblock users; link and unlink identities.',
  'delete:users': 'Delete users.',
  'read:logs': 'Read log events.',
  'read:logs_users': "Read one user's log events (GET /users/{id}/logs).",
  'read:stats': 'Read daily and active-user statistics.',
  'read:reports': 'Run customer-insight reports and preview segments (counts, breakdowns, sample users).',
  'read:segments': 'Read saved segments and their members.',
  'update:segments': 'Create, change and delete saved segments.',
  'create:role_members': 'Give users dashboard roles: add to app_metadata.roles (POST /users/{id}/roles, POST /roles/{id}/users, POST/PATCH /users, imports), or verify an address in dashboard.admins; link identities to a user with roles (POST /users/{id}/identities).',
  'delete:role_members': 'Take dashboard roles from users: remove from app_metadata.roles (DELETE /users/{id}/roles, PATCH /users, import upserts); link a user with roles into another, which ends it (POST /users/{id}/identities).',
  'read:roles': 'Read the dashboard roles (GET /roles, /roles/{id}) and, with read:users, a user\'s roles (GET /users/{id}/roles).',
  'read:role_members': 'Read who holds a dashboard role (GET /roles/{id}/users).',
  'create:user_tickets': 'Create password change and email verification tickets (POST /tickets/password-change, /tickets/email-verification): links the store mails itself.',
};

/** Auth0's audience for its Management API: `https://<tenant>/api/v2/`, here `${ISSUER}/api/v2/`. */
export function managementAudience(issuer: string): string {
  return `${issuer}/api/v2/`;
}
