import { createHash } from 'node:crypto';
import type { UserDoc } from './user.model.ts';
import { newUserObjectId } from './user.repository.ts';

export const PASSWORD_CONNECTION = 'Username-Password-Authentication';
/** The connection fields of every log event about a database (password) user. */
export const PASSWORD_STRATEGY = { connection: PASSWORD_CONNECTION, strategy: 'auth0', strategy_type: 'database' } as const;

/** What Auth0 shows for a database user before anyone edits the profile: the email, and its local part. */
export function displayNamesOf(email: string): { name: string; nickname: string } {
  return { name: email, nickname: email.split('@')[0] };
}

const NAME_FIELDS = ['name', 'nickname', 'given_name', 'family_name', 'picture'] as const;
type Names = Partial<Pick<UserDoc, (typeof NAME_FIELDS)[number]>>;

/**
 * A complete new password user, for one insert (a crash cannot leave half a user). `login`: the
 * sign-up counts as the first login (Auth0, when the email need not be confirmed first). `id`:
 * Auth0 lets a migration keep its ids (`auth0|<id>`); otherwise a new ObjectId.
 */
export function newPasswordUser(input: {
  /** Absent for an imported user who came without one: they set a password through a reset. */
  email: string; password_hash: string | undefined; email_verified: boolean; now: Date;
  names?: Names; login?: { ip?: string }; id?: string;
  metadata?: Pick<UserDoc, 'user_metadata' | 'app_metadata'>;
}): UserDoc {
  const { email, password_hash, email_verified, now, login, id = newUserObjectId() } = input;
  const names = Object.fromEntries(NAME_FIELDS.map((field) => [field, input.names?.[field]]).filter(([, value]) => value !== undefined));
  return {
    user_id: `auth0|${id}`, email, email_verified, ...displayNamesOf(email), picture: gravatarUrl(email), ...names,
    identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
    created_at: now, updated_at: now,
    ...(login ? { last_login: now, last_ip: login.ip, logins_count: 1 } : { logins_count: 0 }),
    blocked: false, blocked_for: [], user_metadata: input.metadata?.user_metadata ?? {}, app_metadata: input.metadata?.app_metadata ?? {},
    ...(password_hash ? { password_hash } : {}),
  };
}

// As Auth0 does for database users: the Gravatar URL of the email (the browser fetches it, not us).
function gravatarUrl(email: string): string {
  return `https://s.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}?s=480&r=pg&d=identicon`;
}
