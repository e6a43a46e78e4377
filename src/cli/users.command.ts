import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { createAttackProtection } from '../users/attack-protection.ts';
import { createUserModel } from '../users/user.model.ts';
import { createUserRepository } from '../users/user.repository.ts';
import { CliError } from './cli-database.ts';

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
