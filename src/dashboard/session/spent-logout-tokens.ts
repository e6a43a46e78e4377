import type { Connection } from 'mongoose';
import { indexBuilds } from '../../db/index-builds.ts';
import { isDuplicateKeyError } from '../../db/duplicate-keys.ts';

interface SpentLogoutToken { _id: string; expires_at: Date }

/** Kept this much longer than this instance's clock accepts the token: for instances whose clocks run behind. */
const CLOCK_SKEW_MARGIN_SECONDS = 300;

/**
 * The logout tokens the dashboard accepted, by `jti`, until they would fail the age check anyway
 * (logout-token.ts): OpenID Connect Back-Channel Logout 1.0 §2.6 suggests remembering them so
 * that a captured token is not used again. In MongoDB, so that every instance refuses a token any
 * one of them accepted: the insert decides (the `_id` is the jti, unique), never a read before it.
 * The TTL index only clears them away; a record outliving its token changes nothing.
 */
export function createSpentLogoutTokens(connection: Connection) {
  const records = connection.collection<SpentLogoutToken>('dashboard_logout_tokens');
  const ready = indexBuilds(() => records.createIndex({ expires_at: 1 }, { expireAfterSeconds: 0 }));
  return {
    /** True the first time `jti` is spent; false when it was already (a replay). `acceptedUntil`: in seconds. */
    async spend(jti: string, acceptedUntil: number): Promise<boolean> {
      await ready();
      try {
        await records.insertOne({ _id: jti, expires_at: new Date((acceptedUntil + CLOCK_SKEW_MARGIN_SECONDS) * 1000) });
        return true;
      } catch (err) {
        if (isDuplicateKeyError(err)) return false;
        throw err;
      }
    },
  };
}

export type SpentLogoutTokens = ReturnType<typeof createSpentLogoutTokens>;
