import type { UserDoc } from '../../users/user.model.ts';
import { ageRangeToBirthDates, MAX_AGE, plausibleBounds, yearBounds, type BirthBounds } from './age-bounds.ts';
import { parseBirthDate, parseFacebookBirthday } from './birth-dates.ts';
import type { FacebookFacts } from './facebook-sources.ts';
import type { Enrichment } from './fullcontact-sources.ts';
import { num, str } from './json-values.ts';
import { ruleUserField } from './rule-user-field.ts';

/** Where a user's age came from, in the order they are tried. */
export const AGE_SOURCES = ['age', 'fullcontact', 'demographics', 'birth_date', 'date_of_birth', 'birthday'] as const;
export type AgeSource = (typeof AGE_SOURCES)[number];

export interface ResolvedAge extends BirthBounds {
  age_source: AgeSource;
}

/** "30-39" observed at `at` → the birth dates of everyone that old then (undefined for nonsense, or no date). */
function bracketAt(min: unknown, max: unknown, at: Date | undefined): BirthBounds | undefined {
  const [low, high] = [num(min), num(max)];
  if (low === undefined || high === undefined || !(at instanceof Date) || Number.isNaN(at.getTime())) return undefined;
  const whole = Number.isInteger(low) && Number.isInteger(high);
  return whole && low >= 0 && low <= high && high <= MAX_AGE ? ageRangeToBirthDates(low, high, at) : undefined;
}

/** A whole age observed at `at` → the birth dates it allows (33.5 counts as 33). */
function agedAt(value: unknown, at: Date | undefined): BirthBounds | undefined {
  const age = num(value);
  return age === undefined ? undefined : bracketAt(Math.floor(age), Math.floor(age), at);
}

function bracketTextAt(range: unknown, at: Date | undefined): BirthBounds | undefined {
  const bounds = /^(\d+)\s*-\s*(\d+)$/.exec(str(range) ?? '');
  return bounds ? bracketAt(bounds[1], bounds[2], at) : undefined;
}

/**
 * FullContact's own figures, most precise first: a birth year is exact for good; an age or a
 * bracket was true when FullContact answered (observedAt).
 */
function fullContactAge({ v3, v2, observedAt }: Enrichment): BirthBounds | undefined {
  const year = num(v3?.birth_year);
  if (year !== undefined && Number.isInteger(year)) return yearBounds(year);
  return agedAt(v3?.age, observedAt) ?? bracketAt(v3?.age_min, v3?.age_max, observedAt) ?? agedAt(v2?.age, observedAt);
}

/**
 * The user's possible birth dates, from the first source that has them, in the order of the
 * InnovaShoes article's getAge: `user.age` (root or app_metadata, see ruleUserField; it carries no
 * date, so it is taken as true at the last profile write), FullContact's age or bracket, the v2
 * demographics' age (or bracket), their birthDate, `dateOfBirth`, Facebook's birthday. A source
 * with an impossible value (born in the future, older than MAX_AGE) is passed over.
 */
export function resolveAge(user: UserDoc, enrichment: Enrichment, facebook: FacebookFacts, now: Date): ResolvedAge | undefined {
  const { demographics, observedAt } = enrichment;
  const readers: Record<AgeSource, () => BirthBounds | undefined> = {
    age: () => agedAt(ruleUserField(user, 'age'), user.updated_at),
    fullcontact: () => fullContactAge(enrichment),
    demographics: () => agedAt(demographics.age, observedAt) ?? bracketTextAt(demographics.ageRange, observedAt),
    birth_date: () => parseBirthDate(demographics.birthDate),
    date_of_birth: () => parseBirthDate(ruleUserField(user, 'dateOfBirth')),
    birthday: () => parseFacebookBirthday(facebook.birthday),
  };
  for (const source of AGE_SOURCES) {
    const bounds = readers[source]();
    if (bounds && plausibleBounds(bounds, now)) return { ...bounds, age_source: source };
  }
  return undefined;
}

