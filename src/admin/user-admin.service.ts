import { BadRequestError, ConflictError, NotFoundError } from '../errors/app-error.ts';
import type { LogService } from '../logs/log.service.ts';
import type { EndSessions } from '../oidc/revoke-account.ts';
import type { AccountMails } from '../users/account-mails.ts';
import type { AttackProtection } from '../users/attack-protection.ts';
import { newPasswordUser, PASSWORD_CONNECTION } from '../users/password-user.ts';
import type { PasswordHasher } from '../users/password-hasher.ts';
import { checkPasswordPolicy, type PasswordPolicy } from '../users/password-policy.ts';
import type { Identity, UserDoc } from '../users/user.model.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { isDuplicateKeyError } from '../db/duplicate-keys.ts';
import type { Config } from '../config/schema.ts';
import { assertPatchFits, mergedMetadata, metadataUpdate, type MetadataPatch } from './metadata-merge.ts';
import { assertMayChangeRoles, assertMayChangeSignIn, type RoleRights } from './role-members.ts';
import { sameIdentity } from '../users/main-identity.ts';
import type { RoleHolder } from '../users/roles.ts';
import { enrichmentOfAddress } from '../hooks/builtin/user-metadata.ts';

export class UserNotFoundError extends NotFoundError {
  constructor() { super('The user does not exist.'); }
  override readonly code = 'inexistent_user';
}

type Names = Partial<Pick<UserDoc, 'name' | 'nickname' | 'given_name' | 'family_name' | 'picture'>>;

export interface NewUserInput extends Names {
  email: string; password: string; connection: string; user_id?: string;
  email_verified?: boolean; verify_email?: boolean; blocked?: boolean;
  user_metadata?: Record<string, unknown>; app_metadata?: Record<string, unknown>;
}

export interface UserPatch extends Names {
  email?: string; email_verified?: boolean; verify_email?: boolean; password?: string; blocked?: boolean;
  user_metadata?: MetadataPatch; app_metadata?: MetadataPatch;
}

export type UserAdminService = ReturnType<typeof createUserAdminService>;

/**
 * What an admin does to users, in one place for both faces: the Management API and the CLI.
 * Each operation is one atomic write of the user (plus the sessions it must end).
 */
