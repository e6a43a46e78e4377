import type { Connection } from 'mongoose';
import { ALL_ROLE_RIGHTS } from '../admin/role-members.ts';
import { UserNotFoundError, type UserAdminService } from '../admin/user-admin.service.ts';
import type { Config } from '../config/schema.ts';
import type { UserDoc } from '../users/user.model.ts';
import { createCliUserAdmin } from './cli-admin.ts';
import { CliError } from './cli-database.ts';

/** The admin service for one command, closed after it. */
async function withAdmin<T>(connection: Connection, config: Config, work: (admin: UserAdminService) => Promise<T>): Promise<T> {
  const { admin, close } = createCliUserAdmin(connection, config);
  try {
    return await work(admin);
  } finally {
    await close();
  }
}

async function userWithEmail(admin: UserAdminService, email: string): Promise<UserDoc> {
  try {
    return await admin.userByIdentifier(email);
  } catch (err) {
    if (err instanceof UserNotFoundError) throw new CliError(`No user with the email ${email}.`);
    throw err;
  }
}

/** An admin lifts every brute-force block of a user (Auth0: "unblock" in the dashboard; DELETE /api/v2/user-blocks). */
export async function unblockUser(connection: Connection, config: Config, email: string | undefined): Promise<void> {
  if (!email) throw new CliError('Say which user: users unblock --email ADDRESS');
  await withAdmin(connection, config, async (admin) => {
    const user = await userWithEmail(admin, email);
    const cleared = await admin.unblock(user.user_id);
    console.log(`Unblocked ${user.user_id} (${cleared} blocked address(es) cleared).`);
  });
}

/**
 * An admin separates a linked social identity from a user (Auth0: unlink). The primary identity
 * stays. A later sign-in with that identity links it again only after the shopper signs in to the
 * account in the same sign-in.
 */
export async function unlinkIdentity(connection: Connection, config: Config, email: string | undefined, connectionName: string | undefined): Promise<void> {
  if (!email || !connectionName) throw new CliError('Say which user and which identity: users unlink --email ADDRESS --connection google-oauth2|facebook|twitter');
  await withAdmin(connection, config, async (admin) => {
    const user = await userWithEmail(admin, email);
    const identity = user.identities.find((i, index) => index > 0 && i.connection === connectionName);
    if (!identity) throw new CliError(`${user.user_id} has no linked ${connectionName} identity (the primary identity cannot be unlinked).`);
    await admin.unlink(user.user_id, identity.provider, identity.user_id, 'cli');
    console.log(`Unlinked ${identity.provider}|${identity.user_id} from ${user.user_id}.`);
  });
}

/**
 * The user's app_metadata.roles list, kept whole. Any other value (a migrated user's text) is refused,
 * as the Management API's role assignment refuses it (user-roles.service.ts): replacing it would drop
 * what it says without anyone deciding so.
 */
function storedRoles(user: UserDoc, email: string): unknown[] {
  const stored = user.app_metadata?.roles;
  if (stored === undefined || stored === null) return [];
  if (Array.isArray(stored)) return stored;
  throw new CliError(`${user.user_id} (${email}): app_metadata.roles holds a ${typeof stored}, not a list of roles. Nothing was changed. `
    + 'Set it to a list first (PATCH /api/v2/users/{id} with app_metadata.roles), then grant the role.');
}

/** `users grant-admin` (or `--role marketing`): adds a role to app_metadata.roles, which the dashboard reads. */
export async function grantRole(connection: Connection, config: Config, email: string | undefined, role = 'admin'): Promise<void> {
  if (!email) throw new CliError('Say which user: users grant-admin --email ADDRESS [--role ROLE]');
  if (!config.dashboard.roles[role]) throw new CliError(`No role "${role}" is configured (dashboard.roles has: ${Object.keys(config.dashboard.roles).join(', ')}).`);
  await withAdmin(connection, config, async (admin) => {
    const user = await userWithEmail(admin, email);
    const roles = storedRoles(user, email);
    if (roles.includes(role)) return console.log(`${user.user_id} already has the role ${role}.`);
    await admin.updateUser(user.user_id, { app_metadata: { roles: [...roles, role] } }, ALL_ROLE_RIGHTS); // the operator, at the database
    console.log(`${user.user_id} (${email}) now has the role ${role}: it can sign in to the dashboard at ${config.issuer}/admin with the scopes ${config.dashboard.roles[role]!.join(', ')}.`);
  });
}
