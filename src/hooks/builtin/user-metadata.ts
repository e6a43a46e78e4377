import { trusted, type UserChanges } from '../../users/user-changes.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { FullContactProfile } from './fullcontact-profile.ts';

export type HookUserWrites = ReturnType<typeof createHookUserWrites>;

/** The metadata keys the hooks below write: insole's enrichment, which the Management API's size cap does not count. */
export const ENRICHMENT_METADATA_KEYS = { user_metadata: ['fullcontact', 'fullcontact_profile'], app_metadata: ['fullcontact', 'sentiment_initialized', 'sentiment'] } as const;

/** What the built-in hooks write to a profile: each one atomic single-document update, with the facts it changes. */
export function createHookUserWrites(changes: UserChanges) {
  return {
    /** The full answer under user_metadata.fullcontact (as Auth0's rule template does), plus the normalised profile. */
    recordFullContactMatch(userId: string, person: Record<string, unknown>, profile: FullContactProfile, at: Date): Promise<UserDoc | null> {
      return changes.apply(userId, {
        $set: {
          'user_metadata.fullcontact': storable(person),
          'user_metadata.fullcontact_profile': profile,
          'app_metadata.fullcontact': { status: 'matched', checked_at: at },
          updated_at: at,
        },
      }, { kind: 'change' });
    },

    async recordFullContactNoMatch(userId: string, at: Date): Promise<void> {
      await changes.apply(userId, { $set: { 'app_metadata.fullcontact': { status: 'no_match', checked_at: at }, updated_at: at } }, { kind: 'change' });
    },

    /** Once per user: false when the sentiment was already recorded. */
    async recordSentiment(userId: string, sentiment: Record<string, unknown>, at: Date): Promise<boolean> {
      const recorded = await changes.apply(userId,
        { $set: { 'app_metadata.sentiment_initialized': true, 'app_metadata.sentiment': sentiment, updated_at: at } },
        { kind: 'change', where: { 'app_metadata.sentiment_initialized': trusted({ $ne: true }) } });
      return recorded !== null;
    },
  };
}

/** MongoDB refuses field names starting with "$" (and "." splits paths): such keys of a third party's JSON are dropped. */
function storable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$') && !k.includes('.')).map(([k, v]) => [k, storable(v)]));
}
