import type { FindAccount } from 'oidc-provider';
import type { UserRepository } from '../users/user.repository.ts';

// Which profile fields each scope releases (OpenID Connect Core §5.4), Auth0 names.
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'nickname', 'given_name', 'family_name', 'picture', 'updated_at'],
};

export type AccountClaims = { sub: string } & Record<string, unknown>;

/**
 * Every claim a user's profile can release (`SCOPE_CLAIMS` says which scope releases which), or
 * undefined for a user deleted or blocked: such a user's tokens are refused. `sub` is the Auth0
 * user_id, so tokens and the Management API name users the same way.
 */
export async function loadAccountClaims(users: UserRepository, sub: string): Promise<AccountClaims | undefined> {
  // Right after a sign-in here, the profile it wrote (the resume and the code exchange of its flow).
  const user = await users.findSignedIn(sub);
  if (!user || user.blocked) return undefined;
  return {
    sub,
    email: user.email ?? undefined,
    email_verified: user.email_verified ?? false,
    name: user.name ?? undefined,
    nickname: user.nickname ?? undefined,
    given_name: user.given_name ?? undefined,
    family_name: user.family_name ?? undefined,
    picture: user.picture ?? undefined,
    // OpenID Connect: seconds since the epoch.
    updated_at: Math.floor(user.updated_at.getTime() / 1000),
  };
}

/** The profile claims released for the given scopes (what oidc-provider's userinfo answers for them). */
export function claimsForScopes(claims: AccountClaims, scopes: Iterable<string>): AccountClaims {
  const released = new Set([...scopes].flatMap((scope) => SCOPE_CLAIMS[scope as keyof typeof SCOPE_CLAIMS] ?? []));
  return Object.fromEntries(Object.entries(claims).filter(([name, value]) => released.has(name) && value !== undefined)) as AccountClaims;
}

export function createFindAccount(users: UserRepository): FindAccount {
  return async (_ctx, sub) => {
    const claims = await loadAccountClaims(users, sub);
    return claims && { accountId: sub, claims: async () => claims };
  };
}
