import { createHash } from 'node:crypto';
import { PASSWORD_CONNECTION } from '../../users/password-user.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { facebookRootFields } from './facebook-profile.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { Person } from './shopper-person.ts';

export type SeedConnection = typeof PASSWORD_CONNECTION | 'google-oauth2' | 'facebook' | 'twitter';

/** How shoppers sign up: half with a password, the rest with Google, Facebook and X. */
export const CONNECTION_MIX = [[PASSWORD_CONNECTION, 50], ['google-oauth2', 25], ['facebook', 15], ['twitter', 10]] as const;

/** The profile as the sign-up made it: id, email, names, the provider's fields and the one identity. */
export type Account = Omit<UserDoc, 'created_at' | 'updated_at' | 'last_login' | 'last_ip' | 'logins_count' | 'blocked' | 'blocked_for' | 'user_metadata' | 'app_metadata'>;

// Gravatar identicons for everyone (as insole does for password users): provider picture URLs
// made up here would be broken images on the dashboard.
const pictureOf = (email: string | undefined, id: string) =>
  `https://s.gravatar.com/avatar/${createHash('md5').update(email ?? id).digest('hex')}?s=480&r=pg&d=identicon`;

const LOCALES = { en: 'en', de: 'de', it: 'it', fr: 'fr', es: 'es', nl: 'nl' } as const;

/** An ObjectId's shape, as Auth0's database ids: 4 bytes of creation time, then 8 random ones. */
function objectIdAt(random: SeededRandom, createdAt: Date): string {
  return Math.floor(createdAt.getTime() / 1000).toString(16).padStart(8, '0') + random.hex(16);
}

function passwordAccount(random: SeededRandom, person: Person, createdAt: Date): Account {
  const id = objectIdAt(random, createdAt);
  // Auth0's database users: name is the email, nickname its local part; most confirm the address.
  return {
    user_id: `auth0|${id}`, email: person.email, email_verified: random.chance(0.72),
    name: person.email, nickname: person.email.split('@')[0], picture: pictureOf(person.email, id),
    identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
  };
}

function googleAccount(random: SeededRandom, person: Person): Account {
  const sub = random.digits(21);
  const name = `${person.given_name} ${person.family_name}`;
  const locale = LOCALES[person.country.names];
  const profileData = { sub, name, given_name: person.given_name, family_name: person.family_name, email: person.email, email_verified: true, locale };
  return {
    user_id: `google-oauth2|${sub}`, email: person.email, email_verified: true, name, given_name: person.given_name, family_name: person.family_name,
    nickname: person.email.split('@')[0], picture: pictureOf(person.email, sub), locale,
    identities: [{ provider: 'google-oauth2', user_id: sub, connection: 'google-oauth2', isSocial: true, profileData }],
  };
}

/**
 * Facebook shares an address for most accounts (phone-only ones have none: the shopper typed one
 * on the ask-email page, whose mailed link made the user, verified), and gender, birthday, city and
 * likes as far as granted.
 */
function facebookAccount(random: SeededRandom, person: Person): Account {
  const id = random.digits(random.chance(0.5) ? 16 : 17);
  const providerEmail = random.chance(0.92);
  const { root, graph } = facebookRootFields(random, person);
  const name = `${person.given_name} ${person.family_name}`;
  const profileData = { id, name, first_name: person.given_name, last_name: person.family_name, ...(providerEmail ? { email: person.email } : {}), ...graph };
  return {
    user_id: `facebook|${id}`, email: person.email, email_verified: true, name, given_name: person.given_name, family_name: person.family_name,
    nickname: person.given_name, picture: pictureOf(person.email, id), ...root,
    identities: [{ provider: 'facebook', user_id: id, connection: 'facebook', isSocial: true, profileData }],
  };
}

const X_LOCATIONS = [
  [(p: Person) => p.city, 6], [(p: Person) => `${p.city}, ${p.country.name}`, 2], [() => 'Somewhere on earth 🌍', 1], [() => '☕ + 🏃', 1],
] as const;
const X_EMAIL_SOURCES = [['provider', 45], ['typed', 45], ['none', 10]] as const;

/** X's free-text location: a city, a city and country, or anything at all. */
function xLocation(random: SeededRandom, person: Person): string {
  return random.weighted(X_LOCATIONS)(person);
}

/**
 * X shares the address only when the account has one verified and the app may ask; otherwise the
 * ask-email page took one, verified by the link it mailed (the user is made by that link). A few
 * have none: accounts migrated from Auth0, which did not ask for one (insole keeps the Auth0 ids
 * and profiles of migrated users).
 */
function twitterAccount(random: SeededRandom, person: Person): Account {
  const id = `1${random.digits(18)}`;
  const source = random.weighted(X_EMAIL_SOURCES);
  const email = source === 'none' ? undefined : person.email;
  const handle = person.x_handle!;
  const location = xLocation(random, person);
  const name = `${person.given_name} ${person.family_name}`;
  const profileData = { id_str: id, name, screen_name: handle, location, followers_count: Math.floor(random.exponential(300)), ...(source === 'provider' ? { email } : {}) };
  return {
    user_id: `twitter|${id}`, ...(email ? { email } : {}), email_verified: email !== undefined, name, nickname: handle, screen_name: handle,
    picture: pictureOf(email, id), location,
    identities: [{ provider: 'twitter', user_id: id, connection: 'twitter', isSocial: true, profileData }],
  };
}

export function accountOf(random: SeededRandom, person: Person, connection: SeedConnection, createdAt: Date): Account {
  if (connection === 'google-oauth2') return googleAccount(random, person);
  if (connection === 'facebook') return facebookAccount(random, person);
  if (connection === 'twitter') return twitterAccount(random, person);
  return passwordAccount(random, person, createdAt);
}
