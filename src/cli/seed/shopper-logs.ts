import type { LogDoc } from '../../logs/log.model.ts';
import { LOG_TYPES } from '../../logs/log-types.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { SignIn } from './signin-history.ts';

export interface LogSettings {
  /** Only sign-ins from here on are logged: daily charts over the recent past, not tens of millions of events. */
  from: Date;
  client_id: string;
  client_name?: string;
}

/** Auth0's strategy fields, as the sign-in services write them (password-user.ts, social-signin.service.ts). */
function strategyOf(connection: string): Pick<LogDoc, 'connection' | 'strategy' | 'strategy_type'> {
  return connection === 'Username-Password-Authentication'
    ? { connection, strategy: 'auth0', strategy_type: 'database' }
    : { connection, strategy: connection, strategy_type: 'social' };
}

/** Like the log service's ids: 12 hex digits of milliseconds, then randomness, so ids sort by time. */
function logIdAt(random: SeededRandom, at: Date): string {
  return at.getTime().toString(16).padStart(12, '0') + random.hex(20);
}

/**
 * The events the sign-up and sign-in services would have written for the sign-ins since
 * `settings.from`: `ss` for the sign-up (which is also the first login), `s` for each return.
 * The user_name is what those services put there: the email, else the X handle.
 */
export function signInLogs(random: SeededRandom, user: UserDoc, signIns: SignIn[], settings: LogSettings): LogDoc[] {
  const connection = strategyOf(user.identities[0].connection);
  const client = { client_id: settings.client_id, ...(settings.client_name ? { client_name: settings.client_name } : {}) };
  const logs: LogDoc[] = [];
  signIns.forEach(({ at, ip, user_agent }, index) => {
    if (at < settings.from) return;
    const type = index === 0 ? 'ss' : 's';
    logs.push({
      log_id: logIdAt(random, at), date: at, type, description: LOG_TYPES[type], ...client, ip, user_agent,
      user_id: user.user_id, user_name: user.email ?? user.nickname, ...connection, details: {},
    });
  });
  return logs;
}
