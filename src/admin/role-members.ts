import type { Config } from '../config/schema.ts';
import { AppError } from '../errors/app-error.ts';
import { roleChange, rolesOf, type RoleHolder } from '../users/roles.ts';

/**
 * Whether a caller may give and take dashboard roles. A role is a privilege (the dashboard's token
 * carries its Management API scopes, and `admin` reads every customer), so it cannot ride on the
 * scopes that keep profiles: a storefront with update:users keeps user_metadata and app_metadata,
 * not who administers the store. Auth0 keeps roles behind their own scopes too:
 * create:role_members to assign (POST /users/{id}/roles), delete:role_members to remove.
 */
export interface RoleRights { add: boolean; remove: boolean }

export const ROLE_SCOPES = { add: 'create:role_members', remove: 'delete:role_members' } as const;

/** The operator at the database (the CLI): every right. */
export const ALL_ROLE_RIGHTS: RoleRights = { add: true, remove: true };

export function roleRightsOf(scopes: ReadonlySet<string>): RoleRights {
  return { add: scopes.has(ROLE_SCOPES.add), remove: scopes.has(ROLE_SCOPES.remove) };
}

/** The role scopes that `rights` stand for: what an import job keeps, read back with `roleRightsOf`. */
export function roleScopesOf(rights: RoleRights): string[] {
  return [...(rights.add ? [ROLE_SCOPES.add] : []), ...(rights.remove ? [ROLE_SCOPES.remove] : [])];
}

/**
 * What is wrong with a write that turns `before` into `after` for a caller with `rights`, or
 * nothing. Roles are compared as the dashboard grants them (`rolesOf`), so this check and the grant
 * cannot disagree: app_metadata.roles, and `admin` for a verified address in dashboard.admins.
 */
export function roleChangeProblem(before: RoleHolder | undefined, after: RoleHolder, rights: RoleRights, dashboard: Config['dashboard']): string | undefined {
  const { added, removed } = roleChange(before, after, dashboard);
  const missing = [
    ...(added.length && !rights.add ? [`${ROLE_SCOPES.add} (it would give the role${added.length > 1 ? 's' : ''} ${added.join(', ')})`] : []),
    ...(removed.length && !rights.remove ? [`${ROLE_SCOPES.remove} (it would take away the role${removed.length > 1 ? 's' : ''} ${removed.join(', ')})`] : []),
  ];
  if (!missing.length) return undefined;
  return `Insufficient scope to change app_metadata.roles (dashboard roles; an address in dashboard.admins, once verified, is admin): expected ${missing.join(' and ')}.`;
}

/** The same as a 403 `insufficient_scope`, in Auth0's words for a missing scope. */
export function assertMayChangeRoles(before: RoleHolder | undefined, after: RoleHolder, rights: RoleRights, dashboard: Config['dashboard']): void {
  const problem = roleChangeProblem(before, after, rights, dashboard);
  if (problem) throw new AppError('insufficient_scope', 403, `${problem} Nothing was written.`);
}

/**
 * Whoever signs in as a user has the user's roles, so a new password or email for a user whose
 * roles give dashboard scopes (then a reset to that address), or identities linked to it, hand them
 * to whoever chose them: it needs create:role_members, as giving them does. Otherwise update:users,
 * which a storefront has, could take over an admin. A role dashboard.roles does not name gives
 * nothing, and needs nothing.
 */
export function assertMayChangeSignIn(user: RoleHolder, change: { password: boolean; email: boolean; identities?: boolean }, rights: RoleRights, dashboard: Config['dashboard']): void {
  const roles = rolesOf(user, dashboard).filter((role) => Object.hasOwn(dashboard.roles, role) && dashboard.roles[role].length);
  if (rights.add || !roles.length || !(change.password || change.email || change.identities)) return;
  const what = [change.password && 'password', change.email && 'email', change.identities && 'identities'].filter(Boolean).join(' and ');
  throw new AppError('insufficient_scope', 403, `Insufficient scope to change the ${what} of a user with dashboard roles (${roles.join(', ')}): `
    + `expected ${ROLE_SCOPES.add} (whoever signs in with the new ${what} has those roles). Nothing was written.`);
}
