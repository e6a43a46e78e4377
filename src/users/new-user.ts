import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import type { UserDoc } from './user.model.ts';

export const PASSWORD_CONNECTION = 'Username-Password-Authentication';

export interface NewPasswordUser {
  email: string;
  /** Absent for an imported user who came without one: they set a password through a reset. */
  passwordHash: string | undefined;
  now: Date;
  /** Auth0 lets migrations keep their ids (`auth0|<id>`); otherwise a new ObjectId. */
  id?: string;
  emailVerified?: boolean;
  names?: Pick<UserDoc, 'name' | 'nickname' | 'given_name' | 'family_name' | 'picture'>;
  /** A sign-up that signs in at once counts as the first login. */
  firstLogin?: { ip?: string };
  metadata?: Pick<UserDoc, 'user_metadata' | 'app_metadata'>;
}

/** A complete database-connection profile, for one insert (a crash cannot leave half a user). */
export function newPasswordUser({ email, passwordHash, now, id = new Types.ObjectId().toHexString(), emailVerified = false, names = {}, firstLogin, metadata }: NewPasswordUser): UserDoc {
  const logins = firstLogin ? { last_login: now, last_ip: firstLogin.ip, logins_count: 1 } : { logins_count: 0 };
  return {
    user_id: `auth0|${id}`, email, email_verified: emailVerified,
    name: names.name ?? email, nickname: names.nickname ?? email.split('@')[0],
    ...(names.given_name ? { given_name: names.given_name } : {}), ...(names.family_name ? { family_name: names.family_name } : {}),
    picture: names.picture ?? gravatarUrl(email),
    identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
    created_at: now, updated_at: now, ...logins,
    blocked: false, blocked_for: [], user_metadata: metadata?.user_metadata ?? {}, app_metadata: metadata?.app_metadata ?? {},
    ...(passwordHash ? { password_hash: passwordHash } : {}),
  };
}

// As Auth0 does for database users: the Gravatar URL of the email (the browser fetches it, not us).
function gravatarUrl(email: string): string {
  return `https://s.gravatar.com/avatar/${createHash('md5').update(email).digest('hex')}?s=480&r=pg&d=identicon`;
}
