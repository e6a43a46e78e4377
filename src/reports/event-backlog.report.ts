import type { Collection } from 'mongoose';
import { HAS_PENDING_EVENTS, type UserModel } from '../users/user.model.ts';

export interface EventBacklog {
  /** event_outbox records not yet confirmed by the broker (staged or ready), not expired. */
  outbox_unsent: number;
  oldest_unsent_at: Date | null;
  /** Insight events still on user documents (pending_events), not yet moved to the outbox. */
  users_with_pending_events: number;
  pending_events: number;
  oldest_pending_at: Date | null;
}

const UNSENT = ['new', 'ready'];

/**
 * How far the event relay is behind (src/events, src/insight/events). The outbox is read through
 * its { state, created_at } index, and an expired record is not counted (TTL is best effort: reads
 * filter on expiry). Users with pending events are found through the sparse pending_events.0.at
 * index, so the $group sees only them.
 */
export function unsentOutboxFilter(now: Date): Record<string, unknown> {
  return { state: { $in: UNSENT }, $or: [{ expires_at: { $gt: now } }, { expires_at: { $exists: false } }] };
}

export async function runEventBacklog(outbox: Collection, users: UserModel, now: Date): Promise<EventBacklog> {
  const unsent = unsentOutboxFilter(now);
  const [outbox_unsent, [oldest], [pending]] = await Promise.all([
    outbox.countDocuments(unsent),
    outbox.find(unsent, { sort: { created_at: 1 }, limit: 1, projection: { created_at: 1 } }).toArray(),
    users.collection.aggregate<{ users: number; events: number; oldest: Date | null }>([
      { $match: HAS_PENDING_EVENTS },
      { $group: { _id: null, users: { $sum: 1 }, events: { $sum: { $size: '$pending_events' } }, oldest: { $min: { $arrayElemAt: ['$pending_events.at', 0] } } } },
    ]).toArray(),
  ]);
  return {
    outbox_unsent, oldest_unsent_at: (oldest?.created_at as Date | undefined) ?? null,
    users_with_pending_events: pending?.users ?? 0, pending_events: pending?.events ?? 0, oldest_pending_at: pending?.oldest ?? null,
  };
}
