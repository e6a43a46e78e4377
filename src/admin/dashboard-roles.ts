import type { Config } from '../config/schema.ts';
import { BadRequestError, NotFoundError } from '../errors/app-error.ts';
import type { MongoFilter } from '../search/search-compiler.ts';
import { rolesOf, type RoleHolder } from '../users/roles.ts';

/** Auth0's role object (GET /api/v2/roles). */
export interface Role { id: string; name: string; description: string }

export class RoleNotFoundError extends NotFoundError {
  constructor() { super('The role does not exist.'); }
  override readonly code = 'inexistent_role';
}

export type RoleDirectory = ReturnType<typeof createRoleDirectory>;

/**
 * The roles the Management API serves are the dashboard's, from config (`dashboard.roles`), not
 * stored: nothing creates or deletes one at run time. So a role's id is its name (Auth0's are
 * `rol_…` because its roles are records with names that can change): the same on every instance
 * and after every restart, and what `app_metadata.roles` holds, so the two cannot disagree.
 */
export function createRoleDirectory(dashboard: Config['dashboard']) {
  const names = Object.keys(dashboard.roles);
  const known = (id: string) => Object.hasOwn(dashboard.roles, id);
  const describe = (id: string): Role => ({
    id, name: id, description: `Dashboard role: gives the Management API scopes ${dashboard.roles[id].join(', ') || '(none)'}.`,
  });
  const admins = dashboard.admins.map((address) => address.toLowerCase());

  return {
    list: (): Role[] => names.map(describe),

    get(id: string): Role {
      if (!known(id)) throw new RoleNotFoundError();
      return describe(id);
    },

    /** Auth0 answers a list naming a role that does not exist with a 400 (invalid_body). */
    assertKnown(ids: string[]): void {
      const unknown = ids.filter((id) => !known(id));
      if (!unknown.length) return;
      const shown = unknown.slice(0, 5).map((id) => JSON.stringify(id.slice(0, 50))).join(', ');
      throw new BadRequestError(`One or more of the roles do not exist: ${shown}. The roles are config dashboard.roles: ${names.join(', ')}. Nothing was written.`, 'invalid_body');
    },

    /** The user's roles that config defines, in config's order (what GET /roles/{id}/users agrees with). */
    ofUser(user: RoleHolder): Role[] {
      const held = new Set(rolesOf(user, dashboard));
      return names.filter((name) => held.has(name)).map(describe);
    },

    /** The roles config gives the user whatever app_metadata says: admin, for a verified address in dashboard.admins. */
    fromConfig: (user: RoleHolder): string[] => rolesOf({ ...user, app_metadata: {} }, dashboard),

    /** The users holding role `id`, as `rolesOf` grants it: in app_metadata.roles, or admin by a verified address in dashboard.admins. */
    holdersFilter(id: string): MongoFilter {
      // $elemMatch: in a list only, as rolesOf reads it (a string 'admin' there is no role).
      const stored = { 'app_metadata.roles': { $elemMatch: { $eq: id } } };
      if (id !== 'admin' || !admins.length) return stored;
      return { $or: [stored, { email: { $in: admins }, email_verified: true }] };
    },
  };
}
