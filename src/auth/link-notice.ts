import { PASSWORD_CONNECTION } from '../users/password-user.ts';
import { CONNECTION_LABELS } from './passport-setup.ts';
import { SOCIAL_CONNECTIONS, type SocialConnection } from './profile-mapping.ts';

const isSocial = (connection: string): connection is SocialConnection => (SOCIAL_CONNECTIONS as readonly string[]).includes(connection);

/**
 * What the sign-in page says when a social identity waits to be linked to an existing account: how
 * to prove the account is yours. An account without a password cannot be signed in to with the form
 * below the notice, so it names the providers the account signs in with instead (`accountConnections`
 * is empty when the address is not the provider's word: social.routes.ts).
 */
export function linkNotice(email: string, connection: SocialConnection, accountConnections: readonly string[]): string {
  const joining = CONNECTION_LABELS[connection];
  const social = [...new Set(accountConnections.filter(isSocial))];
  if (accountConnections.includes(PASSWORD_CONNECTION) || social.length === 0) {
    return `You already have an account with ${email}. Sign in to it once to connect ${joining}.`;
  }
  const ways = social.map((c) => CONNECTION_LABELS[c]).join(' or ');
  return `You already have an account with ${email}, which you signed in to with ${ways}. Continue with ${ways} once to connect ${joining}.`;
}
