import type { UserModel } from '../../users/user.model.ts';
import type { InterestVocabulary } from '../facts/interest-vocabulary.ts';
import { compileSegmentFilter } from './segment-filter.ts';
import type { SegmentDoc, SegmentRepository } from './segment.repository.ts';

const LEASE_MS = 10 * 60_000;

export interface CalculationDeps { users: UserModel; repository: SegmentRepository; vocabulary: InterestVocabulary }

/** Which users a segment holds at `now`, as a MongoDB filter. */
export function segmentMembersFilter(segment: SegmentDoc, vocabulary: InterestVocabulary, now: Date): Record<string, unknown> {
  if (segment.type === 'static') return { user_id: { $in: segment.user_ids ?? [] } };
  return compileSegmentFilter(segment.filter!, { now, vocabulary });
}

/**
 * A segment's starting membership, set in bulk and without events (the issue: "the first
 * calculation of a new segment emits nothing"; a changed definition starts over the same way).
 * Each user's `facts.rev` moves, so a profile write that read the user before this one tries
 * again and keeps the new membership. Claimed with a lease: one instance runs it; after a crash
 * the sweep runs it again. Returns false when another instance has it or the definition moved on.
 */
export async function calculateSegment({ users, repository, vocabulary }: CalculationDeps, segment: SegmentDoc, now = new Date()): Promise<boolean> {
  const claimed = await repository.claimCalculation(segment._id, segment.version, now, new Date(now.getTime() + LEASE_MS));
  if (!claimed) return false;
  const id = segment._id;
  try {
    const members = segmentMembersFilter(claimed, vocabulary, now);
    await users.collection.updateMany({ $and: [members, { 'facts.segments': { $ne: id } }] }, { $addToSet: { 'facts.segments': id }, $inc: { 'facts.rev': 1 } });
    await users.collection.updateMany({ $and: [{ 'facts.segments': id }, { $nor: [members] }] }, { $pull: { 'facts.segments': id }, $inc: { 'facts.rev': 1 } } as never);
    await repository.finishCalculation(id, claimed.version, new Date());
  } catch (err) {
    await repository.finishCalculation(id, claimed.version, new Date(), (err as Error).message.slice(0, 300));
    throw err;
  }
  return true;
}
