import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { createAttackProtection } from '../users/attack-protection.ts';
import { createUserModel } from '../users/user.model.ts';
import { createUserRepository } from '../users/user.repository.ts';
import { CliError } from './cli-database.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createLogService } from '../logs/log.service.ts';
import { createEventOutbox } from '../events/event-outbox.ts';
import { createLogger } from '../lib/logger.ts';

/** An admin lifts every brute-force block of a user (Auth0: "unblock" in the dashboard). */
export async function unblockUser(connection: Connection, config: Config, email: string | undefined): Promise<void> {
  if (!email) throw new CliError('Say which user: users unblock --email ADDRESS');
  const users = createUserRepository(createUserModel(connection));
  const user = await users.findByEmail(email.trim().toLowerCase());
  if (!user) throw new CliError(`No user with the email ${email}.`);
  const protection = createAttackProtection(connection, config, { createIndexes: false });
  for (const block of user.blocked_for) if (block.ip) await protection.unblock(user.user_id, block.ip);
  await users.clearBlockedFor(user.user_id);
  console.log(`Unblocked ${user.user_id} (${user.blocked_for.length} blocked address(es) cleared).`);
}

/**
 * An admin separates a linked social identity from a user (Auth0: unlink). The primary identity
 * stays. Note that a later sign-in with that identity links it again when both emails are verified.
 */
export async function unlinkIdentity(connection: Connection, config: Config, email: string | undefined, connectionName: string | undefined): Promise<void> {
  if (!email || !connectionName) throw new CliError('Say which user and which identity: users unlink --email ADDRESS --connection google-oauth2|facebook|twitter');
  const users = createUserRepository(createUserModel(connection));
  const user = await users.findByEmail(email.trim().toLowerCase());
  if (!user) throw new CliError(`No user with the email ${email}.`);
  const identity = user.identities.find((i, index) => index > 0 && i.connection === connectionName);
  if (!identity) throw new CliError(`${user.user_id} has no linked ${connectionName} identity (the primary identity cannot be unlinked).`);
  await users.unlinkIdentity(user.user_id, identity.provider, identity.user_id, new Date());
  const logs = createLogService(createLogModel(connection), createEventOutbox(connection, config.events), createLogger('error'));
  await logs.record({ type: 'unlink', user_id: user.user_id, user_name: user.email, connection: identity.connection, strategy: identity.provider, strategy_type: 'social', details: { unlinked: `${identity.provider}|${identity.user_id}`, by: 'cli' } });
  console.log(`Unlinked ${identity.provider}|${identity.user_id} from ${user.user_id}.`);
}
