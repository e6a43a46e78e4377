import type { PipelineStage } from 'mongoose';
import { ageBucketBoundaries, UNKNOWN_AGE } from '../insight/segments/age-buckets.ts';
import type { UserModel } from '../users/user.model.ts';
import { ageRows, topValues, type SegmentBreakdown, type ValueCount } from './segment-preview.report.ts';

/**
 * Who the shoppers are: age buckets, gender, country and interests, over the users FullContact
 * knew (`enriched`: facts.enrichment matched, through its index) or over everyone (`all`). One
 * aggregation, $match then $facet, whose branches return counts only (never users).
 */
export const DEMOGRAPHIC_POPULATIONS = ['enriched', 'all'] as const;
export type DemographicPopulation = (typeof DEMOGRAPHIC_POPULATIONS)[number];
export const TOP_TOPICS = 15;

export interface Demographics {
  users: number;
  age: SegmentBreakdown['age'];
  gender: ValueCount[];
  country: ValueCount[];
  /** The most frequent interest topics (facts.interests), most users first; a user counts once per topic. */
  topics: { topic: string; users: number }[];
  /** Users per vocabulary key (facts.interest_keys, config insight.interests), most users first. */
  interest_keys: { key: string; users: number }[];
}

const countBy = (expression: unknown) => [{ $group: { _id: expression, count: { $sum: 1 } } }];
const unwindCount = (path: string, limit?: number) => [
  { $unwind: `$${path}` },
  { $group: { _id: `$${path}`, count: { $sum: 1 } } },
  { $sort: { count: -1, _id: 1 } },
  ...(limit ? [{ $limit: limit }] : []),
];

export function buildDemographicsPipeline(population: DemographicPopulation, now: Date): PipelineStage[] {
  const { boundaries } = ageBucketBoundaries(now);
  return [
    { $match: population === 'enriched' ? { 'facts.enrichment': 'matched' } : {} },
    {
      $facet: {
        count: [{ $count: 'count' }],
        age: [{ $bucket: { groupBy: '$facts.born_to', boundaries, default: UNKNOWN_AGE, output: { count: { $sum: 1 } } } }],
        gender: countBy('$facts.gender'),
        country: countBy('$facts.country'),
        topics: unwindCount('facts.interests', TOP_TOPICS),
        interest_keys: unwindCount('facts.interest_keys'),
      },
    },
  ] as PipelineStage[];
}

type Group = { _id: unknown; count: number };

export async function runDemographics(users: UserModel, population: DemographicPopulation, now: Date): Promise<Demographics> {
  const [facets] = await users.aggregate<Record<'count' | 'age' | 'gender' | 'country' | 'topics' | 'interest_keys', Group[]>>(buildDemographicsPipeline(population, now)).exec();
  return {
    users: (facets.count[0] as unknown as { count: number } | undefined)?.count ?? 0,
    age: ageRows(facets.age, now),
    gender: topValues(facets.gender),
    country: topValues(facets.country),
    topics: facets.topics.map((g) => ({ topic: String(g._id), users: g.count })),
    interest_keys: facets.interest_keys.map((g) => ({ key: String(g._id), users: g.count })),
  };
}
