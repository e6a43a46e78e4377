import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { PendingEvent, UserDoc } from '../users/user.model.ts';
import { weekSinceSignUp, withActiveWeek } from './facts/active-weeks.ts';
import { deriveFacts, type StoredFacts } from './facts/user-facts.ts';
import { onSignIn, onTick, type LifecycleChange } from './lifecycle/lifecycle-transitions.ts';

/** How a write changed the user: a sign-in moves the lifecycle and the active weeks; other changes only let time pass. */
export type ChangeKind = 'insert' | 'signin' | 'change';

/** The saved segments a user belongs to (src/insight/segments); absent: membership is left as stored. */
export interface SegmentMembership {
  /** `evaluated`: the segments this instance keeps current (dynamic, known); `matching`: those of them the user is in. */
  evaluate(user: UserDoc, now: Date): { evaluated: ReadonlySet<string>; matching: string[] };
  /** `quiet`: the segment's membership is being (re)calculated, which is its starting state: no events. */
  describe(segmentId: string): { segment_key: string; segment_name: string; quiet: boolean } | undefined;
}

/** The facts to store with a write, and the events the write causes (stored with it: see pending-events relay). */
export interface InsightUpdate { facts: StoredFacts & { rev: number }; events: PendingEvent[] }

export type UserInsight = ReturnType<typeof createUserInsight>;


/**
 * Keeps a user's facts true with every write of the profile (DESIGN: one atomic write of the user):
 * the profile's facts, the lifecycle, the weeks with a sign-in, and segment membership, plus the
 * events that follow from them (lifecycle.<state>, segment.entered / segment.exited).
 */
export function createUserInsight(config: Pick<Config, 'insight' | 'hooks'>, segments?: () => SegmentMembership | undefined) {
  const windows = config.insight.lifecycle;
  const options = {
    vocabulary: config.insight.interests,
    enrichmentEnabled: config.hooks.enabled && config.hooks.fullcontact.enabled,
    sentimentThresholds: config.hooks.sentiment,
  };

  function lifecycleOf(kind: ChangeKind, before: UserDoc | undefined, after: UserDoc, now: Date): LifecycleChange {
    if (kind === 'signin' && before) return onSignIn(before.facts, before, { windows, now });
    // A new user: its first state is an event (a welcome flow may start on lifecycle.new).
    if (kind === 'insert') {
      const first = onTick(undefined, after, { windows, now });
      return { lifecycle: first.lifecycle, entered: [first.lifecycle] };
    }
    return onTick(before?.facts, after, { windows, now });
  }

  function activeWeeks(kind: ChangeKind, before: UserDoc | undefined, after: UserDoc, now: Date): number[] {
    const weeks = before?.facts?.active_weeks ?? [];
    const signedInNow = kind === 'signin' || (kind === 'insert' && (after.logins_count ?? 0) > 0);
    return signedInNow ? withActiveWeek(weeks, weekSinceSignUp(after.created_at, now)) : [...weeks];
  }

  return {
    windows,
    /** `after`: the user as this write leaves it; `before`: as stored before it (none for an insert). */
    update(kind: ChangeKind, before: UserDoc | undefined, after: UserDoc, now = new Date()): InsightUpdate {
      const lifecycle = lifecycleOf(kind, before, after, now);
      const facts: StoredFacts & { rev: number } = {
        ...deriveFacts(after, { ...options, now }),
        lifecycle: lifecycle.lifecycle,
        active_weeks: activeWeeks(kind, before, after, now),
        rev: (before?.facts as { rev?: number } | undefined)?.rev ?? 0,
      };
      facts.rev += 1;
      const events: PendingEvent[] = lifecycle.entered.map((entered) => event(`lifecycle.${entered.state}`, entered.since, { state: entered.state, since: entered.since }));
      const membership = segments?.();
      const stored = before?.facts?.segments ?? [];
      if (!membership) {
        if (stored.length) facts.segments = stored;
        return { facts, events };
      }
      const { evaluated, matching } = membership.evaluate({ ...after, facts }, now);
      // Segments this instance does not evaluate (static ones, or one created a moment ago elsewhere) stay as stored.
      facts.segments = [...stored.filter((id) => !evaluated.has(id)), ...matching];
      const change = (type: string, id: string) => {
        const { quiet, ...described } = membership.describe(id) ?? { quiet: true };
        if (!quiet) events.push(event(type, now, { segment_id: id, ...described }));
      };
      for (const id of matching.filter((s) => !stored.includes(s))) change('segment.entered', id);
      for (const id of stored.filter((s) => evaluated.has(s) && !matching.includes(s))) change('segment.exited', id);
      return { facts, events };
    },
  };
}

/** The id names the event for consumers to de-duplicate on; time first, so ids sort like log_ids. */
function event(type: string, at: Date, data: Record<string, unknown>): PendingEvent {
  return { id: `${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`, type, at, data };
}
