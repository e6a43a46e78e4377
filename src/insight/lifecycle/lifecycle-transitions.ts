import type { UserDoc } from '../../users/user.model.ts';
import { lifecycleOf, type Lifecycle, type SignInHistory } from './lifecycle-state.ts';
import { afterDays, type LifecycleWindows } from './lifecycle-windows.ts';

type History = Pick<UserDoc, 'created_at' | 'last_login' | 'logins_count'>;
type StoredLifecycle = { lifecycle?: Lifecycle } | null | undefined;

export interface LifecycleChange {
  /** The state now. */
  lifecycle: Lifecycle;
  /** The states entered since the stored one, oldest first (each an event); empty when nothing changed. */
  entered: Lifecycle[];
}

export interface LifecycleClock {
  windows: LifecycleWindows;
  now: Date;
}

const historyOf = (user: History): SignInHistory => ({ created_at: user.created_at, last_login: user.last_login, logins_count: user.logins_count ?? 0 });

/**
 * The moments after `from` and up to `now` at which time alone can change the state: a window
 * closing after sign-up, after the last sign-in, or after a reactivation.
 */
function windowEdges(history: SignInHistory, previous: Lifecycle, windows: LifecycleWindows, now: Date): Date[] {
  const last = history.last_login ?? undefined;
  const from = Math.max(previous.since.getTime(), last?.getTime() ?? -Infinity);
  const edges = [
    afterDays(history.created_at, windows.new_days),
    ...(last ? [afterDays(last, windows.active_days), afterDays(last, windows.dormant_days)] : []),
    ...(previous.state === 'reactivated' ? [afterDays(previous.since, windows.active_days)] : []),
  ];
  return edges.filter((t) => t.getTime() > from && t <= now).sort((a, b) => a.getTime() - b.getTime());
}

/**
 * Time passing (the periodic sweep, or a write that has the user at hand): the stored state brought
 * to `now`. A late sweep still reports every state passed through (active → lapsing → dormant), each
 * at the moment its window closed. No stored state yet (first computation): the state, no events.
 * Assumes every sign-in went through onSignIn; if one did not, the final state is still right.
 */
export function onTick(facts: StoredLifecycle, user: History, { windows, now }: LifecycleClock): LifecycleChange {
  const history = historyOf(user);
  const stored = facts?.lifecycle;
  if (!stored) return { lifecycle: lifecycleOf(history, windows, now), entered: [] };
  const entered: Lifecycle[] = [];
  let current = stored;
  for (const at of [...windowEdges(history, stored, windows, now), now]) {
    const next = lifecycleOf({ ...history, previous: current }, windows, at);
    if (next.state !== current.state) entered.push(next);
    current = next;
  }
  return { lifecycle: current, entered };
}

/**
 * A sign-in at `now`, given the user as stored before it (logins_count not yet counted): the
 * stored state is first brought to `now` (a dormant shopper may still be stored as active if the
 * sweep has not run), then the sign-in applies.
 */
export function onSignIn(previousFacts: StoredLifecycle, userBeforeSignIn: History, clock: LifecycleClock): LifecycleChange {
  const before = onTick(previousFacts, userBeforeSignIn, clock);
  const history: SignInHistory = { ...historyOf(userBeforeSignIn), last_login: clock.now, logins_count: (userBeforeSignIn.logins_count ?? 0) + 1 };
  const lifecycle = lifecycleOf({ ...history, previous: before.lifecycle }, clock.windows, clock.now);
  const changed = lifecycle.state !== before.lifecycle.state;
  return { lifecycle, entered: changed ? [...before.entered, lifecycle] : before.entered };
}
