import { readFileSync } from 'node:fs';
import { mapFacebookProfile, PROVIDER_PROFILE_FIELDS, type SocialProfile } from '../../src/auth/profile-mapping.ts';
import { normaliseFullContact } from '../../src/hooks/builtin/fullcontact-profile.ts';
import { DEFAULT_INTEREST_VOCABULARY } from '../../src/insight/facts/default-vocabulary.ts';
import type { StoredFacts } from '../../src/insight/facts/user-facts.ts';
import { deriveFacts } from '../../src/insight/facts/user-facts.ts';
import type { Identity, UserDoc } from '../../src/users/user.model.ts';
import { fullContactPerson } from '../fakes/fake-fullcontact.ts';
import { day, storedProfile } from './insight-profiles.ts';

/**
 * Shoppers for segment tests, as stored in `users`: realistic ones whose facts deriveFacts computed
 * from their profiles (Facebook sign-up, FullContact hook, an Auth0 rule's raw answer, v2
 * demographics, nothing at all), and precise ones with facts set by hand around the edges (a
 * birthday today, a window's first instant, a city with regex metacharacters). Plus plain
 * JavaScript readings of those documents that know nothing of the segment compiler.
 */
export const NOW = new Date('2025-06-15T12:00:00Z');
export const vocabulary = DEFAULT_INTEREST_VOCABULARY;
const DAY_MS = 86_400_000;
export const daysBefore = (days: number, at = NOW) => new Date(at.getTime() - days * DAY_MS);

const PASSWORD: Identity = { provider: 'auth0', user_id: 'x', connection: 'Username-Password-Authentication', isSocial: false };
const social = (connection: string, user_id: string): Identity => ({ provider: connection, user_id, connection, isSocial: connection !== 'Username-Password-Authentication' });

/** A profile with hand-set facts: the lists facts always have, filled from the profile unless given. */
/** `last_login: undefined` means absent: the driver would store an undefined as null (p13 has a real null). */
function absentUndefined(overrides: Parameters<typeof storedProfile>[0]): UserDoc {
  const user = storedProfile(overrides);
  for (const key of Object.keys(user) as (keyof UserDoc)[]) if (user[key] === undefined) delete user[key];
  return user;
}

function precise(id: string, profile: Partial<UserDoc>, facts?: Partial<StoredFacts>): UserDoc {
  const user = absentUndefined({ user_id: `auth0|${id}`, email: `${id}@innovashoes.example`, identities: [{ ...PASSWORD, user_id: id }], ...profile });
  if (!facts) return user;
  return { ...user, facts: { interests: [], interest_keys: [], connections: [...new Set(user.identities.map((i) => i.connection))], email_verified: user.email_verified, computed_at: NOW, ...facts } };
}
const exact = (birth: string) => ({ born_from: day(birth), born_to: new Date(day(birth).getTime() + DAY_MS) });
const between = (from: string, to: string) => ({ born_from: day(from), born_to: day(to) });
const fit = { interest_keys: ['fitness'], interests: ['gym'] };

