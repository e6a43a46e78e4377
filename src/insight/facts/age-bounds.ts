/**
 * Ages kept as the interval of possible birth dates, [born_from, born_to) at 00:00 UTC, so that
 * an age-range question becomes a birth-date range on an index and stays right as years pass.
 * Everything here works on UTC calendar days; `now` is always passed in.
 */

export interface BirthBounds {
  /** The earliest possible birth date (inclusive). */
  born_from: Date;
  /** The day after the latest possible birth date (exclusive). */
  born_to: Date;
}

const DAY_MS = 86_400_000;
export const MAX_AGE = 130;

export function utcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

export function addUtcDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * DAY_MS);
}

/** A valid calendar day, or undefined (month 1–12; 31 April and 29 February 2023 are refused). */
export function calendarDay(year: number, month: number, day: number): Date | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999
  const valid = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return valid ? date : undefined;
}

export function dayBounds(day: Date): BirthBounds {
  const born_from = utcDay(day);
  return { born_from, born_to: addUtcDays(born_from, 1) };
}

export function yearBounds(year: number): BirthBounds {
  return { born_from: calendarDay(year, 1, 1)!, born_to: calendarDay(year + 1, 1, 1)! };
}

/**
 * The same month and day `years` earlier. 29 February becomes the 28th in a year without one, so
 * that "born on or before this day" is exactly "at least `years` old on `day`" as ageOn counts
 * (someone born on 29 February turns a year older on 1 March in other years).
 */
function yearsBefore(day: Date, years: number): Date {
  const year = day.getUTCFullYear() - years;
  const month = day.getUTCMonth() + 1;
  return calendarDay(year, month, day.getUTCDate()) ?? calendarDay(year, month, day.getUTCDate() - 1)!;
}

/** Full years between a birth date and the UTC day of `at`. */
export function ageOn(birth: Date, at: Date): number {
  const months = at.getUTCMonth() - birth.getUTCMonth();
  const beforeBirthday = months < 0 || (months === 0 && at.getUTCDate() < birth.getUTCDate());
  return at.getUTCFullYear() - birth.getUTCFullYear() - (beforeBirthday ? 1 : 0);
}

/**
 * The birth dates of everyone aged `minAge` to `maxAge` (both included) on the UTC day of `now`:
 * a segment "aged 20–40" is the condition born_from ≥ … and born_to ≤ … (see birthBoundsWithin).
 * Also how an age (or FullContact bracket) observed at a known time becomes bounds.
 */
export function ageRangeToBirthDates(minAge: number, maxAge: number, now: Date): BirthBounds {
  if (!Number.isInteger(minAge) || !Number.isInteger(maxAge) || minAge < 0 || maxAge < minAge) {
    throw new RangeError(`an age range needs whole numbers 0 ≤ min ≤ max, not ${minAge}–${maxAge}`);
  }
  const today = utcDay(now);
  return {
    born_from: addUtcDays(yearsBefore(today, maxAge + 1), 1),
    born_to: addUtcDays(yearsBefore(today, minAge), 1),
  };
}

/** The ages the bounds allow on the UTC day of `now` (for display and breakdowns). */
export function ageBoundsAt(bounds: Partial<BirthBounds>, now: Date): { min_age: number; max_age: number } | undefined {
  if (!bounds.born_from || !bounds.born_to) return undefined;
  const youngest = ageOn(addUtcDays(bounds.born_to, -1), now);
  return { min_age: Math.max(0, youngest), max_age: Math.max(0, ageOn(bounds.born_from, now)) };
}

/**
 * The age rule of segments: a user matches an age range only when EVERY age their bounds allow is
 * inside it, i.e. their birth interval lies within the range's. A FullContact bracket 30–39 is in
 * "20–40"; 35–44 is not (they may be 41), nor is a user whose age is unknown. Marketing would
 * rather miss a few shoppers than mail people outside the audience it paid for.
 */
export function birthBoundsWithin(bounds: Partial<BirthBounds>, range: BirthBounds): boolean {
  if (!bounds.born_from || !bounds.born_to) return false;
  return bounds.born_from.getTime() >= range.born_from.getTime() && bounds.born_to.getTime() <= range.born_to.getTime();
}

/** Bounds a person can have: not born after `now`, not older than MAX_AGE. */
export function plausibleBounds(bounds: BirthBounds, now: Date): boolean {
  return bounds.born_from < bounds.born_to && bounds.born_from <= now && ageOn(bounds.born_from, now) <= MAX_AGE;
}
