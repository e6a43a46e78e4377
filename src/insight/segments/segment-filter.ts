/**
 * Segment filters (segment-filter-schema.ts) compiled to MongoDB filters over the `users`
 * collection. The same filter is run by the database (reports, previews, sweeps) and evaluated in
 * process by mingo on one user document at sign-in (segment-matcher.ts), so it uses only operators
 * both implement the same way: $and $or $nor $in $eq $ne $gte $gt $lte $lt $exists $regex/$options.
 *
 * Safety (as src/search/search-compiler.ts): every key is an operator written here, a path named
 * here (facts.*, profile fields) or a path the `q` compiler checked; every value is a string,
 * number, boolean or Date taken from a validated filter; text inside a `$regex` is escaped. No
 * operator, `$where` or regex a caller writes reaches the database or mingo.
 */
import { ageRangeToBirthDates, MAX_AGE } from '../facts/age-bounds.ts';
import { normaliseGender } from '../facts/gender.ts';
import { normaliseTopic, type InterestVocabulary } from '../facts/interest-vocabulary.ts';
import { queriedCountry } from '../facts/location.ts';
import { userSearchCatalogue } from '../../search/search-catalogues.ts';
import { compileSearch } from '../../search/search-compiler.ts';
import { escapeRegex } from '../../search/search-values.ts';
import { compileDateCondition } from './segment-dates.ts';
import type { NumberRange, OneOrMany, SegmentFilter } from './segment-filter-schema.ts';

export type MongoFilter = Record<string, unknown>;

export interface SegmentCompileOptions {
  /** What relative conditions (age, within_days) are resolved against. */
  now: Date;
  /** Config insight.interests: a name that is one of its keys means the key, any other a raw topic. */
  vocabulary: InterestVocabulary;
}

export * from './segment-filter-schema.ts';
export { FILTER_LIMITS } from './segment-filter-shape.ts';

const list = <T>(value: OneOrMany<T>): T[] => (Array.isArray(value) ? value : [value]);

/** `path` equal to one of the values: a plain equality for one (arrays match at any element), else $in. */
function oneOf(path: string, values: readonly unknown[]): MongoFilter {
  const distinct = [...new Set(values)];
  return { [path]: distinct.length === 1 ? distinct[0] : { $in: distinct } };
}

function and(parts: MongoFilter[]): MongoFilter {
  const flat = parts.flatMap((part) => (Object.keys(part).length === 1 && Array.isArray(part.$and) ? part.$and as MongoFilter[] : [part]));
  return flat.length === 0 ? {} : flat.length === 1 ? flat[0] : { $and: flat };
}

function or(parts: MongoFilter[]): MongoFilter {
  return parts.length === 1 ? parts[0] : { $or: parts };
}

function numberRange(path: string, { min, max }: NumberRange): MongoFilter {
  return { [path]: { ...(min !== undefined ? { $gte: min } : {}), ...(max !== undefined ? { $lte: max } : {}) } };
}

/** "unknown" asks for users whose gender no source gave (or a source literally said "unknown"). */
function gender(values: OneOrMany<string>): MongoFilter {
  const words = list(values).map((value) => normaliseGender(value)!);
  const known = words.filter((word) => word !== 'unknown');
  if (known.length === words.length) return oneOf('facts.gender', known);
  return or([{ 'facts.gender': { $exists: false } }, oneOf('facts.gender', [...known, 'unknown'])]);
}

/**
 * The age rule of age-bounds.ts (birthBoundsWithin): every age the user's birth-date bounds allow
 * on now's UTC day lies in [min, max]; an unknown age never matches. `{ min: 20 }` is 20 and over.
 */
function age({ min, max }: NumberRange, now: Date): MongoFilter {
  const range = ageRangeToBirthDates(min ?? 0, max ?? MAX_AGE, now);
  return and([{ 'facts.born_from': { $gte: range.born_from } }, { 'facts.born_to': { $lte: range.born_to } }]);
}

