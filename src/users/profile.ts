import type { UserDoc } from './user.model.ts';

/** The Auth0 profile as the world sees it: ISO dates, no secrets, no Mongo internals. */
export interface PublicProfile {
  user_id: string;
  email?: string;
  email_verified: boolean;
  name?: string;
  nickname?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  locale?: string;
  screen_name?: string;
  gender?: string;
  birthday?: string;
  location?: string;
  identities: { provider: string; user_id: string; connection: string; isSocial: boolean }[];
  created_at: string;
  updated_at: string;
  last_login?: string;
  last_ip?: string;
  logins_count: number;
  blocked_for: { identifier: string; ip?: string }[];
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
}

export function toPublicProfile(user: UserDoc): PublicProfile {
  return dropUndefined({
    user_id: user.user_id,
    email: user.email ?? undefined,
    email_verified: user.email_verified ?? false,
    name: user.name ?? undefined,
    nickname: user.nickname ?? undefined,
    given_name: user.given_name ?? undefined,
    family_name: user.family_name ?? undefined,
    picture: user.picture ?? undefined,
    locale: user.locale ?? undefined,
    screen_name: user.screen_name ?? undefined,
    gender: user.gender ?? undefined,
    birthday: user.birthday ?? undefined,
    location: user.location ?? undefined,
    identities: user.identities.map(({ provider, user_id, connection, isSocial }) => ({ provider, user_id, connection, isSocial })),
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
    last_login: user.last_login?.toISOString(),
    last_ip: user.last_ip ?? undefined,
    logins_count: user.logins_count ?? 0,
    blocked_for: user.blocked_for.map(({ identifier, ip }) => dropUndefined({ identifier, ip: ip ?? undefined })),
    user_metadata: user.user_metadata ?? {},
    app_metadata: user.app_metadata ?? {},
  });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
