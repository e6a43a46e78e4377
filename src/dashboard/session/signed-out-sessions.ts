import type { Config } from '../../config/schema.ts';
import type { LogModel } from '../../logs/log.model.ts';
import { DASHBOARD_CLIENT_ID } from '../../oidc/dashboard-client.ts';
import { STANDING_TTL_MS } from '../../users/role-standing.ts';
import type { DashboardSession } from './session-cookie.ts';
import { insoleSessionKey, sessionKey } from './session-key.ts';
import { createSharedReads } from '../../lib/shared-reads.ts';

/**
 * How long an instance trusts what it read about a user's signed-out dashboard sessions: a copy of
 * a session cookie taken before its sign-out is refused on the instance that signed it out at once
 * (it forgets what it read), and on every other instance within this time of the sign-out's log
 * write. The same 5 s as the user's standing (role-standing.ts), read alongside it.
 */
export const SIGNED_OUT_TTL_MS = STANDING_TTL_MS;
/**
 * What the user's recent `slo` events of the dashboard end: sessions signed out of the dashboard
 * (by their key), and sessions whose insole session ended elsewhere (back-channel logout, by the key
 * of insole's sid; or, for a logout token naming only the user, every session signed in before it).
 */
export interface SignOuts {
  /** `dashboard`: the session was signed out of the dashboard; `insole`: insole's session ended elsewhere. */
  ends(session: Pick<DashboardSession, 'sid' | 'insole_sid' | 'signed_in_at'>): 'dashboard' | 'insole' | undefined;
}

interface SloDetails { dashboard_session?: unknown; insole_session?: unknown; signed_in_before?: unknown }

export interface SignedOutSessions {
  /** What ends the user's dashboard sessions that might still be replayed. */
  of(userId: string): Promise<SignOuts>;
  /** After this instance recorded a sign-out: its next request reads again. */
  forget(userId: string): void;
}

/**
 * The dashboard keeps no session store (session-cookie.ts): what ends a session on the server is
 * its sign-out's `slo` log event, which names it by its key (or, from a back-channel logout, names
 * insole's session it signed in with: backchannel-logout.routes.ts) and which every instance reads, once
 * per user per SIGNED_OUT_TTL_MS (concurrent requests share the read in flight), on the logs'
 * (user_id, date) index. So a dashboard request costs no database command of its own. A failed
 * read is not kept: the request fails and the next one tries again.
 *
 * How far back: the sign-out revokes the session's refresh token, and its access token then lives
 * at most ttl.access_token; had that revocation failed, the copy could renew until its grant ends
 * (ttl.refresh_token) and use the last token ttl.access_token more. Older sign-outs matter to nobody.
 */
export function createSignedOutSessions(logs: LogModel, ttl: Config['ttl'], { ttlMs = SIGNED_OUT_TTL_MS, now = Date.now } = {}): SignedOutSessions {
  const windowMs = (ttl.refresh_token + ttl.access_token) * 1000;

  async function read(userId: string): Promise<SignOuts> {
    const found = await logs.collection.find<{ details?: SloDetails }>(
      { user_id: userId, date: { $gte: new Date(now() - windowMs) }, type: 'slo', client_id: DASHBOARD_CLIENT_ID },
      { projection: { _id: 0, 'details.dashboard_session': 1, 'details.insole_session': 1, 'details.signed_in_before': 1 } },
    ).toArray();
    return signOutsOf(found.map((log) => log.details ?? {}));
  }

  const reads = createSharedReads(read, { ttlMs, now });
  return { of: reads.get, forget: reads.forget };
}

function signOutsOf(events: SloDetails[]): SignOuts {
  const strings = (values: unknown[]) => new Set(values.filter((key): key is string => typeof key === 'string'));
  const dashboard = strings(events.map((details) => details.dashboard_session));
  const insole = strings(events.map((details) => details.insole_session));
  const before = Math.max(-1, ...events.map((details) => details.signed_in_before).filter((at): at is number => typeof at === 'number'));
  return {
    ends(session) {
      if (dashboard.has(sessionKey(session.sid))) return 'dashboard';
      if (session.insole_sid !== undefined && insole.has(insoleSessionKey(session.insole_sid))) return 'insole';
      return (session.signed_in_at ?? 0) < before ? 'insole' : undefined;
    },
  };
}
