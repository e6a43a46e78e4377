import type { Config } from '../config/schema.ts';
import type { UserRepository } from './user.repository.ts';
import { rolesOf, scopesOfRoles } from './roles.ts';
import { createSharedReads } from '../lib/shared-reads.ts';

/** Where a user stands now, for a token issued on their behalf: gone, blocked, or the scopes their roles give today. */
export type RoleStanding = { status: 'gone' } | { status: 'blocked' } | { status: 'active'; scopes: ReadonlySet<string> };

export type StandingOf = (userId: string) => Promise<RoleStanding>;

/**
 * How long an instance trusts what it read about a user. The dashboard asks up to nine things at
 * once for one page: they share one read. A block, a deletion or a role taken away reaches a
 * token's next request on this instance within this time (other instances: each its own read).
 */
export const STANDING_TTL_MS = 5000;

/**
 * A user token is verified offline and lives an hour (ttl.access_token); this is what makes one
 * follow its user: the user still exists, is not blocked, and what their roles give now
 * (`rolesOf`, the rule the token was issued by). One read per user per STANDING_TTL_MS; concurrent
 * requests share the read in flight. A failed read is not kept: the next request tries again.
 */
export function createRoleStanding(users: Pick<UserRepository, 'findByUserId'>, dashboard: Config['dashboard'], { ttlMs = STANDING_TTL_MS, now = Date.now } = {}): StandingOf {
  async function read(userId: string): Promise<RoleStanding> {
    const user = await users.findByUserId(userId);
    if (!user) return { status: 'gone' };
    if (user.blocked) return { status: 'blocked' };
    return { status: 'active', scopes: new Set(scopesOfRoles(rolesOf(user, dashboard), dashboard)) };
  }

  const reads = createSharedReads(read, { ttlMs, now });
  return (userId) => reads.get(userId);
}
