import type { UserDoc } from './user.model.ts';

export type RecentSignins = ReturnType<typeof createRecentSignins>;

/**
 * Profiles as a sign-in on this instance has just written them, for the steps of the same code flow
 * that follow within moments: the authorization resume and the code exchange each ask for the
 * account again (OIDC `findAccount`), a database read apiece right after the write. Any write to
 * the user through this instance forgets the entry at once; a write through another instance is seen
 * after `ttlMs` at most, the same window in which a sign-in already past its password check could
 * not have been stopped anyway. Only sign-ins put profiles here: other reads always go to the database.
 */
export function createRecentSignins({ ttlMs = 10_000, max = 10_000 } = {}) {
  const entries = new Map<string, { user: UserDoc; until: number }>();

  return {
    remember(user: UserDoc): void {
      entries.delete(user.user_id); // re-inserted last: the Map's order is the order of expiry
      entries.set(user.user_id, { user, until: Date.now() + ttlMs });
      for (const [userId, entry] of entries) {
        if (entries.size <= max && entry.until > Date.now()) break;
        entries.delete(userId);
      }
    },

    get(userId: string): UserDoc | undefined {
      const entry = entries.get(userId);
      if (entry && entry.until > Date.now()) return entry.user;
      if (entry) entries.delete(userId);
      return undefined;
    },

    forget(userId: string): void {
      entries.delete(userId);
    },
  };
}
