import { knownConnection } from './connection-names.ts';
import { afterKeyset, decodeKeyset, encodeKeyset } from '../lib/keyset-cursor.ts';
import { userSearchCatalogue } from '../search/search-catalogues.ts';
import { compileSearch, type MongoFilter } from '../search/search-compiler.ts';
import type { UserDoc } from '../users/user.model.ts';
import type { UserRepository } from '../users/user.repository.ts';

/** Fields a list may be sorted by: each has an index with user_id second (see user.model.ts). */
export const USER_SORT_FIELDS = ['user_id', 'email', 'created_at', 'last_login'] as const;
/** A cursor needs a field every user has, or users without it would be skipped. */
export const USER_CURSOR_FIELDS = ['user_id', 'created_at'] as const;

export type UserSort = { field: (typeof USER_SORT_FIELDS)[number]; direction: 1 | -1 };
export type CursorSort = { field: (typeof USER_CURSOR_FIELDS)[number]; direction: 1 | -1 };

export interface UserSearch {
  q?: string; connection?: string; /** Members of this saved segment. */ segment?: string;
  /** A filter of our own (a role's holders), never built from a request's text. */
  where?: MongoFilter;
}

/** Auth0's `q` (search engine v3 syntax) and the older `connection` parameter, as one filter. */
export function userFilter({ q, connection, segment, where }: UserSearch): MongoFilter {
  const parts = [
    q ? compileSearch(q, userSearchCatalogue) : {}, connection ? { 'identities.connection': connection } : {}, segment ? { 'facts.segments': segment } : {},
    where ?? {},
  ]
    .filter((part) => Object.keys(part).length);
  return parts.length > 1 ? { $and: parts } : parts[0] ?? {};
}

const sortOf = ({ field, direction }: UserSort): Record<string, 1 | -1> => (field === 'user_id' ? { user_id: direction } : { [field]: direction, user_id: direction });

export type UserListing = ReturnType<typeof createUserListing>;

/**
 * Listing users: Auth0's offset pages (no 1,000-result cap here) and a cursor for any depth.
 * `connections`: the names a `connection` filter may take (an unknown one is a 400, not an empty list).
 */
export function createUserListing(users: UserRepository, connections: readonly string[]) {
  const filterOf = (search: UserSearch) => userFilter({ ...search, connection: knownConnection(search.connection, connections) });
  return {
    async page(search: UserSearch, { page, perPage, sort, withTotal }: { page: number; perPage: number; sort: UserSort; withTotal: boolean }) {
      const filter = filterOf(search);
      const [found, total] = await Promise.all([
        users.search(filter, { sort: sortOf(sort), skip: page * perPage, limit: perPage }),
        withTotal ? users.countMatching(filter) : undefined,
      ]);
      return { users: found, total };
    },

    /** `take` users after `from` (none: from the start) in `sort`'s order; `next` is the cursor of the following page, if there is one. */
    async after(search: UserSearch, { from, take, sort }: { from?: string; take: number; sort: CursorSort }): Promise<{ users: UserDoc[]; next?: string }> {
      const { field } = sort;
      const filter = filterOf(search);
      const cursor = from ? decodeKeyset(from, sort, field === 'user_id' ? 'string' : 'date') : undefined;
      const scoped = cursor ? (Object.keys(filter).length ? { $and: [filter, afterKeyset(sort, cursor)] } : afterKeyset(sort, cursor)) : filter;
      const found = await users.search(scoped, { sort: sortOf(sort), limit: take + 1 });
      const page = found.slice(0, take);
      const last = page.at(-1);
      const more = found.length > take && last;
      return { users: page, next: more ? encodeKeyset(sort, field === 'user_id' ? last.user_id : last.created_at, last.user_id) : undefined };
    },
  };
}
