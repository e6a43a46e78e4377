import type { UserDoc } from '../../users/user.model.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { Person } from './shopper-person.ts';
import { FITNESS_PAGES, OTHER_PAGES } from './shopper-interests.ts';

type RootFields = Pick<UserDoc, 'gender' | 'birthday' | 'location' | 'likes'>;

const pad = (n: number) => String(n).padStart(2, '0');
const BIRTHDAY_SHARED = [['full', 55], ['day', 20], ['year', 5], ['none', 20]] as const;

/**
 * The birthday as far as the shopper shares it, in Graph's form (MM/DD/YYYY, MM/DD, YYYY) and as
 * the mapper stores it (YYYY-MM-DD, --MM-DD, YYYY; src/auth/profile-mapping.ts).
 */
function birthday(random: SeededRandom, birth: Date): { graph?: string; stored?: string } {
  const [year, month, day] = [birth.getUTCFullYear(), pad(birth.getUTCMonth() + 1), pad(birth.getUTCDate())];
  const shared = random.weighted(BIRTHDAY_SHARED);
  if (shared === 'full') return { graph: `${month}/${day}/${year}`, stored: `${year}-${month}-${day}` };
  if (shared === 'day') return { graph: `${month}/${day}`, stored: `--${month}-${day}` };
  return shared === 'year' ? { graph: String(year), stored: String(year) } : {};
}

/** Graph's place name: "Boulder, Colorado" in the US and Canada, "Milan, Italy" elsewhere. */
function placeName(person: Person): string {
  return ['US', 'CA'].includes(person.country.code) ? `${person.city}, ${person.region}` : `${person.city}, ${person.country.name}`;
}

function likes(random: SeededRandom, person: Person): NonNullable<UserDoc['likes']> {
  const fitness = person.fitness ? (random.chance(0.85) ? random.int(1, 3) : 0) : random.chance(0.03) ? 1 : 0;
  const pages = [...random.sample(FITNESS_PAGES, fitness), ...random.sample(OTHER_PAGES, random.int(1, person.fitness ? 4 : 5))];
  return pages.map(([name, category]) => ({ id: random.digits(random.int(12, 15)), name, category }));
}

/** What Facebook said at sign-up, for the permissions granted: root fields, and Graph's own form for profileData. */
export function facebookRootFields(random: SeededRandom, person: Person): { root: RootFields; graph: Record<string, unknown> } {
  const root: RootFields = {};
  const graph: Record<string, unknown> = {};
  if (person.gender !== 'non-binary' && random.chance(0.85)) root.gender = graph.gender = person.gender;
  const day = birthday(random, person.birth);
  if (day.stored) [root.birthday, graph.birthday] = [day.stored, day.graph];
  if (random.chance(0.65)) {
    root.location = placeName(person);
    graph.location = { id: random.digits(15), name: root.location };
  }
  if (random.chance(0.65)) root.likes = likes(random, person);
  return { root, graph };
}
