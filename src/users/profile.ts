import { z } from 'zod';
import type { UserDoc } from './user.model.ts';
import { withProfileDefaults } from './stored-user.ts';

const isoDate = z.iso.datetime().describe('ISO 8601 date-time, UTC');
const metadata = z.record(z.string(), z.unknown());

/**
 * The Auth0 profile as the world sees it: ISO dates, no secrets, no Mongo internals. The schema is
 * the contract: the Management API parses every profile it sends through it, so a field not declared
 * here (a password hash, sealed provider tokens) cannot leave the server.
 */
export const publicProfileSchema = z.object({
  user_id: z.string(),
  email: z.string().optional(),
  email_verified: z.boolean(),
  name: z.string().optional(),
  nickname: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  picture: z.string().optional(),
  locale: z.string().optional(),
  screen_name: z.string().optional(),
  gender: z.string().optional(),
  birthday: z.string().optional(),
  location: z.string().optional(),
  identities: z.array(z.object({ provider: z.string(), user_id: z.string(), connection: z.string(), isSocial: z.boolean() })),
  created_at: isoDate,
  updated_at: isoDate,
  last_login: isoDate.optional(),
  last_ip: z.string().optional(),
  logins_count: z.number().int(),
  blocked: z.boolean().optional().describe('Present (true) when an admin blocked the user.'),
  blocked_for: z.array(z.object({ identifier: z.string(), ip: z.string().optional() })),
  user_metadata: metadata,
  app_metadata: metadata,
});

export type PublicProfile = z.infer<typeof publicProfileSchema>;

/** Also for users read straight from the collection (reports' samples): a missing optional field reads as empty (stored-user.ts). */
export function toPublicProfile(stored: UserDoc): PublicProfile {
  const user = withProfileDefaults(stored);
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
    logins_count: user.logins_count,
    blocked: user.blocked ? true : undefined,
    blocked_for: user.blocked_for.map(({ identifier, ip }) => dropUndefined({ identifier, ip: ip ?? undefined })),
    user_metadata: user.user_metadata,
    app_metadata: user.app_metadata,
  });
}

// A plain loop: exports call this once per user, and entries/filter/fromEntries make ~30 arrays each time.
function dropUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}
