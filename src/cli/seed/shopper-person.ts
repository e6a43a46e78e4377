import { COUNTRIES, COUNTRY_WEIGHTS, type Country } from './shopper-places.ts';
import { EMAIL_DOMAINS, NAMES } from './shopper-names.ts';
import type { SeededRandom } from './seeded-random.ts';

/**
 * The person behind a demo profile: what is true about them. The profile then shows only what
 * each source would know (a password sign-up tells us an email; Facebook, when granted, gender,
 * birthday, city and likes; FullContact, when it knows the address, age range, gender, city,
 * interests), so the facts are as partial as a real store's.
 */
export interface Person {
  gender: 'male' | 'female' | 'non-binary';
  birth: Date;
  country: Country;
  city: string;
  region: string;
  given_name: string;
  family_name: string;
  /** Unique: the run's running number is part of it. */
  email: string;
  /** Into running, the gym, yoga…: what the pre-order campaign looks for. */
  fitness: boolean;
  /** Their X account, if they have one. */
  x_handle?: string;
}

const DAY_MS = 86_400_000;
const YEAR_MS = 365.2425 * DAY_MS;

// A running-shoe store's audience: mostly 25–44, few teenagers or over-65s.
const AGE_BRACKETS: readonly (readonly [readonly [number, number], number])[] = [[[18, 24], 15], [[25, 34], 30], [[35, 44], 25], [[45, 54], 16], [[55, 64], 10], [[65, 75], 4]];

const GENDERS = [['male', 51], ['female', 47], ['non-binary', 2]] as const;
const CITY_WEIGHTS = new Map(COUNTRIES.map((country) => [country, country.cities.map(([city, region, weight]) => [[city, region], weight] as const)]));
type Pattern = (given: string, family: string) => string;
const EMAIL_PATTERNS: readonly (readonly [Pattern, number])[] = [
  [(g, f) => `${g}.${f}`, 45], [(g, f) => `${g}${f}`, 20], [(g, f) => `${g}_${f}`, 10], [(g, f) => `${g[0]}${f}`, 15], [(g, f) => `${f}.${g}`, 10],
];
const HANDLE_PATTERNS: readonly (readonly [Pattern, number])[] = [
  [(g, f) => `${g}${f}`, 3], [(g, f) => `${g}_${f}`, 2], [(g, f) => `${g}${f[0]}`, 2], [(g, f) => `${g[0]}${f}`, 2], [(g) => `the${g}`, 1],
];

/** ASCII letters only, lower case: "O'Brien" → "obrien", "Müller" → "muller", "de Jong" → "dejong". */
export function asciiLetters(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');
}

/** An address that is unique because it ends with the run's number for this shopper (names hold no digits). */
function emailOf(random: SeededRandom, given: string, family: string, number: number): string {
  const [g, f] = [asciiLetters(given), asciiLetters(family)];
  const local = random.weighted(EMAIL_PATTERNS)(g, f);
  return `${local}${number}@${random.weighted(EMAIL_DOMAINS)}`;
}

/** Handles are 1–15 word characters; people add digits when their name is taken. */
function xHandleOf(random: SeededRandom, given: string, family: string): string {
  const [g, f] = [asciiLetters(given), asciiLetters(family)];
  const base = random.weighted(HANDLE_PATTERNS)(g, f);
  const cased = random.chance(0.3) ? base.charAt(0).toUpperCase() + base.slice(1) : base;
  return `${cased.slice(0, 11)}${random.chance(0.6) ? random.int(1, 9999) : ''}`.slice(0, 15);
}

export function createPerson(random: SeededRandom, number: number, now: Date, { hasX }: { hasX: boolean }): Person {
  const gender = random.weighted(GENDERS);
  const country = random.weighted(COUNTRY_WEIGHTS);
  const [city, region] = random.weighted(CITY_WEIGHTS.get(country)!);
  const names = NAMES[country.names];
  const given_name = random.pick(gender === 'non-binary' ? [...names.male, ...names.female] : names[gender]);
  const family_name = random.pick(names.family);
  const [youngest, oldest] = random.weighted(AGE_BRACKETS);
  const age = random.int(youngest, oldest) + random.float();
  return {
    gender, country, city, region, given_name, family_name,
    birth: new Date(Math.floor((now.getTime() - age * YEAR_MS) / DAY_MS) * DAY_MS), // midnight UTC
    email: emailOf(random, given_name, family_name, number),
    fitness: random.chance(gender === 'male' ? 0.42 : 0.38),
    x_handle: hasX ? xHandleOf(random, given_name, family_name) : undefined,
  };
}
