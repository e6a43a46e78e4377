import { ageOn } from '../../insight/facts/age-bounds.ts';
import type { Person } from './shopper-person.ts';
import { FITNESS_INTERESTS, FITNESS_TOPICS, OTHER_INTERESTS, OTHER_TOPICS } from './shopper-interests.ts';
import type { SeededRandom } from './seeded-random.ts';

/** What FullContact knows about a person it matched: drawn once, shown as of each check. */
export interface FullContactKnowledge {
  gender: boolean;
  age: 'exact' | 'range' | 'none';
  location: boolean;
  interests: (readonly [string, string])[];
  topics: string[];
  twitter: boolean;
}

const FITNESS_INTEREST_COUNT = [[0, 2], [1, 5], [2, 3]] as const;
const AGE_KNOWN = [['exact', 25], ['range', 50], ['none', 25]] as const;

export function drawKnowledge(random: SeededRandom, person: Person): FullContactKnowledge {
  const fitnessCount = person.fitness ? random.weighted(FITNESS_INTEREST_COUNT) : random.chance(0.04) ? 1 : 0;
  const topics = random.chance(0.4) ? random.sample(person.fitness && random.chance(0.7) ? FITNESS_TOPICS : OTHER_TOPICS, random.int(1, 2)) : [];
  return {
    gender: person.gender !== 'non-binary' && random.chance(0.88),
    age: random.weighted(AGE_KNOWN),
    location: random.chance(0.85),
    interests: [...random.sample(FITNESS_INTERESTS, fitnessCount), ...random.sample(OTHER_INTERESTS, random.int(0, 3))],
    topics,
    twitter: Boolean(person.x_handle) && random.chance(0.7),
  };
}

/** FullContact's decade bracket: 34 → "30-39". */
function ageRange(age: number): string {
  const from = Math.floor(age / 10) * 10;
  return `${from}-${from + 9}`;
}

/**
 * A Person Enrich v3 answer (top-level summary plus `details`), as the durable hook stores it in
 * user_metadata.fullcontact: trimmed to the fields insight reads and a few around them, so a
 * million profiles stay a reasonable size. Ages are as of the check.
 */
export function fullContactAnswer(person: Person, knows: FullContactKnowledge, email: string, checkedAt: Date): Record<string, unknown> {
  const fullName = `${person.given_name} ${person.family_name}`;
  const age = ageOn(person.birth, checkedAt);
  const formatted = `${person.city}, ${person.region}, ${person.country.name}`;
  const twitterUrl = knows.twitter ? `https://twitter.com/${person.x_handle}` : null;
  const details: Record<string, unknown> = {
    name: { given: person.given_name, family: person.family_name, full: fullName },
    emails: [{ label: 'personal', value: email }],
    profiles: knows.twitter ? { twitter: { username: person.x_handle, url: twitterUrl, service: 'twitter' } } : {},
    interests: knows.interests.map(([name, category], i) => ({ name, id: String(100 + i), affinity: i === 0 ? 'HIGH' : 'MEDIUM', category })),
  };
  if (knows.gender) details.gender = person.gender === 'male' ? 'Male' : 'Female';
  if (knows.age !== 'none') details.age = knows.age === 'exact' ? { range: ageRange(age), value: age } : { range: ageRange(age) };
  if (knows.location) {
    details.locations = [{ city: person.city, region: person.region, country: person.country.name, countryCode: person.country.code, formatted }];
  }
  if (knows.topics.length) details.topics = knows.topics;
  return {
    fullName,
    ageRange: knows.age === 'none' ? null : ageRange(age),
    gender: knows.gender ? details.gender : null,
    location: knows.location ? formatted : null,
    twitter: twitterUrl,
    details,
    updated: checkedAt.toISOString().slice(0, 10),
  };
}
