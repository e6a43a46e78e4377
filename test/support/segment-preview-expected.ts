import type { UserDoc } from '../../src/users/user.model.ts';
import { possibleAges } from './segment-users.ts';

/**
 * What a segment preview must answer, computed in plain JavaScript over the users the test stored
 * (no pipeline, no compiler): the count, the breakdowns and the sample's user ids.
 */
export interface ExpectedPreview {
  count: number;
  breakdown: { age: { bucket: string; count: number }[]; gender: ValueCount[]; country: ValueCount[]; connection: ValueCount[] };
  sample: string[];
}
type ValueCount = { value: string; count: number };

const BUCKETS = ['0-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'];

/** By the youngest age the user can be; none, or one no one can be (over 130, not born yet), is unknown. */
export function ageBucket(user: UserDoc, now: Date): string {
  const youngest = possibleAges(user, now)?.youngest;
  if (youngest === undefined || youngest < 0 || youngest > 130) return 'unknown';
  if (youngest < 18) return '0-17';
  if (youngest < 25) return '18-24';
  if (youngest >= 65) return '65+';
  const decade = Math.floor((youngest - 25) / 10);
  return BUCKETS[2 + decade];
}

function tally(values: (string | undefined)[], top = 10): ValueCount[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value ?? 'unknown', (counts.get(value ?? 'unknown') ?? 0) + 1);
  const unknown = counts.get('unknown') ?? 0;
  counts.delete('unknown');
  const known = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  const other = known.slice(top).reduce((sum, { count }) => sum + count, 0);
  return [...known.slice(0, top), ...(other ? [{ value: 'other', count: other }] : []), ...(unknown ? [{ value: 'unknown', count: unknown }] : [])];
}

export function expectedPreview(users: UserDoc[], isMember: (user: UserDoc) => boolean, now: Date): ExpectedPreview {
  const members = users.filter(isMember);
  const buckets = members.map((user) => ageBucket(user, now));
  const newestFirst = [...members].sort((a, b) => b.created_at.getTime() - a.created_at.getTime() || (a.user_id < b.user_id ? -1 : 1));
  return {
    count: members.length,
    breakdown: {
      age: [...BUCKETS, 'unknown'].map((bucket) => ({ bucket, count: buckets.filter((b) => b === bucket).length })),
      gender: tally(members.map((user) => user.facts?.gender)),
      country: tally(members.map((user) => user.facts?.country)),
      connection: tally(members.map((user) => user.identities[0]?.connection)),
    },
    sample: newestFirst.slice(0, 10).map((user) => user.user_id),
  };
}