/** Names are normalised as topics are (any case, NFKC); vocabulary keys match interest_keys, other names a topic exactly. */
function interestsCondition(names: string[], vocabulary: InterestVocabulary, mode: 'any' | 'all'): MongoFilter {
  const normalised = names.map(normaliseTopic);
  const keys = normalised.filter((name) => Object.hasOwn(vocabulary, name));
  const topics = normalised.filter((name) => !Object.hasOwn(vocabulary, name));
  if (mode === 'all') return and([...keys.map((key) => ({ 'facts.interest_keys': key })), ...topics.map((topic) => ({ 'facts.interests': topic }))]);
  return or([...(keys.length ? [oneOf('facts.interest_keys', keys)] : []), ...(topics.length ? [oneOf('facts.interests', topics)] : [])]);
}

function interests(value: NonNullable<SegmentFilter['interests']>, vocabulary: InterestVocabulary): MongoFilter {
  if (typeof value === 'string' || Array.isArray(value)) return interestsCondition(list(value), vocabulary, 'any');
  return and([
    ...(value.any_of ? [interestsCondition(value.any_of, vocabulary, 'any')] : []),
    ...(value.all_of ? [interestsCondition(value.all_of, vocabulary, 'all')] : []),
  ]);
}

/**
 * Cities are stored as the source wrote them: the whole name, any case, metacharacters literal.
 * Sources write composed letters (NFC); a name typed decomposed (`a` + U+0301, as some keyboards and
 * a Mac's clipboard give) is composed first, or `Málaga` would not find `Málaga`.
 */
function city(values: OneOrMany<string>): MongoFilter {
  const names = [...new Set(list(values).map((name) => name.normalize('NFC').replace(/\s+/g, ' ').trim()))];
  return or(names.map((name) => ({ 'facts.city': { $regex: `^${escapeRegex(name)}$`, $options: 'i' } })));
}

type Leaf = { [K in keyof SegmentFilter]-?: (value: NonNullable<SegmentFilter[K]>, options: SegmentCompileOptions) => MongoFilter };

/** Each condition's meaning, in the order conditions are written into the compiled filter. */
const CONDITIONS: Omit<Leaf, 'all' | 'any' | 'not'> = {
  gender: (value) => gender(value),
  age: (value, { now }) => age(value, now),
  interests: (value, { vocabulary }) => interests(value, vocabulary),
  // ISO code (any case) or a known name → the code facts store; else the name as given.
  country: (value) => oneOf('facts.country', list(value).map(queriedCountry)),
  city: (value) => city(value),
  // The profile's own fields, always present (facts copy them): any identity's connection.
  connection: (value) => oneOf('identities.connection', list(value)),
  email_verified: (value) => (value ? { email_verified: true } : { email_verified: { $ne: true } }),
  lifecycle: (value) => oneOf('facts.lifecycle.state', list(value)),
  signed_up: (value, { now }) => compileDateCondition('created_at', value, now),
  last_login: (value, { now }) => compileDateCondition('last_login', value, now),
  logins_count: (value) => numberRange('logins_count', value),
  sentiment: (value) => oneOf('facts.sentiment_label', list(value)),
  sentiment_score: (value) => numberRange('facts.sentiment_score', value),
  q: (value) => compileSearch(value, userSearchCatalogue),
};

/**
 * The MongoDB filter for a validated segment filter at `now`. Conditions of one object are ANDed;
 * `all` is AND, `any` OR, `not` the exact complement ($nor). `{}` (every user) compiles to `{}`.
 * Throws SearchQueryError (400) for a bad `q`, which the schema has already refused at the edge.
 */
export function compileSegmentFilter(filter: SegmentFilter, options: SegmentCompileOptions): MongoFilter {
  const parts: MongoFilter[] = [];
  for (const [key, compile] of Object.entries(CONDITIONS) as [keyof typeof CONDITIONS, (value: unknown, o: SegmentCompileOptions) => MongoFilter][]) {
    if (filter[key] !== undefined) parts.push(compile(filter[key], options));
  }
  if (filter.all) parts.push(and(filter.all.map((child) => compileSegmentFilter(child, options))));
  if (filter.any) parts.push(or(filter.any.map((child) => compileSegmentFilter(child, options))));
  if (filter.not) parts.push({ $nor: [compileSegmentFilter(filter.not, options)] });
  return and(parts);
}
