import type { Config } from '../config/schema.ts';
import { AppError, BadRequestError, ConflictError } from '../errors/app-error.ts';
import type { UserDoc } from '../users/user.model.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { RoleDirectory } from './dashboard-roles.ts';
import { assertMergedFits } from './metadata-merge.ts';
import { assertMayChangeRoles, type RoleRights } from './role-members.ts';
import { UserNotFoundError, type UserAdminService } from './user-admin.service.ts';

export type UserRoles = ReturnType<typeof createUserRoles>;

/**
 * Auth0's role assignment (POST/DELETE /users/{id}/roles) over app_metadata.roles: the same rules
 * as a PATCH of it (role scopes, the metadata cap), one atomic write through the user changes
 * (facts and their events), and nothing written when any of it is refused.
 */
export function createUserRoles(deps: { admin: UserAdminService; users: UserRepository; roles: RoleDirectory; dashboard: Config['dashboard'] }) {
  const { admin, users, roles, dashboard } = deps;

  /** The stored list; a value PATCH left that is not one (a string) cannot be added to or taken from. */
  function storedRoles(user: UserDoc): unknown[] {
    const stored = user.app_metadata?.roles;
    if (stored === undefined || stored === null) return [];
    if (Array.isArray(stored)) return stored;
    throw new ConflictError('app_metadata.roles holds no list of roles: set it with PATCH /users/{id} first. Nothing was written.', 'invalid_roles');
  }

  /** The checks a PATCH to `next` would meet: role scopes (as the dashboard grants roles) and the size cap. */
  function assertMayWrite(user: UserDoc, next: unknown[], rights: RoleRights): void {
    assertMayChangeRoles(user, { ...user, app_metadata: { ...user.app_metadata, roles: next } }, rights, dashboard);
    assertMergedFits('app_metadata', { roles: next }, user.app_metadata);
  }

  /** Every check of giving `ids` to `user`; whether anything is left to write (already held: nothing, and updated_at stays). */
  function checkAssign(user: UserDoc, ids: string[], rights: RoleRights): boolean {
    const held = storedRoles(user);
    const next = [...new Set([...held, ...ids])];
    assertMayWrite(user, next, rights);
    return next.length !== held.length;
  }

  /** Every check of taking `ids` from `user`; whether anything is left to write (none held: nothing). */
  function checkRemove(user: UserDoc, ids: string[], rights: RoleRights): boolean {
    const fixed = roles.fromConfig(user).filter((role) => ids.includes(role));
    if (fixed.length) {
      throw new BadRequestError(`The role ${fixed.join(', ')} comes from config dashboard.admins, which names this user's verified address: `
        + 'remove the address there to take it away. Nothing was written.', 'operation_not_supported');
    }
    const held = storedRoles(user);
    const next = held.filter((role) => !ids.includes(role as string));
    assertMayWrite(user, next, rights);
    return next.length !== held.length;
  }

  /** The checks of `checkAssign` again on the user as a retried write reads it: a concurrent PATCH may have filled the metadata. */
  async function add(user: UserDoc, ids: string[], rights: RoleRights): Promise<void> {
    if (!await users.changeRoles(user.user_id, { add: ids }, user, (stored) => checkAssign(stored, ids, rights))) throw new UserNotFoundError();
  }

  return {
    async assign(userId: string, ids: string[], rights: RoleRights): Promise<void> {
      roles.assertKnown(ids);
      const user = await admin.getUser(userId);
      if (checkAssign(user, ids, rights)) await add(user, ids, rights);
    },

    /**
     * Auth0's POST /roles/{id}/users: the role to each user, with the checks of `assign`. Every user
     * is read and checked before the first write, so an unknown user or a refusal writes nothing.
     */
    async assignToUsers(roleId: string, userIds: string[], rights: RoleRights): Promise<void> {
      const role = roles.get(roleId).id;
      const found: UserDoc[] = [];
      for (const userId of new Set(userIds)) {
        const user = await users.findByUserId(userId);
        if (!user) throw new AppError('inexistent_user', 404, `The user does not exist: ${userId.slice(0, 300)}. Nothing was written.`);
        found.push(user);
      }
      const due = found.filter((user) => checkAssign(user, [role], rights));
      for (const user of due) await add(user, [role], rights);
    },

    /** A role that config gives the user (admin, by a verified address in dashboard.admins) cannot be taken here: a 400 names it. */
    async remove(userId: string, ids: string[], rights: RoleRights): Promise<void> {
      roles.assertKnown(ids);
      const user = await admin.getUser(userId);
      if (!checkRemove(user, ids, rights)) return;
      // Again on a retry: a concurrent PATCH may have verified the address that makes the user admin.
      if (!await users.changeRoles(userId, { remove: ids }, user, (stored) => checkRemove(stored, ids, rights))) throw new UserNotFoundError();
    },
  };
}
