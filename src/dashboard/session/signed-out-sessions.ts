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
    const found = await logs.collection.find<{ date?: Date; details?: SloDetails }>(
      { user_id: userId, date: { $gte: new Date(now() - windowMs) }, type: 'slo', client_id: DASHBOARD_CLIENT_ID },
      { projection: { _id: 0, date: 1, 'details.dashboard_session': 1, 'details.insole_session': 1, 'details.signed_in_before': 1 } },
    ).toArray();
    return signOutsOf(found.map((log) => ({ ...log.details, at: log.date })));
  }

  const reads = createSharedReads(read, { ttlMs, now });
  return { of: reads.get, forget: reads.forget };
}

/**
 * insole's sessions ended, by key, with the last sign-in time (seconds) they end: a back-channel
 * logout's, every sign-in (the session is over, none can follow); the dashboard's own sign-out's
 * (it left that insole session, signin.routes.ts), those up to it: a sign-in after it with the same
 * sid (the authorization put back by a request that saved the session meanwhile) carries on.
 */
function insoleEnds(events: (SloDetails & { at?: Date })[]): Map<string, number> {
  const ends = new Map<string, number>();
  for (const { insole_session, dashboard_session, at } of events) {
    if (typeof insole_session !== 'string') continue;
    const until = dashboard_session === undefined ? Infinity : Math.floor((at?.getTime() ?? 0) / 1000);
    ends.set(insole_session, Math.max(until, ends.get(insole_session) ?? -1));
  }
  return ends;
}

function signOutsOf(events: (SloDetails & { at?: Date })[]): SignOuts {
  const dashboard = new Set(events.map((details) => details.dashboard_session).filter((key): key is string => typeof key === 'string'));
  const insole = insoleEnds(events);
  const before = Math.max(-1, ...events.map((details) => details.signed_in_before).filter((at): at is number => typeof at === 'number'));
  return {
    ends(session) {
      if (dashboard.has(sessionKey(session.sid))) return 'dashboard';
      const insoleUntil = session.insole_sid === undefined ? undefined : insole.get(insoleSessionKey(session.insole_sid));
      if (insoleUntil !== undefined && (session.signed_in_at ?? 0) <= insoleUntil) return 'insole';
      return (session.signed_in_at ?? 0) < before ? 'insole' : undefined;
    },
  };
}