export function preciseShoppers(): UserDoc[] {
  return [
    precise('p01', { last_login: daysBefore(1), logins_count: 12, app_metadata: { plan: 'gold' } }, { gender: 'male', ...exact('2005-06-15'), ...fit, country: 'DE', city: 'Berlin', lifecycle: { state: 'active', since: daysBefore(1) } }),
    precise('p02', { last_login: daysBefore(120), logins_count: 5 }, { gender: 'male', ...exact('1984-06-15'), ...fit, country: 'DE', city: 'Berlin', lifecycle: { state: 'dormant', since: daysBefore(30) } }),
    precise('p03', { identities: [social('google-oauth2', '303')], last_login: daysBefore(30), logins_count: 30 }, { gender: 'male', ...exact('1984-06-16'), ...fit, country: 'IT', city: 'Milan', lifecycle: { state: 'active', since: daysBefore(30) } }),
    precise('p04', { created_at: daysBefore(3), updated_at: daysBefore(3), last_login: daysBefore(3), logins_count: 1 }, { gender: 'male', ...exact('2005-06-16'), ...fit, country: 'IT', lifecycle: { state: 'new', since: daysBefore(3) } }),
    precise('p05', { identities: [{ ...PASSWORD, user_id: 'p05' }, social('twitter', '505')], logins_count: 8 }, { gender: 'male', ...between('1985-06-16', '1995-06-16'), interest_keys: ['fitness', 'running'], interests: ['running'], country: 'US', city: 'Boulder', sentiment_label: 'negative', sentiment_score: -2.5 }),
    precise('p06', {}, { gender: 'male', ...between('1980-06-16', '1990-06-16'), ...fit, country: 'US' }),
    precise('p07', {}, { gender: 'male', ...fit, country: 'GB', city: 'London' }),
    precise('p08', { logins_count: 3 }, { gender: 'female', ...exact('1995-03-10'), interest_keys: ['fitness'], interests: ['yoga', 'pilates'], country: 'FR', city: 'Paris', sentiment_label: 'positive', sentiment_score: 2.1 }),
    precise('p09', {}, { gender: 'male', ...exact('1995-01-01'), country: 'ES', city: 'Madrid' }),
    precise('p10', {}, { gender: 'male', ...exact('1990-09-09'), interests: ['marathon training'], country: 'BR', city: 'São Paulo' }),
    precise('p11', {}, { ...exact('2000-01-01'), ...fit, city: 'a.*b' }),
    precise('p12', { email_verified: false }, { gender: 'female', city: 'axxb', country: 'Narnia' }),
    precise('p13', { created_at: daysBefore(40), updated_at: daysBefore(40), last_login: null as unknown as undefined, logins_count: 0 }, { gender: 'non-binary', lifecycle: { state: 'never_returned', since: daysBefore(26) } }),
    precise('p14', { created_at: daysBefore(14), updated_at: daysBefore(14), last_login: undefined, logins_count: 0 }),
    precise('p15', { identities: [social('facebook', '1515')], email_verified: false, created_at: new Date(daysBefore(14).getTime() - 1), last_login: new Date(daysBefore(30).getTime() - 1), logins_count: 2 }, { gender: 'female', ...exact('1999-12-31') }),
    precise('p16', { logins_count: 4 }, { gender: 'male', ...exact('2004-02-29'), ...fit, country: 'DE' }),
    precise('p17', { user_metadata: { shoe_size: 42, 'schuhgröße': 'EU 42', 'fit note': 'wide' }, app_metadata: { plan: 'silver' } }, { gender: 'female', ...exact('1970-07-01'), sentiment_label: 'neutral', sentiment_score: 0 }),
    precise('p18', { user_metadata: { shoe_size: '42' }, app_metadata: { plan: 'gold' }, logins_count: 40 }, { gender: 'male', ...exact('1960-11-11'), sentiment_label: 'negative', sentiment_score: -4, lifecycle: { state: 'lapsing', since: daysBefore(5) } }),
    precise('p19', { created_at: new Date('2025-01-01T00:00:00Z'), updated_at: new Date('2025-01-01T00:00:00Z') }, { gender: 'female', ...exact('1988-04-04'), country: 'DE' }),
    precise('p20', { created_at: new Date('2025-01-31T23:59:59.999Z'), updated_at: new Date('2025-01-31T23:59:59.999Z') }, { gender: 'male', country: 'DE' }),
    precise('p21', { created_at: new Date('2025-02-01T00:00:00Z'), updated_at: new Date('2025-02-01T00:00:00Z') }, { gender: 'male', ...exact('1992-02-02'), ...fit }),
  ];
}

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const rootFieldsOf = (profile: SocialProfile): Partial<UserDoc> =>
  Object.fromEntries(PROVIDER_PROFILE_FIELDS.map((f) => [f, profile[f]]).filter(([, v]) => v !== undefined));
/** What the FullContact hook stores on a match. */
const enrichedByHook = (person: Record<string, unknown>, checkedAt: Date) => ({
  user_metadata: { fullcontact: person, fullcontact_profile: normaliseFullContact(person) },
  app_metadata: { fullcontact: { status: 'matched', checked_at: checkedAt } },
});

