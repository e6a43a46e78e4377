import { afterDays, type LifecycleWindows } from './lifecycle-windows.ts';

/**
 * Where a shopper is in their life with the store, from sign-up and sign-in history:
 * - `new`: signed up less than new_days ago and not back since the sign-up session;
 * - `never_returned`: signed up new_days ago or more and never back (the win-back target);
 * - `active`: came back, and signed in within active_days;
 * - `lapsing`: came back, last signed in active_days to dormant_days ago;
 * - `dormant`: came back once, but not signed in for dormant_days;
 * - `reactivated`: signed in while dormant or never_returned; lasts active_days from that sign-in,
 *   then is `active` if they signed in again since, else lapsing (a win-back that did not stick).
 * All windows are half-open: at exactly created_at + new_days a silent sign-up is never_returned.
 */
export const LIFECYCLE_STATES = ['new', 'active', 'lapsing', 'dormant', 'never_returned', 'reactivated'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export interface Lifecycle {
  state: LifecycleState;
  /** When the user entered the state (time-driven states: the exact moment the window closed). */
  since: Date;
}

export interface SignInHistory {
  created_at: Date;
  last_login?: Date | null;
  logins_count: number;
  /** The state known so far: needed for `reactivated`, and to keep when `active` began. */
  previous?: Lifecycle;
}

/**
 * Whether the shopper came back after the sign-up session. The sign-up session is the first login:
 * the sign-up itself (social, or password without verify-first), or the emailed link's
 * confirmation (verify-first). Imported and verify-first users start at 0 logins. So: a second
 * login is a return; and a FIRST login at or after new_days is one too (an imported user, or a
 * link opened weeks later, arriving as never_returned: that is what win-back hopes for).
 */
function cameBack({ created_at, last_login, logins_count }: SignInHistory, windows: LifecycleWindows): boolean {
  if (logins_count >= 2) return true;
  return logins_count === 1 && Boolean(last_login) && last_login! >= afterDays(created_at, windows.new_days);
}

/** The state the history shows by itself at `now`, without what came before. */
function stateOfHistory(history: SignInHistory, windows: LifecycleWindows, now: Date): Lifecycle {
  const newUntil = afterDays(history.created_at, windows.new_days);
  if (!cameBack(history, windows)) return now < newUntil ? { state: 'new', since: history.created_at } : { state: 'never_returned', since: newUntil };
  const last = history.last_login ?? history.created_at;
  const activeUntil = afterDays(last, windows.active_days);
  const dormantFrom = afterDays(last, windows.dormant_days);
  if (now < activeUntil) return { state: 'active', since: last };
  return now < dormantFrom ? { state: 'lapsing', since: activeUntil } : { state: 'dormant', since: dormantFrom };
}

/**
 * The user's state at `now`. The previous state decides what an active-looking history means:
 * back from dormant or never_returned → reactivated (since that sign-in); still within a
 * reactivation → reactivated; already active → active since it began.
 */
export function lifecycleOf(history: SignInHistory, windows: LifecycleWindows, now: Date): Lifecycle {
  const current = stateOfHistory(history, windows, now);
  const previous = history.previous;
  if (current.state !== 'active' || !previous) return current;
  switch (previous.state) {
    case 'active':
      return previous;
    case 'dormant':
    case 'never_returned':
      return { state: 'reactivated', since: current.since };
    case 'reactivated': {
      const end = afterDays(previous.since, windows.active_days);
      return now < end ? previous : { state: 'active', since: end };
    }
    default:
      return current;
  }
}
