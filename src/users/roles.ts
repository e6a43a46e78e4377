import type { Config } from '../config/schema.ts';
import type { UserDoc } from './user.model.ts';

/**
 * A user's roles: `app_metadata.roles` (Auth0's usual place for them), plus `admin` for the emails
 * config names (`dashboard.admins`, so a fresh install has someone who can sign in).
 */
export function rolesOf(user: Pick<UserDoc, 'email' | 'email_verified' | 'app_metadata'>, dashboard: Config['dashboard']): string[] {
  const stored = user.app_metadata?.roles;
  const roles = new Set(Array.isArray(stored) ? stored.filter((role): role is string => typeof role === 'string') : []);
  // Only a verified address earns the role from config: anyone can sign up with any email. Exactly
  // true: a migration script's "false" (a string) verifies nothing, as holdersFilter's query reads it.
  if (user.email && user.email_verified === true && dashboard.admins.map((a) => a.toLowerCase()).includes(user.email)) roles.add('admin');
  return [...roles];
}

/** The Management API scopes the user's roles give (the union; none when no role is configured). */
export function scopesOfRoles(roles: string[], dashboard: Config['dashboard']): string[] {
  return [...new Set(roles.flatMap((role) => dashboard.roles[role] ?? []))];
}

/** Who a write makes a user: the fields `rolesOf` reads, before and after. */
export type RoleHolder = Pick<UserDoc, 'email' | 'email_verified' | 'app_metadata'>;

/** The roles a write gives and takes away, by the same rule the dashboard grants them (`rolesOf`). */
export function roleChange(before: RoleHolder | undefined, after: RoleHolder, dashboard: Config['dashboard']): { added: string[]; removed: string[] } {
  const was = new Set(before ? rolesOf(before, dashboard) : []);
  const is = new Set(rolesOf(after, dashboard));
  return { added: [...is].filter((role) => !was.has(role)), removed: [...was].filter((role) => !is.has(role)) };
}
