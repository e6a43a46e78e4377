import type { Connection } from 'mongoose';
import type { EndedAuthorization } from './backchannel-logout.ts';
import { FLOW_COLLECTION } from './flow-collection.ts';

// oidc-provider models that belong to one account (in the flow collection, see flow-collection.ts).
const TOKEN_MODELS = ['Grant', 'RefreshToken', 'AccessToken', 'AuthorizationCode'];

/** Ends every session and revokes every token of an account (a password reset, a block, a deletion). */
export type EndSessions = (accountId: string) => Promise<void>;

interface StoredSession {
  _id: string;
  payload: { accountId?: string; authorizations?: Record<string, { sid?: string }> };
  expiresAt?: Date;
}

/**
 * Ends every session and revokes every token of a user: each instance reads these records from
 * MongoDB on every use, so deleting them takes effect everywhere at once. Sessions are taken one at
 * a time (find and delete in one command), so of two revocations running together (a reset and a
 * block) each session is ended, and its clients told, by exactly one; a session signed in meanwhile
 * is taken too. Returns, for back-channel logout, each client of a live session with its `sid`.
 */
export async function revokeAllForAccount(connection: Connection, accountId: string): Promise<EndedAuthorization[]> {
  const flow = connection.collection<StoredSession>(FLOW_COLLECTION);
  const ended: EndedAuthorization[] = [];
  for (;;) {
    const session = await flow.findOneAndDelete({ model: 'Session', 'payload.accountId': accountId });
    if (!session) break;
    if (session.expiresAt && session.expiresAt <= new Date()) continue; // already over: nobody to tell
    for (const [clientId, { sid }] of Object.entries(session.payload.authorizations ?? {})) {
      if (sid) ended.push({ accountId, clientId, sid });
    }
  }
  await flow.deleteMany({ model: { $in: TOKEN_MODELS }, 'payload.accountId': accountId });
  return ended;
}

/** For the CLI, which runs no OpenID Provider: sessions end, and no client is told. */
export const endSessionsQuietly = (connection: Connection): EndSessions => async (accountId) => {
  await revokeAllForAccount(connection, accountId);
};

/**
 * Takes one client's authorization out of the account's insole session (the one whose `sid` it is),
 * as oidc-provider's own end-session does for the client that asked when the user stays signed in:
 * that client's next sign-in in the session gets a new `sid`, and the end of the session, later,
 * sends it no logout token for the old one (it already ended its sessions of it). The dashboard
 * calls it at its sign-out (signin.routes.ts), in the same process. False: no session held it.
 */
export async function forgetClientAuthorization(connection: Connection, { accountId, clientId, sid }: EndedAuthorization): Promise<boolean> {
  if (/[.$]/.test(clientId)) throw new TypeError(`forgetClientAuthorization: "${clientId}" cannot name a field`);
  const path = `payload.authorizations.${clientId}`;
  const { modifiedCount } = await connection.collection<StoredSession>(FLOW_COLLECTION).updateOne(
    { model: 'Session', 'payload.accountId': accountId, [`${path}.sid`]: sid },
    { $unset: { [path]: '' } },
  );
  return modifiedCount === 1;
}
