import { mapFacebookProfile, type SocialProfile } from '../../auth/profile-mapping.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { str } from './json-values.ts';

/** What Facebook says about the shopper: gender, birthday, current city, liked pages. */
export interface FacebookFacts {
  gender?: string;
  /** As stored: `YYYY-MM-DD`, `--MM-DD` or `YYYY` (or Graph's MM/DD/YYYY in older profiles). */
  birthday?: string;
  /** Graph's location name, e.g. "Milan, Italy". */
  location?: string;
  likes: { name: string; category?: string }[];
}

/**
 * The root fields first: they are what the primary identity's provider said at its last sign-in
 * (or what an import brought). A Facebook identity linked to another account never
 * reaches the root (Auth0 refreshes root fields from the primary identity only), so its
 * profileData fills the gaps. The root `location` of an X user is X's free text ("somewhere
 * on earth 🌍"), not a place: left out.
 */
export function readFacebook(user: UserDoc): FacebookFacts {
  const linked = linkedFacebookProfile(user);
  const rootLocation = user.identities?.[0]?.provider === 'twitter' ? undefined : str(user.location);
  const rootLikes = Array.isArray(user.likes) ? user.likes : undefined;
  return {
    gender: str(user.gender) ?? linked?.gender,
    birthday: str(user.birthday) ?? linked?.birthday,
    location: rootLocation ?? linked?.location,
    likes: (rootLikes ?? linked?.likes ?? []).filter((like) => str(like?.name)),
  };
}

function linkedFacebookProfile(user: UserDoc): SocialProfile | undefined {
  const raw = user.identities?.find((i) => i.provider === 'facebook')?.profileData;
  if (!raw) return undefined;
  try {
    return mapFacebookProfile(raw);
  } catch {
    return undefined; // profileData without an id: nothing trustworthy in it
  }
}