export function createUserAdminService(deps: {
  users: UserRepository; hasher: PasswordHasher; policy: PasswordPolicy;
  protection: AttackProtection; mails: AccountMails; logs: LogService;
  /** Ends the user's sessions and tokens, telling their clients (back-channel logout). */
  endSessions: EndSessions;
  /** Which roles a profile gives (dashboard.admins, dashboard.roles): a write that changes them needs `RoleRights`. */
  dashboard: Config['dashboard'];
}) {
  const { users, hasher, policy, protection, mails, logs, endSessions, dashboard } = deps;

  async function getUser(userId: string): Promise<UserDoc> {
    const user = await users.findByUserId(userId);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** `rights`: whether the caller may give roles (the new user's app_metadata.roles, or a verified address in dashboard.admins). */
  async function createUser(input: NewUserInput, rights: RoleRights): Promise<UserDoc> {
    if (input.connection !== PASSWORD_CONNECTION) throw new BadRequestError(`The connection does not exist: ${input.connection}. Users can be created in ${PASSWORD_CONNECTION}.`, 'inexistent_connection');
    const { email, email_verified, user_metadata, app_metadata } = input;
    assertMayChangeRoles(undefined, { email, email_verified: email_verified ?? false, app_metadata: app_metadata ?? {} }, rights, dashboard);
    checkPasswordPolicy(input.password, policy);
    const user = newPasswordUser({
      email, password_hash: await hasher.hash(input.password), now: new Date(), id: input.user_id, email_verified: email_verified ?? false,
      names: input, metadata: { user_metadata: user_metadata ?? {}, app_metadata: app_metadata ?? {} },
    });
    try {
      const created = await users.insert({ ...user, blocked: input.blocked ?? false });
      if (input.verify_email ?? !email_verified) await mails.verification({ user_id: created.user_id, email }, { newUser: true });
      return created;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new ConflictError('The user already exists.', 'auth0_idp_error');
      throw err;
    }
  }

  /** `rights`: whether the caller may give and take roles, which app_metadata, email and email_verified decide. */
  async function updateUser(userId: string, patch: UserPatch, rights: RoleRights): Promise<UserDoc> {
    const current = await getUser(userId);
    const set: Record<string, unknown> = { updated_at: new Date() };
    const unset: Record<string, ''> = {};
    for (const field of ['name', 'nickname', 'given_name', 'family_name', 'picture', 'email_verified', 'blocked'] as const) {
      if (patch[field] !== undefined) set[field] = patch[field];
    }
    if (patch.email !== undefined && patch.email !== current.email) {
      set.email = patch.email;
      set.email_verified = patch.email_verified ?? false; // a new address is unproven until said otherwise
    }
    const signIn = { password: patch.password !== undefined, email: set.email !== undefined };
    assertRoleRights(current, {
      email: (set.email as string | undefined) ?? current.email,
      email_verified: (set.email_verified as boolean | undefined) ?? current.email_verified,
      app_metadata: patch.app_metadata === undefined ? current.app_metadata : mergedMetadata(current.app_metadata, patch.app_metadata),
    }, signIn, rights);
    if (patch.password !== undefined) {
      if (!current.identities.some((i) => i.connection === PASSWORD_CONNECTION)) throw new BadRequestError('This user has no password: it signs in with a social connection.', 'operation_not_supported');
      checkPasswordPolicy(patch.password, policy);
      set.password_hash = await hasher.hash(patch.password);
    }
    for (const field of ['user_metadata', 'app_metadata'] as const) {
      if (patch[field] !== undefined) metadataUpdate(field, patch[field], current[field], set, unset);
    }
    if (set.email !== undefined) forgetEnrichment(current, set, unset);
    let updated: UserDoc | null;
    try {
      // The cap and the role scopes hold for what is stored: a retry over a concurrent write checks them again.
      updated = await users.update(userId, set, unset, current, (stored, after) => {
        assertPatchFits(patch, stored);
        assertRoleRights(stored, after, signIn, rights);
      });
    } catch (err) {
      // Auth0 answers a taken email here with a 400 and this message (a 409 only for POST /users):
      // scripts written against it test for exactly that.
      if (isDuplicateKeyError(err)) throw new BadRequestError('The specified new email already exists', 'auth0_idp_error');
      throw err;
    }
    if (!updated) throw new UserNotFoundError();
    // A new password (or a block) ends every session and token: the old ones were the reason to change it.
    if (patch.password !== undefined || patch.blocked === true) await endSessions(userId);
    if (set.email && patch.verify_email) await mails.verification({ user_id: userId, email: set.email as string });
    return updated;
  }

  /** Who may change what `before` → `after` changes: roles given or taken, a new password or email for a user with roles. */
  function assertRoleRights(before: UserDoc, after: RoleHolder, signIn: { password: boolean; email: boolean }, rights: RoleRights): void {
    assertMayChangeRoles(before, after, rights, dashboard);
    assertMayChangeSignIn(before, signIn, rights, dashboard);
  }

  /**
   * A new address: what FullContact said about the old one is not this address's (whoever now holds
   * the profile may not be that person), so it goes in the same write, unless the patch writes that
   * metadata itself. The new address is enriched once it is verified (hooks).
   */
  function forgetEnrichment(current: UserDoc, set: Record<string, unknown>, unset: Record<string, ''>): void {
    const written = (path: string) => path in set || path in unset || path.split('.')[0]! in set;
    for (const path of enrichmentOfAddress(current)) if (!written(path)) unset[path] = '';
  }

  /**
   * Removes the user and ends its sessions and tokens; true when there was a user. Revoking runs
   * either way, so a retry after a delete cut short between the two still finishes the job.
   */
  async function deleteUser(userId: string): Promise<boolean> {
    const removed = await users.remove(userId);
    await endSessions(userId);
    return removed;
  }

  async function userByIdentifier(identifier: string): Promise<UserDoc> {
    const user = await users.findByEmail(identifier.trim().toLowerCase());
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** Lifts every brute-force block of the user (Auth0: DELETE /user-blocks). */
  async function unblock(userId: string): Promise<number> {
    const user = await getUser(userId);
    for (const block of user.blocked_for) if (block.ip) await protection.unblock(user.user_id, block.ip);
    await users.clearBlockedFor(user.user_id);
    return user.blocked_for.length;
  }

  /** Separates a linked identity; the primary one, which the user_id names, stays. */
  async function unlink(userId: string, provider: string, identityUserId: string, by: string): Promise<Identity[]> {
    const user = await getUser(userId);
    const index = user.identities.findIndex((i) => i.provider === provider && i.user_id === identityUserId);
    if (index === 0) throw new BadRequestError('Main identity cannot be removed', 'operation_not_supported');
    if (index < 0) throw new NotFoundError(`${userId} has no ${provider} identity ${identityUserId}.`);
    await users.unlinkIdentity(userId, provider, identityUserId, new Date());
    const identity = user.identities[index];
    await logs.record({ type: 'unlink', user_id: userId, user_name: user.email, connection: identity.connection, strategy: identity.provider, strategy_type: 'social', details: { unlinked: `${provider}|${identityUserId}`, by } });
    return (await getUser(userId)).identities;
  }

  /**
   * Auth0's "send an email address verification email": a fresh single-use link to the user's
   * address. `identity`, as at Auth0, names which of the user's identities the address is from; it
   * must be one of them. An address that is already verified gets no mail (a 400 says so): the
   * link could only repeat what is known, and a button must not become a way to mail anyone at will.
   */
  async function sendVerificationEmail(userId: string, identity?: { provider: string; user_id: string }): Promise<void> {
    const user = await getUser(userId);
    if (identity && !user.identities.some(sameIdentity(identity))) {
      throw new BadRequestError(`The user has no ${identity.provider} identity ${identity.user_id}.`, 'invalid_body');
    }
    if (!user.email) throw new BadRequestError('The user has no email address.', 'invalid_body');
    if (user.email_verified) throw new BadRequestError('The email address is already verified.', 'invalid_body');
    await mails.verification({ user_id: user.user_id, email: user.email });
  }

  return {
    getUser, createUser, updateUser, deleteUser, unblock, unlink, userByIdentifier, sendVerificationEmail,
    usersByEmail: async (email: string) => {
      const user = await users.findByEmail(email.trim().toLowerCase());
      return user ? [user] : [];
    },
  };
}
