import { ageBoundsAt } from '../insight/facts/age-bounds.ts';
import { matchInterestKeys, normaliseTopic, type InterestVocabulary } from '../insight/facts/interest-vocabulary.ts';
import type { SegmentFilter } from '../insight/segments/segment-filter-schema.ts';
import type { UserDoc } from '../users/user.model.ts';
import { primaryConnection, type MongoFilter, type RowReport } from './row-report.ts';

/**
 * The users of an ad-hoc segment (the pre-order campaign's mailing list), one row each, oldest
 * sign-up first. The filter is compiled by the caller (compileSegmentFilter) at the same `now`.
 */
export const SEGMENT_USER_COLUMNS = [
  { name: 'email' }, { name: 'name' }, { name: 'user_id' }, { name: 'gender' }, { name: 'age_min' }, { name: 'age_max' },
  { name: 'country' }, { name: 'city' }, { name: 'interests_matched', list: true }, { name: 'connection' },
] as const;

export interface SegmentUserRow {
  email: string | null; name: string | null; user_id: string; gender: string | null;
  age_min: number | null; age_max: number | null; country: string | null; city: string | null;
  interests_matched: string[]; connection: string | null;
}

/**
 * The interests the filter asks for (its `interests` conditions, in `all` and `any` too; not those
 * under `not`, which a member does not have), normalised as the compiler normalises them.
 */
export function interestsAskedFor(filter: SegmentFilter): string[] {
  const own = filter.interests === undefined ? [] : typeof filter.interests === 'string' ? [filter.interests]
    : Array.isArray(filter.interests) ? filter.interests : [...filter.interests.any_of ?? [], ...filter.interests.all_of ?? []];
  const nested = [...filter.all ?? [], ...filter.any ?? []].flatMap(interestsAskedFor);
  return [...new Set([...own.map(normaliseTopic), ...nested])];
}

/**
 * A member's own topics that answer the filter's interests: for a vocabulary key (fitness) the
 * topics the vocabulary maps to it ("marathon training"), for a raw topic that topic. Empty when
 * the filter names no interests.
 */
export function interestsMatched(topics: readonly string[], asked: readonly string[], vocabulary: InterestVocabulary): string[] {
  if (!asked.length) return [];
  const keys = asked.filter((name) => Object.hasOwn(vocabulary, name));
  const raw = new Set(asked.filter((name) => !Object.hasOwn(vocabulary, name)));
  return topics.filter((topic) => raw.has(topic) || (keys.length > 0 && matchInterestKeys([topic], vocabulary).some((key) => keys.includes(key))));
}

function segmentUserRow(user: UserDoc, asked: readonly string[], vocabulary: InterestVocabulary, now: Date): SegmentUserRow {
  const facts = user.facts;
  const ages = facts ? ageBoundsAt(facts, now) : undefined;
  return {
    email: user.email ?? null, name: user.name ?? null, user_id: user.user_id, gender: facts?.gender ?? null,
    age_min: ages?.min_age ?? null, age_max: ages?.max_age ?? null, country: facts?.country ?? null, city: facts?.city ?? null,
    interests_matched: interestsMatched(facts?.interests ?? [], asked, vocabulary), connection: primaryConnection(user),
  };
}

/** The segment's users at `now`: `compiled` is `filter` compiled at the same `now`. */
export function segmentUsersReport(filter: SegmentFilter, compiled: MongoFilter, vocabulary: InterestVocabulary, now: Date): RowReport<SegmentUserRow> {
  const asked = interestsAskedFor(filter);
  return {
    name: 'segment',
    columns: SEGMENT_USER_COLUMNS,
    query: {
      filter: compiled,
      sort: { field: 'created_at', kind: 'date' },
      projection: {
        user_id: 1, email: 1, name: 1, created_at: 1, 'identities.connection': 1, 'facts.gender': 1, 'facts.born_from': 1, 'facts.born_to': 1,
        'facts.country': 1, 'facts.city': 1, 'facts.interests': 1,
      },
    },
    row: (user) => segmentUserRow(user, asked, vocabulary, now),
  };
}
