import { weekSinceSignUp, withActiveWeek } from '../../insight/facts/active-weeks.ts';
import { deriveFacts, type DeriveOptions, type StoredFacts } from '../../insight/facts/user-facts.ts';
import type { Lifecycle } from '../../insight/lifecycle/lifecycle-state.ts';
import { onSignIn, onTick } from '../../insight/lifecycle/lifecycle-transitions.ts';
import type { LifecycleWindows } from '../../insight/lifecycle/lifecycle-windows.ts';
import type { UserDoc } from '../../users/user.model.ts';

/**
 * The lifecycle the sign-in path and the sweep would have kept: set at the sign-up (the first
 * login), moved by onSignIn at every return, and brought to `now` by onTick. onTick walks every
 * window that closed in between, so it makes no difference how often the sweep would have run.
 */
export function lifecycleAfter(signIns: readonly Date[], windows: LifecycleWindows, now: Date): Lifecycle {
  const created_at = signIns[0];
  let user = { created_at, last_login: created_at, logins_count: 1 };
  let lifecycle = onTick(undefined, user, { windows, now: created_at }).lifecycle;
  for (const at of signIns.slice(1)) {
    lifecycle = onSignIn({ lifecycle }, user, { windows, now: at }).lifecycle;
    user = { created_at, last_login: at, logins_count: user.logins_count + 1 };
  }
  return onTick({ lifecycle }, user, { windows, now }).lifecycle;
}

/** The weeks since sign-up with a sign-in, as each sign-in would have added them. */
export function activeWeeksOf(signIns: readonly Date[]): number[] {
  return signIns.reduce<number[]>((weeks, at) => withActiveWeek(weeks, weekSinceSignUp(signIns[0], at)), []);
}

/**
 * `facts` exactly as production stores them: the profile's facts (deriveFacts, with the
 * configured vocabulary and thresholds), the lifecycle and the active weeks. No `segments`:
 * membership is calculated when a segment is saved.
 */
export function storedFactsOf(user: UserDoc, signIns: readonly Date[], options: DeriveOptions & { windows: LifecycleWindows }): StoredFacts {
  const { windows, ...derive } = options;
  return { ...deriveFacts(user, derive), lifecycle: lifecycleAfter(signIns, windows, derive.now), active_weeks: activeWeeksOf(signIns) };
}
