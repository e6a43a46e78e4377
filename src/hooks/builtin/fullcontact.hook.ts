import { createHash } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import type { FullContactClient } from '../../integrations/fullcontact.client.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { DurableHook } from '../jobs/durable-hook.ts';
import { RetryLater } from '../jobs/job-outcome.ts';
import { normaliseFullContact } from './fullcontact-profile.ts';
import type { HookUserWrites } from './user-metadata.ts';

const DAY_MS = 24 * 3600_000;
const ADDRESS_CHANGED = 'the address changed (or is no longer verified) during the look-up: not stored';

/** When FullContact was last asked about this user (matched or not), from app_metadata.fullcontact. */
function checkedAt(user: UserDoc): Date | undefined {
  const value = (user.app_metadata?.fullcontact as { checked_at?: unknown } | undefined)?.checked_at;
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** A short fingerprint of the address in the job's key: a new address is a new round of work, and the key shows no address. */
const addressTag = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 16);

/**
 * FullContact enrichment (Auth0's "Enrich profile with FullContact" rule, made durable): users with
 * a verified email, not asked about for `refresh_after_days`. Only a verified address is sent:
 * anyone may sign up with anyone's email, and what FullContact knows of that person must not land
 * on the profile of whoever typed it (README "Hooks"). 404 is an answer ("no match"), not an
 * error; 202 means FullContact is still searching: ask again later.
 */
export function createFullContactHook(settings: Config['hooks']['fullcontact'], client: FullContactClient, writes: HookUserWrites): DurableHook {
  const refreshMs = settings.refresh_after_days * DAY_MS;
  return {
    name: 'fullcontact',
    timeoutMs: settings.timeout_ms,
    appliesTo(user, now) {
      const last = checkedAt(user);
      return Boolean(user.email) && user.email_verified === true && (!last || now.getTime() - last.getTime() >= refreshMs);
    },
    // One job per user, address and enrichment round: every sign-in before the round is done shares
    // the key; a changed address (its enrichment cleared, user-admin.service.ts) starts a new one.
    key: (user) => `fullcontact:${user.user_id}:${addressTag(user.email ?? '')}:${checkedAt(user)?.toISOString() ?? 'never'}`,
    async run(user, ctx) {
      const answer = await client.enrich(user.email!, ctx.signal);
      if (answer.kind === 'searching') throw new RetryLater('FullContact is still searching (HTTP 202)');
      // Written only while the profile still has the address asked about, verified: it may have changed meanwhile.
      const asked = { userId: user.user_id, email: user.email!, at: ctx.now };
      if (answer.kind === 'no_match') {
        const recorded = await writes.recordFullContactNoMatch(asked);
        return recorded ? { match: false } : { skipped: ADDRESS_CHANGED };
      }
      const profile = normaliseFullContact(answer.person);
      const updated = await writes.recordFullContactMatch(asked, answer.person, profile);
      if (!updated) return { skipped: ADDRESS_CHANGED };
      // A Twitter handle found by FullContact makes the sentiment hook possible for this user.
      if (profile.twitter) await ctx.followUp('sentiment', updated);
      return { match: true, twitter: Boolean(profile.twitter) };
    },
  };
}
