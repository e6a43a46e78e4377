import type { PipelineStage } from 'mongoose';
import { AGE_BUCKETS, ageBucketBoundaries, UNKNOWN_AGE } from '../insight/segments/age-buckets.ts';
import type { MongoFilter } from '../insight/segments/segment-filter.ts';
import type { UserDoc, UserModel } from '../users/user.model.ts';

export interface ValueCount { value: string; count: number }

export interface SegmentBreakdown {
  age: { bucket: string; count: number }[];
  gender: ValueCount[];
  country: ValueCount[];
  connection: ValueCount[];
}

export interface SegmentPreview { count: number; breakdown: SegmentBreakdown; sample: UserDoc[] }

export const PREVIEW_SAMPLE_SIZE = 10;
/** Per dimension, the most frequent values; the rest are summed as `other`. */
export const PREVIEW_TOP_VALUES = 10;

const countBy = (expression: unknown) => [{ $group: { _id: expression, count: { $sum: 1 } } }];

/**
 * Count and breakdown in ONE aggregation: the filter's $match (which an index can serve), then a
 * $facet whose branches only count groups, so nothing but the counts leaves the database. Age
 * buckets are computed from facts.born_to at `now` (age-buckets.ts); connection is the primary
 * one (identities[0], Auth0's primary identity), so every breakdown adds up to the count.
 */
export function buildSegmentBreakdownPipeline(filter: MongoFilter, now: Date): PipelineStage[] {
  const { boundaries } = ageBucketBoundaries(now);
  return [
    { $match: filter },
    // Only what the branches group by: $facet hands every document to each branch (the dev database
    // copies it five times), so a few fields instead of the whole profile.
    { $project: { _id: 0, born_to: '$facts.born_to', gender: '$facts.gender', country: '$facts.country', connection: { $arrayElemAt: ['$identities.connection', 0] } } },
    {
      $facet: {
        count: [{ $count: 'count' }],
        age: [{ $bucket: { groupBy: '$born_to', boundaries, default: UNKNOWN_AGE, output: { count: { $sum: 1 } } } }],
        gender: countBy('$gender'),
        country: countBy('$country'),
        connection: countBy('$connection'),
      },
    },
  ];
}

/** The sample: the newest sign-ups that match (the created_at index serves the sort), secrets left out. */
export function buildSegmentSamplePipeline(filter: MongoFilter, size = PREVIEW_SAMPLE_SIZE): PipelineStage[] {
  return [
    { $match: filter },
    { $sort: { created_at: -1, user_id: 1 } },
    { $limit: size },
    { $project: { password_hash: 0, 'identities.sealed_tokens': 0, pending_events: 0 } },
  ];
}

type Group = { _id: unknown; count: number };

/** Most frequent first (ties by value), the top `top`, then `other` for the rest and `unknown` for users without the fact. */
export function topValues(groups: Group[], top = PREVIEW_TOP_VALUES): ValueCount[] {
  const known = groups.filter((g) => typeof g._id === 'string' && g._id !== 'unknown')
    .map((g) => ({ value: g._id as string, count: g.count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const other = known.slice(top).reduce((sum, g) => sum + g.count, 0);
  const unknown = groups.filter((g) => typeof g._id !== 'string' || g._id === 'unknown').reduce((sum, g) => sum + g.count, 0);
  return [...known.slice(0, top), ...(other ? [{ value: 'other', count: other }] : []), ...(unknown ? [{ value: 'unknown', count: unknown }] : [])];
}

export function ageRows(groups: Group[], now: Date): SegmentBreakdown['age'] {
  const { labels } = ageBucketBoundaries(now);
  const counts = new Map<string, number>();
  for (const g of groups) {
    const label = g._id instanceof Date ? labels.get(g._id.getTime()) ?? UNKNOWN_AGE : UNKNOWN_AGE;
    counts.set(label, (counts.get(label) ?? 0) + g.count);
  }
  return [...AGE_BUCKETS.map(({ bucket }) => ({ bucket, count: counts.get(bucket) ?? 0 })), { bucket: UNKNOWN_AGE, count: counts.get(UNKNOWN_AGE) ?? 0 }];
}

/** Runs the preview of a compiled segment filter: two aggregations, neither loading more than 10 users. */
export async function runSegmentPreview(users: UserModel, filter: MongoFilter, now: Date): Promise<SegmentPreview> {
  const [[facets], sample] = await Promise.all([
    users.aggregate<Record<keyof SegmentBreakdown | 'count', Group[]>>(buildSegmentBreakdownPipeline(filter, now)).exec(),
    users.aggregate<UserDoc>(buildSegmentSamplePipeline(filter)).exec(),
  ]);
  return {
    count: (facets.count[0] as unknown as { count: number } | undefined)?.count ?? 0,
    breakdown: {
      age: ageRows(facets.age, now),
      gender: topValues(facets.gender),
      country: topValues(facets.country),
      connection: topValues(facets.connection),
    },
    sample,
  };
}
