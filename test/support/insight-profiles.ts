import type { UserDoc } from '../../src/users/user.model.ts';

/** A stored profile as the repository returns it (lean), with what a test adds on top. */
export function storedProfile(overrides: Partial<UserDoc> & Record<string, unknown> = {}): UserDoc {
  const created = new Date('2025-01-10T09:00:00Z');
  return {
    user_id: 'auth0|65a1b2c3d4e5f60718293a4b', email: 'shopper@example.com', email_verified: true,
    name: 'shopper@example.com', nickname: 'shopper',
    identities: [{ provider: 'auth0', user_id: '65a1b2c3d4e5f60718293a4b', connection: 'Username-Password-Authentication', isSocial: false }],
    created_at: created, updated_at: created, last_login: created, logins_count: 1,
    blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
    ...overrides,
  } as UserDoc;
}

export const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);
