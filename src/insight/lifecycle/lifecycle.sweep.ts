import type { UserDoc, UserModel } from '../../users/user.model.ts';
import type { UserChanges } from '../../users/user-changes.ts';
import { LIFECYCLE_STATE_PATH, sweepThresholds } from './lifecycle-sweep.ts';
import type { LifecycleWindows } from './lifecycle-windows.ts';

const BATCH = 500;

/**
 * Time alone moves shoppers on (active → lapsing → dormant, new → never_returned): the users each
 * window may have moved, found through the (state, date) indexes, are rewritten through the change
 * funnel, which brings their lifecycle (and their time-based segments) to `now` and records the events.
 */
export async function sweepLifecycle({ users, changes, windows }: { users: UserModel; changes: UserChanges; windows: LifecycleWindows }, now: Date): Promise<number> {
  let moved = 0;
  for (const condition of sweepThresholds(windows, now)) {
    for (;;) {
      const batch = await users.collection.find<UserDoc>(
        { [LIFECYCLE_STATE_PATH]: condition.state, [condition.field]: { $lte: condition.at_or_before } },
        { limit: BATCH, projection: { password_hash: 0 } },
      ).toArray();
      let movedNow = 0;
      for (const user of batch) {
        const after = await changes.apply(user.user_id, { $set: {} }, { kind: 'change', before: user, now });
        if (after?.facts?.lifecycle?.state !== condition.state) movedNow++;
      }
      moved += movedNow;
      // A moved user no longer matches; a batch where nobody moved would only come back again.
      if (batch.length < BATCH || movedNow === 0) break;
    }
  }
  return moved;
}
