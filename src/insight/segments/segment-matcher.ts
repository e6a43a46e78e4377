import { Context } from 'mingo/core';
import { $and, $nor, $or } from 'mingo/operators/query/logical';
import { $eq, $gt, $gte, $in, $lt, $lte, $ne } from 'mingo/operators/query/comparison';
import { $exists } from 'mingo/operators/query/element';
import { $regex } from 'mingo/operators/query/evaluation';
import { Query } from 'mingo/query';
import type { MongoFilter } from './segment-filter.ts';

/**
 * Saved segments are kept current at every sign-in without a database query: the compiled filter
 * (segment-filter.ts) is evaluated in process on the user document about to be written, with
 * mingo, a MongoDB query-language implementation. Its context holds only the operators the
 * compilers write, so a filter with anything else fails when the matcher is created instead of
 * being read differently than the database would read it. Dates must be JS Dates, as the driver
 * and mongoose's lean() return them.
 */
const SEGMENT_QUERY_CONTEXT = Context.init({
  query: { $and, $or, $nor, $eq, $ne, $in, $gt, $gte, $lt, $lte, $exists, $regex },
});

export type SegmentMatcher = (user: object) => boolean;

/** Compiles once (regexes included); reuse the matcher for every user. Throws on an operator outside the set above. */
export function createSegmentMatcher(compiled: MongoFilter): SegmentMatcher {
  const query = new Query(compiled, { context: SEGMENT_QUERY_CONTEXT });
  return (user) => query.test(user as Record<string, unknown>);
}

const matchers = new WeakMap<MongoFilter, SegmentMatcher>();

/** Whether one user document is in the segment; the matcher is kept per compiled filter object. */
export function matchesSegment(compiled: MongoFilter, user: object): boolean {
  let matcher = matchers.get(compiled);
  if (!matcher) matchers.set(compiled, (matcher = createSegmentMatcher(compiled)));
  return matcher(user);
}
