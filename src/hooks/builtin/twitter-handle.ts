import type { UserDoc } from '../../users/user.model.ts';

// X handles: 1–15 letters, digits or underscores. Anything else is not used (it goes into a search query).
const HANDLE = /^@?(\w{1,15})$/;
const PROFILE_URL = /^https?:\/\/(?:www\.|mobile\.)?(?:twitter|x)\.com\/@?(\w{1,15})\/?(?:[?#].*)?$/i;

export function handleFrom(value: unknown): string | undefined {
  return typeof value === 'string' ? HANDLE.exec(value.trim())?.[1] : undefined;
}

/** `https://twitter.com/hspangus` (or x.com) → `hspangus`. */
export function handleFromProfileUrl(value: unknown): string | undefined {
  return typeof value === 'string' ? PROFILE_URL.exec(value.trim())?.[1] : undefined;
}

/**
 * The shopper's X handle: from their Twitter identity (what X itself said at sign-in), else the
 * root `screen_name` (set from a primary Twitter identity), else what FullContact found.
 */
export function twitterHandleOf(user: UserDoc): string | undefined {
  const identity = user.identities?.find((i) => i.provider === 'twitter');
  const fullcontact = user.user_metadata?.fullcontact_profile as { twitter?: unknown } | undefined;
  return handleFrom(identity?.profileData?.screen_name) ?? handleFrom(user.screen_name) ?? handleFrom(fullcontact?.twitter);
}
