import type { PipelineStage } from 'mongoose';
import { ageBucketBoundaries, UNKNOWN_AGE } from '../insight/segments/age-buckets.ts';
import type { UserModel } from '../users/user.model.ts';
import { ageRows, topValues, type SegmentBreakdown, type ValueCount } from './segment-preview.report.ts';

/**
 * Who the shoppers are: age buckets, gender, country and interests, over the users FullContact
 * knew (`enriched`: facts.enrichment matched, through its index) or over everyone (`all`). Each
 * figure is its own small aggregation ($match, then one $group/$bucket that returns counts only,
 * never users), run together. Not one $facet: the dev database copies every matched document into
 * each branch, which made the six-branch $facet four times slower there than the six aggregations.
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
// Down to the one array before $unwind: each element's document is then that value alone, not a
// copy of the whole profile (ten times faster on the dev database at 20k users, less memory anywhere).
const unwindCount = (path: string, limit?: number) => [
  { $project: { _id: 0, value: `$${path}` } },
  { $unwind: '$value' },
  { $group: { _id: '$value', count: { $sum: 1 } } },
  { $sort: { count: -1, _id: 1 } },
  ...(limit ? [{ $limit: limit }] : []),
];

/** The pipelines, one per figure (pure). */
export function buildDemographicsPipelines(population: DemographicPopulation, now: Date): Record<Exclude<keyof Demographics, 'users'>, PipelineStage[]> {
  const { boundaries } = ageBucketBoundaries(now);
  const match = { $match: population === 'enriched' ? { 'facts.enrichment': 'matched' } : {} };
  const branches = {
    age: [{ $bucket: { groupBy: '$facts.born_to', boundaries, default: UNKNOWN_AGE, output: { count: { $sum: 1 } } } }],
    gender: countBy('$facts.gender'),
    country: countBy('$facts.country'),
    topics: unwindCount('facts.interests', TOP_TOPICS),
    interest_keys: unwindCount('facts.interest_keys'),
  };
  return Object.fromEntries(Object.entries(branches).map(([name, stages]) => [name, [match, ...stages]])) as unknown as Record<Exclude<keyof Demographics, 'users'>, PipelineStage[]>;
}

type Group = { _id: unknown; count: number };

export async function runDemographics(users: UserModel, population: DemographicPopulation, now: Date): Promise<Demographics> {
  const pipelines = buildDemographicsPipelines(population, now);
  const run = (pipeline: PipelineStage[]) => users.aggregate<Group>(pipeline).exec();
  const [count, age, gender, country, topics, interest_keys] = await Promise.all([
    users.collection.countDocuments(population === 'enriched' ? { 'facts.enrichment': 'matched' } : {}),
    run(pipelines.age), run(pipelines.gender), run(pipelines.country), run(pipelines.topics), run(pipelines.interest_keys),
  ]);
  const facets = { age, gender, country, topics, interest_keys };
  return {
    users: count,
    age: ageRows(facets.age, now),
    gender: topValues(facets.gender),
    country: topValues(facets.country),
    topics: facets.topics.map((g) => ({ topic: String(g._id), users: g.count })),
    interest_keys: facets.interest_keys.map((g) => ({ key: String(g._id), users: g.count })),
  };
}
