import type { UserDoc, UserModel } from '../../users/user.model.ts';
import type { UserChanges } from '../../users/user-changes.ts';
import type { InterestVocabulary } from '../facts/interest-vocabulary.ts';
import { calculateSegment, segmentMembersFilter } from './segment-calculation.ts';
import type { SegmentRegistry } from './segment-registry.ts';
import type { SegmentDoc, SegmentRepository } from './segment.repository.ts';
import type { Logger } from '../../lib/logger.ts';

const BATCH = 500;

export interface SegmentSweepDeps {
  users: UserModel; changes: UserChanges; repository: SegmentRepository; registry: SegmentRegistry; vocabulary: InterestVocabulary; logger: Logger;
}

/**
 * What profile writes cannot see: time passing ("signed in within 30 days" stops holding with no
 * write at all), calculations a crashed instance left half-done, and ids of recently deleted segments.
 * The users whose membership is out of date are found with two queries per segment (should be
 * in, is not; is in, should not be) and rewritten through the change funnel, which records their
 * segment.entered / segment.exited events like any other change.
 */
export async function sweepSegments(deps: SegmentSweepDeps, now: Date): Promise<number> {
  const { users, repository, registry } = deps;
  await registry.refresh(now);
  const segments = await repository.list();
  let moved = 0;
  for (const segment of segments) {
    // One segment that cannot be swept (a filter stored before a rule that now refuses it) must not
    // stop the sweep of the others, nor the clean-up of deleted ones below, at every sweep from then on.
    try {
      moved += await sweepOne(deps, segment, now);
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message }, segment: segment._id }, 'a saved segment could not be swept; the others were');
    }
  }
  // Memberships of deleted segments that an instance wrote before it re-read the segments.
  const deleted = await repository.recentlyDeleted(now);
  if (deleted.length) await users.collection.updateMany({ 'facts.segments': { $in: deleted } }, { $pull: { 'facts.segments': { $in: deleted } } } as never);
  return moved;
}

/** One segment: its pending calculation, or the users time moved in or out of it. Answers how many moved. */
async function sweepOne(deps: SegmentSweepDeps, segment: SegmentDoc, now: Date): Promise<number> {
  const { users, changes, repository, vocabulary } = deps;
  if (segment.is_calculating) {
    if (!segment.calculating_until || segment.calculating_until <= now) await calculateSegment(deps, segment, now);
    return 0;
  }
  if (segment.type !== 'dynamic') return 0;
  let moved = 0;
  const members = segmentMembersFilter(segment, vocabulary, now);
  for (const stale of [{ $and: [members, { 'facts.segments': { $ne: segment._id } }] }, { $and: [{ 'facts.segments': segment._id }, { $nor: [members] }] }]) {
    const found = await users.collection.find<UserDoc>(stale, { limit: BATCH, projection: { password_hash: 0 } }).toArray();
    for (const user of found) if (await changes.apply(user.user_id, { $set: {} }, { kind: 'change', before: user, now })) moved++;
  }
  await repository.touchCalculated(segment._id, now);
  return moved;
}
