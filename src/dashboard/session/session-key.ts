import { createHash } from 'node:crypto';

/**
 * What names a dashboard session outside its cookie (the sign-out log event the live streams of
 * every instance watch for): a hash of its sid, since the sid itself binds the session's CSRF
 * tokens and a log event may be read by anyone with read:logs.
 */
export function sessionKey(sid: string): string {
  return createHash('sha256').update(`insole-dashboard-session:${sid}`).digest('base64url').slice(0, 22);
}

/** What names insole's session (the ID token's `sid`) in a back-channel sign-out's log event: hashed the same way, for the same readers. */
export function insoleSessionKey(insoleSid: string): string {
  return createHash('sha256').update(`insole-session:${insoleSid}`).digest('base64url').slice(0, 22);
}