function derived(overrides: Parameters<typeof storedProfile>[0]): UserDoc {
  const profile = absentUndefined(overrides);
  const facts = deriveFacts(profile, { vocabulary, now: NOW, enrichmentEnabled: true, sentimentThresholds: { negative_below: -1, positive_above: 1 } });
  return { ...profile, facts };
}

export function realisticShoppers(): UserDoc[] {
  const marco = mapFacebookProfile(fixture('facebook-me'));
  const checkedAt = new Date('2025-02-03T10:00:00Z');
  const sam = enrichedByHook(fullContactPerson({ email: 'sam@example.com', twitter: 'SamTrails', ageRange: '30-39' }), checkedAt);
  const ana = { ...fullContactPerson({ email: 'ana@example.com', gender: 'Female', ageRange: '20-29', twitter: 'ana_runs', city: 'Austin' }), updated: '2025-01-15' };
  const v2 = {
    demographics: { gender: 'Female', age: '27', locationDeduced: { city: { name: 'Boulder' }, country: { name: 'United States', code: 'US' } } },
    digitalFootprint: { topics: [{ value: 'Yoga', provider: 'klout' }, { value: 'Coffee', provider: 'klout' }] },
  };
  return [
    derived({
      user_id: `facebook|${marco.id}`, email: marco.email, ...rootFieldsOf(marco), created_at: daysBefore(200), updated_at: daysBefore(2), last_login: daysBefore(2), logins_count: 9,
      identities: [{ provider: 'facebook', user_id: marco.id, connection: 'facebook', isSocial: true, profileData: marco.profileData }],
    }),
    derived({
      user_id: 'auth0|r02', email: 'sam@example.com', identities: [{ ...PASSWORD, user_id: 'r02' }, social('twitter', '2202')], logins_count: 6, last_login: daysBefore(45),
      user_metadata: sam.user_metadata,
      app_metadata: { ...sam.app_metadata, sentiment: { score: -2.5, label: 'negative', tweets_analyzed: 4, analyzed_at: checkedAt } },
    }),
    derived({
      user_id: 'auth0|r03', email: 'ana@example.com', updated_at: NOW, user_metadata: { fullcontact: ana }, app_metadata: { sentiment: { score: -3, tweets_analyzed: 2 } },
    }),
    derived({ user_id: 'auth0|r04', email: 'v2@example.com', updated_at: day('2025-05-01'), app_metadata: { fullContactInfo: v2 } }),
    derived({ user_id: 'auth0|r05', email: 'plain@example.com', last_login: undefined, logins_count: 0 }),
  ];
}

// ---- Plain readings of a stored user, independent of the compiler ----

/** Full years from a birth date to the UTC calendar day of `at`. */
export function yearsOld(birth: Date, at: Date): number {
  const before = at.getUTCMonth() < birth.getUTCMonth() || (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate());
  return at.getUTCFullYear() - birth.getUTCFullYear() - (before ? 1 : 0);
}

/** The youngest and oldest a user can be at `at`: born on the last or the first of their possible days. */
export function possibleAges(user: UserDoc, at: Date): { youngest: number; oldest: number } | undefined {
  const { born_from, born_to } = user.facts ?? {};
  if (!born_from || !born_to) return undefined;
  return { youngest: yearsOld(new Date(born_to.getTime() - DAY_MS), at), oldest: yearsOld(born_from, at) };
}

/** Every age the user can be lies in [min, max]. */
export function agedWithin(user: UserDoc, min: number, max: number, at: Date): boolean {
  const ages = possibleAges(user, at);
  return Boolean(ages) && ages!.youngest >= min && ages!.oldest <= max;
}

export const connectionsOf = (user: UserDoc) => user.identities.map((i) => i.connection);
export const signedInSince = (user: UserDoc, since: Date) => user.last_login instanceof Date && user.last_login.getTime() >= since.getTime();
