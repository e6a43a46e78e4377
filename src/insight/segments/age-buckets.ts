import { addUtcDays, ageRangeToBirthDates, MAX_AGE } from '../facts/age-bounds.ts';

/** The age buckets of breakdowns (FullContact's brackets, so its age ranges fall into one bucket when observed). */
export const AGE_BUCKETS = [
  { bucket: '0-17', min: 0 }, { bucket: '18-24', min: 18 }, { bucket: '25-34', min: 25 }, { bucket: '35-44', min: 35 },
  { bucket: '45-54', min: 45 }, { bucket: '55-64', min: 55 }, { bucket: '65+', min: 65 },
] as const;

export const UNKNOWN_AGE = 'unknown';

/**
 * `$bucket` boundaries on facts.born_to that put each user in the bucket of the YOUNGEST age their
 * birth-date bounds allow on now's UTC day. Bounds that straddle a bucket edge (a FullContact bracket
 * 25–34 seen two years ago is 27–36 now) go by their youngest age: every user with a known age is
 * in exactly one bucket, and "at least this old" is what an age bracket promises. (An age FILTER
 * is stricter: every possible age must be inside, see age-bounds.ts.)
 *
 * The youngest age is ≥ A exactly when born_to ≤ the born_to of "aged A" (ageRangeToBirthDates);
 * born_to is a UTC midnight, so that is born_to < that day + 1, which is $bucket's half-open form.
 * Ascending: the oldest bucket first. Born_to outside them (older than MAX_AGE, born after today)
 * or absent lands in `default`, reported as unknown.
 */
export function ageBucketBoundaries(now: Date): { boundaries: Date[]; labels: Map<number, string> } {
  const edge = (age: number) => addUtcDays(ageRangeToBirthDates(age, age, now).born_to, 1);
  const mins = [MAX_AGE + 1, ...AGE_BUCKETS.map((b) => b.min).reverse()];
  const boundaries = mins.map(edge);
  // Each boundary but the last starts the bucket of the ages from the next boundary's age up.
  const labels = new Map(boundaries.slice(0, -1).map((date, i) => [date.getTime(), [...AGE_BUCKETS].reverse()[i].bucket]));
  return { boundaries, labels };
}
