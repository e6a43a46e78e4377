import { trusted, type UserChanges } from '../../users/user-changes.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { FullContactProfile } from './fullcontact-profile.ts';
import { twitterHandleOf } from './twitter-handle.ts';

export type HookUserWrites = ReturnType<typeof createHookUserWrites>;

/** The metadata keys the hooks below write: insole's enrichment, which the Management API's size cap does not count. */
export const ENRICHMENT_METADATA_KEYS = { user_metadata: ['fullcontact', 'fullcontact_profile'], app_metadata: ['fullcontact', 'sentiment_initialized', 'sentiment'] } as const;

/** What the built-in hooks write to a profile: each one atomic single-document update, with the facts it changes. */
export function createHookUserWrites(changes: UserChanges) {
  return {
    /** The full answer under user_metadata.fullcontact (as Auth0's rule template does), plus the normalised profile. Null: the address changed. */
    recordFullContactMatch({ userId, email, at }: AskedAbout, person: Record<string, unknown>, profile: FullContactProfile): Promise<UserDoc | null> {
      return changes.apply(userId, {
        $set: {
          'user_metadata.fullcontact': storable(person),
          'user_metadata.fullcontact_profile': profile,
          'app_metadata.fullcontact': { status: 'matched', checked_at: at },
          updated_at: at,
        },
      }, { kind: 'change', where: stillVerified(email) });
    },

    /** False: the address changed. */
    async recordFullContactNoMatch({ userId, email, at }: AskedAbout): Promise<boolean> {
      const recorded = await changes.apply(userId, { $set: { 'app_metadata.fullcontact': { status: 'no_match', checked_at: at }, updated_at: at } }, { kind: 'change', where: stillVerified(email) });
      return recorded !== null;
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

/**
 * What the hooks learnt from the user's address, as paths to unset when the address changes: the
 * FullContact answer, and the sentiment when its X handle came from that answer (not from an X
 * identity). The new address is looked up once it is verified, as a new user's is.
 */
export function enrichmentOfAddress(user: UserDoc): string[] {
  const paths = ['user_metadata.fullcontact', 'user_metadata.fullcontact_profile', 'app_metadata.fullcontact'];
  const { fullcontact_profile: _found, ...ownMetadata } = user.user_metadata ?? {};
  const handleFromFullContact = twitterHandleOf(user) !== undefined && twitterHandleOf({ ...user, user_metadata: ownMetadata }) === undefined;
  if (handleFromFullContact) paths.push('app_metadata.sentiment', 'app_metadata.sentiment_initialized');
  return paths.filter((path) => valueAt(user, path) !== undefined);
}

const valueAt = (user: UserDoc, path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], user);

/** Whom FullContact was asked about, and when. */
export interface AskedAbout { userId: string; email: string; at: Date }

/** An answer about `email` belongs on the profile only while the profile has that address, verified. */
const stillVerified = (email: string) => ({ email: String(email), email_verified: true });

/** MongoDB refuses field names starting with "$" (and "." splits paths): such keys of a third party's JSON are dropped. */
function storable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$') && !k.includes('.')).map(([k, v]) => [k, storable(v)]));
}
