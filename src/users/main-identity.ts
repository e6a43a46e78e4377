import { ConflictError } from '../errors/app-error.ts';
import { PASSWORD_CONNECTION } from './password-user.ts';
import type { Identity, UserDoc } from './user.model.ts';

/**
 * The identity a user_id names (`<provider>|<id>`, as insole makes every user's). A store's migration
 * may store a user without identities (stored-user.ts reads them as []): whatever is linked to it
 * must not become identities[0], which insole takes for the user's own sign-in (a Google sign-in
 * would then rewrite a password user's name and picture, and Google could not be unlinked).
 */
export function mainIdentityOf(user: Pick<UserDoc, 'user_id'>): Identity {
  const bar = user.user_id.indexOf('|');
  if (bar <= 0) {
    throw new ConflictError(`The user ${user.user_id} has no identities stored and its user_id names none (<provider>|<id>): `
      + 'store its main identity in MongoDB first.', 'invalid_stored_user');
  }
  const provider = user.user_id.slice(0, bar);
  const social = provider !== 'auth0';
  return { provider, user_id: user.user_id.slice(bar + 1), connection: social ? provider : PASSWORD_CONNECTION, isSocial: social };
}

/** The user's identities, its main one when none is stored (it signs in with it: findByIdentity). */
export const identitiesOf = (user: UserDoc): Identity[] => (user.identities.length ? user.identities : [mainIdentityOf(user)]);

type IdentityKey = Pick<Identity, 'provider' | 'user_id'>;

/** One provider account: the same provider and the same id there (curried, for some/filter/find). */
export const sameIdentity = (a: IdentityKey) => (b: IdentityKey): boolean => a.provider === b.provider && a.user_id === b.user_id;
