import type { Config } from '../../config/schema.ts';
import type { FullContactClient } from '../../integrations/fullcontact.client.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { DurableHook } from '../jobs/durable-hook.ts';
import { RetryLater } from '../jobs/job-outcome.ts';
import { normaliseFullContact } from './fullcontact-profile.ts';
import type { HookUserWrites } from './user-metadata.ts';

const DAY_MS = 24 * 3600_000;

/** When FullContact was last asked about this user (matched or not), from app_metadata.fullcontact. */
function checkedAt(user: UserDoc): Date | undefined {
  const value = (user.app_metadata?.fullcontact as { checked_at?: unknown } | undefined)?.checked_at;
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/**
 * FullContact enrichment (Auth0's "Enrich profile with FullContact" rule, made durable): users with
 * an email, not asked about for `refresh_after_days`. 404 is an answer ("no match"), not an error;
 * 202 means FullContact is still searching: ask again later.
 */
export function createFullContactHook(settings: Config['hooks']['fullcontact'], client: FullContactClient, writes: HookUserWrites): DurableHook {
  const refreshMs = settings.refresh_after_days * DAY_MS;
  return {
    name: 'fullcontact',
    timeoutMs: settings.timeout_ms,
    appliesTo(user, now) {
      const last = checkedAt(user);
      return Boolean(user.email) && (!last || now.getTime() - last.getTime() >= refreshMs);
    },
    // One job per user and enrichment round: every sign-in before the round is done shares the key.
    key: (user) => `fullcontact:${user.user_id}:${checkedAt(user)?.toISOString() ?? 'never'}`,
    async run(user, ctx) {
      const answer = await client.enrich(user.email!, ctx.signal);
      if (answer.kind === 'searching') throw new RetryLater('FullContact is still searching (HTTP 202)');
      if (answer.kind === 'no_match') {
        await writes.recordFullContactNoMatch(user.user_id, ctx.now);
        return { match: false };
      }
      const profile = normaliseFullContact(answer.person);
      const updated = await writes.recordFullContactMatch(user.user_id, answer.person, profile, ctx.now);
      // A Twitter handle found by FullContact makes the sentiment hook possible for this user.
      if (updated && profile.twitter) await ctx.followUp('sentiment', updated);
      return { match: true, twitter: Boolean(profile.twitter) };
    },
  };
}
