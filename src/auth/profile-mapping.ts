/**
 * Provider profile → Auth0 profile. Pure functions over the providers' raw JSON (Google's OpenID
 * userinfo, Facebook's Graph /me, Twitter's v1.1 verify_credentials), so fixtures of real responses
 * test them. Emails and their verification are taken exactly as the provider asserts them.
 */

import type { UserDoc } from '../users/user.model.ts';

/** Every social connection insole knows, whether its credentials are configured or not. */
export const SOCIAL_CONNECTIONS = ['google-oauth2', 'facebook', 'twitter'] as const;
export type SocialConnection = (typeof SOCIAL_CONNECTIONS)[number];

/** The root profile fields a provider states; a sign-in through the primary identity refreshes them. */
export const PROVIDER_PROFILE_FIELDS = [
  'name', 'given_name', 'family_name', 'nickname', 'picture', 'locale', 'screen_name', 'gender', 'birthday', 'location', 'likes',
] as const;

export type SocialProfile = Partial<Pick<UserDoc, (typeof PROVIDER_PROFILE_FIELDS)[number] | 'email'>> & {
  connection: SocialConnection;
  /** The provider's own id of the account. */
  id: string;
  email_verified: boolean;
  /** The provider's profile as it sent it (it never contains tokens: those arrive separately). */
  profileData: Record<string, unknown>;
};

type Json = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const lowerEmail = (value: unknown): string | undefined => str(value)?.toLowerCase();

export class ProfileMappingError extends Error {}

function requireId(raw: Json, key: string, provider: string): string {
  const id = raw[key];
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id).trim() === '') {
    throw new ProfileMappingError(`${provider} returned a profile without its ${key}`);
  }
  return String(id);
}

export function mapGoogleProfile(raw: Json): SocialProfile {
  const email = lowerEmail(raw.email);
  return {
    connection: 'google-oauth2',
    id: requireId(raw, 'sub', 'Google'),
    email,
    // Google sends a boolean (older endpoints: the string "true").
    email_verified: Boolean(email) && (raw.email_verified === true || raw.email_verified === 'true'),
    name: str(raw.name),
    given_name: str(raw.given_name),
    family_name: str(raw.family_name),
    nickname: email?.split('@')[0] ?? str(raw.given_name),
    picture: str(raw.picture),
    locale: str(raw.locale),
    profileData: raw,
  };
}

export function mapFacebookProfile(raw: Json): SocialProfile {
  const email = lowerEmail(raw.email);
  const picture = (raw.picture as { data?: { url?: unknown } } | undefined)?.data?.url;
  const likes = (raw.likes as { data?: unknown[] } | undefined)?.data;
  return {
    connection: 'facebook',
    id: requireId(raw, 'id', 'Facebook'),
    email,
    // Facebook only returns an email the person has confirmed with Facebook.
    email_verified: Boolean(email),
    name: str(raw.name),
    given_name: str(raw.first_name),
    family_name: str(raw.last_name),
    nickname: str(raw.first_name) ?? email?.split('@')[0],
    picture: str(picture),
    locale: str(raw.locale),
    gender: str(raw.gender),
    birthday: facebookBirthday(raw.birthday),
    location: str((raw.location as { name?: unknown } | undefined)?.name),
    likes: Array.isArray(likes)
      ? likes.filter((l): l is Json => typeof l === 'object' && l !== null && str((l as Json).name) !== undefined)
        .map((l) => ({ id: String(l.id), name: String(l.name), ...(str(l.category) ? { category: String(l.category) } : {}) }))
      : undefined,
    profileData: raw,
  };
}

/** Graph gives MM/DD/YYYY, MM/DD or YYYY depending on what the person shares; we store ISO parts. */
function facebookBirthday(value: unknown): string | undefined {
  const text = str(value);
  if (!text) return undefined;
  const full = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (full) return `${full[3]}-${full[1]}-${full[2]}`;
  const monthDay = /^(\d{2})\/(\d{2})$/.exec(text);
  if (monthDay) return `--${monthDay[1]}-${monthDay[2]}`;
  return /^\d{4}$/.test(text) ? text : undefined;
}

export function mapTwitterProfile(raw: Json): SocialProfile {
  const email = lowerEmail(raw.email);
  const picture = str(raw.profile_image_url_https)?.replace('_normal.', '.');
  return {
    connection: 'twitter',
    id: str(raw.id_str) ?? requireId(raw, 'id', 'Twitter'),
    email,
    // X only returns an address the account has verified (include_email needs that permission).
    email_verified: Boolean(email),
    name: str(raw.name),
    nickname: str(raw.screen_name),
    screen_name: str(raw.screen_name),
    picture,
    location: str(raw.location),
    profileData: raw,
  };
}

export const PROFILE_MAPPERS: Record<SocialConnection, (raw: Json) => SocialProfile> = {
  'google-oauth2': mapGoogleProfile,
  facebook: mapFacebookProfile,
  twitter: mapTwitterProfile,
};
