import { z } from 'zod';
import { pagingParams } from './query-params.ts';

export const roleResponse = z.object({
  id: z.string().describe('The role\'s name: roles are config (dashboard.roles), and app_metadata.roles holds these ids.'),
  name: z.string(),
  description: z.string(),
}).meta({ id: 'Role', description: 'A dashboard role, in Auth0\'s shape.', examples: [{ id: 'marketing', name: 'marketing', description: 'Dashboard role: gives the Management API scopes read:users, read:reports.' }] });

export const roleIdParams = z.object({ id: z.string().min(1).max(100) });

/** Auth0's body of POST and DELETE /users/{id}/roles. */
export const roleIdsBody = z.object({
  roles: z.array(z.string().min(1).max(100)).min(1).max(100).describe('Role ids (here the role names of config dashboard.roles).'),
}).strict();

export const rolePagingQuery = z.object({ ...pagingParams }).strict();

/** The roles envelope of Auth0 (include_totals=true). */
export const rolesPage = z.object({ start: z.number(), limit: z.number(), total: z.number(), roles: z.array(roleResponse) });

/**
 * Auth0's offset paging of a short list held in memory: without page or per_page, all of it
 * ("paging is disabled if parameter not sent"); include_totals wraps it.
 */
export function pageOf<T>(key: string, items: T[], query: { page?: number; per_page?: number; include_totals?: boolean }) {
  const paged = query.page !== undefined || query.per_page !== undefined;
  const [page, perPage] = [query.page ?? 0, query.per_page ?? 50];
  const shown = paged ? items.slice(page * perPage, (page + 1) * perPage) : items;
  return query.include_totals ? { start: paged ? page * perPage : 0, limit: paged ? perPage : items.length, total: items.length, [key]: shown } : shown;
}
