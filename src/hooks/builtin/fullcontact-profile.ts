import { handleFrom, handleFromProfileUrl } from './twitter-handle.ts';

/**
 * The fields of a FullContact Person Enrich (v3) answer that reports segment on, normalised, kept
 * next to the full answer (`user_metadata.fullcontact`): the answer's shape varies with the
 * Insight Bundles of the account, so reports should not have to know it.
 */
export interface FullContactProfile {
  /** FullContact's bracket, e.g. "30-39", with its bounds as numbers for range queries. */
  age_range?: string;
  age_min?: number;
  age_max?: number;
  age?: number;
  birth_year?: number;
  /** Lower case, as FullContact words it ("male", "female", …). */
  gender?: string;
  location?: { city?: string; region?: string; country?: string; formatted?: string };
  /** The X handle, without @. */
  twitter?: string;
  social_profiles: { service: string; username?: string; url?: string }[];
  interests: { name: string; affinity?: string; category?: string }[];
  /** Lower-case interest names and categories, plus FullContact's topics: what "interested in fitness" matches. */
  topics: string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

export function normaliseFullContact(person: Json): FullContactProfile {
  const details = obj(person.details);
  const age = obj(details.age);
  const ageRange = str(age.range) ?? str(person.ageRange);
  const bounds = /^(\d+)\s*-\s*(\d+)$/.exec(ageRange ?? '');
  const profiles = Object.entries(obj(details.profiles)).map(([key, value]) => {
    const p = obj(value);
    return dropUndefined({ service: str(p.service) ?? key, username: str(p.username), url: str(p.url) });
  });
  const twitterProfile = profiles.find((p) => p.service.toLowerCase() === 'twitter');
  const interests = list(details.interests).map(obj).filter((i) => str(i.name))
    .map((i) => dropUndefined({ name: str(i.name)!, affinity: str(i.affinity), category: str(i.category) }));
  const topics = [
    ...interests.flatMap((i) => [i.name, i.category]),
    ...list(details.topics).map((t) => str(t) ?? str(obj(t).name)),
  ].filter((t): t is string => Boolean(t)).map((t) => t.toLowerCase());
  const location = obj(list(details.locations)[0]);
  const locationFields = dropUndefined({ city: str(location.city), region: str(location.region), country: str(location.country), formatted: str(location.formatted) ?? str(person.location) });
  return dropUndefined({
    age_range: ageRange,
    age_min: bounds ? Number(bounds[1]) : undefined,
    age_max: bounds ? Number(bounds[2]) : undefined,
    age: int(age.value),
    birth_year: int(obj(age.birthday).year),
    gender: (str(details.gender) ?? str(person.gender))?.toLowerCase(),
    location: Object.keys(locationFields).length ? locationFields : undefined,
    twitter: handleFrom(twitterProfile?.username) ?? handleFromProfileUrl(twitterProfile?.url) ?? handleFromProfileUrl(person.twitter),
    social_profiles: profiles,
    interests,
    topics: [...new Set(topics)],
  });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
