import type { LifecycleState } from './lifecycle-state.ts';
import { afterDays, type LifecycleWindows } from './lifecycle-windows.ts';

/** Where the lifecycle is stored on the user document. */
export const LIFECYCLE_STATE_PATH = 'facts.lifecycle.state';
export const LIFECYCLE_SINCE_PATH = 'facts.lifecycle.since';

/** Users in `state` whose `field` is at or before `at_or_before` may have changed state by time alone. */
export interface SweepCondition {
  state: LifecycleState;
  field: 'created_at' | 'last_login' | typeof LIFECYCLE_SINCE_PATH;
  at_or_before: Date;
}

/**
 * Which users time alone may have moved at `now`, as date thresholds the sweep can query with an
 * index (state, date) instead of scanning everyone; onTick then says what they became. Exactly the
 * windows of lifecycleOf (half-open: a window of N days is closed at its start + N days):
 * new → never_returned, active → lapsing/dormant, lapsing → dormant, reactivated → active/lapsing.
 * dormant and never_returned change only at a sign-in. Users without a stored lifecycle are the
 * reindex's business, not the sweep's.
 */
export function sweepThresholds(windows: LifecycleWindows, now: Date): SweepCondition[] {
  const ago = (days: number) => afterDays(now, -days);
  return [
    { state: 'new', field: 'created_at', at_or_before: ago(windows.new_days) },
    { state: 'active', field: 'last_login', at_or_before: ago(windows.active_days) },
    { state: 'lapsing', field: 'last_login', at_or_before: ago(windows.dormant_days) },
    { state: 'reactivated', field: LIFECYCLE_SINCE_PATH, at_or_before: ago(windows.active_days) },
  ];
}
