import type { UserDoc, UserModel } from '../../users/user.model.ts';
import type { UserChanges } from '../../users/user-changes.ts';
import type { InterestVocabulary } from '../facts/interest-vocabulary.ts';
import { calculateSegment, segmentMembersFilter } from './segment-calculation.ts';
import type { SegmentRegistry } from './segment-registry.ts';
import type { SegmentRepository } from './segment.repository.ts';

const BATCH = 500;

export interface SegmentSweepDeps {
  users: UserModel; changes: UserChanges; repository: SegmentRepository; registry: SegmentRegistry; vocabulary: InterestVocabulary;
}

/**
 * What profile writes cannot see: time passing ("signed in within 30 days" stops holding with no
 * write at all), calculations a crashed instance left half-done, and ids of recently deleted segments.
 * The users whose membership is out of date are found with two queries per segment (should be
 * in, is not; is in, should not be) and rewritten through the change funnel, which records their
 * segment.entered / segment.exited events like any other change.
 */
export async function sweepSegments(deps: SegmentSweepDeps, now: Date): Promise<number> {
  const { users, changes, repository, registry, vocabulary } = deps;
  await registry.refresh(now);
  const segments = await repository.list();
  let moved = 0;
  for (const segment of segments) {
    if (segment.is_calculating) {
      if (!segment.calculating_until || segment.calculating_until <= now) await calculateSegment(deps, segment, now);
      continue;
    }
    if (segment.type !== 'dynamic') continue;
    const members = segmentMembersFilter(segment, vocabulary, now);
    for (const stale of [{ $and: [members, { 'facts.segments': { $ne: segment._id } }] }, { $and: [{ 'facts.segments': segment._id }, { $nor: [members] }] }]) {
      const found = await users.collection.find<UserDoc>(stale, { limit: BATCH, projection: { password_hash: 0 } }).toArray();
      for (const user of found) if (await changes.apply(user.user_id, { $set: {} }, { kind: 'change', before: user, now })) moved++;
    }
    await repository.touchCalculated(segment._id, now);
  }
  // Memberships of deleted segments that an instance wrote before it re-read the segments.
  const deleted = await repository.recentlyDeleted(now);
  if (deleted.length) await users.collection.updateMany({ 'facts.segments': { $in: deleted } }, { $pull: { 'facts.segments': { $in: deleted } } } as never);
  return moved;
}
