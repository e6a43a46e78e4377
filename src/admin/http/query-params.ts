import { z } from 'zod';

/** Auth0 sends booleans in query strings as `true`/`false`. */
export const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');

export const pagingParams = {
  page: z.coerce.number().int().min(0).max(10_000_000).optional().describe('Page index, from 0.'),
  per_page: z.coerce.number().int().min(1).max(100).optional().describe('Results per page (at most 100; default 50).'),
  include_totals: queryBoolean.optional().describe('Wrap the results with start, limit, length and total.'),
};

/** `fields` + `include_fields`: a projection over the fields a schema declares. */
export function fieldsParams(known: readonly string[]) {
  const set = new Set(known);
  return {
    fields: z.string().max(2000).optional().transform((value, ctx) => {
      if (value === undefined) return undefined;
      const fields = value.split(',').map((field) => field.trim()).filter(Boolean);
      const unknown = fields.filter((field) => !set.has(field));
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown field(s): ${unknown.join(', ')}` });
      return fields;
    }).describe('Comma-separated fields to include (or exclude, with include_fields=false).'),
    include_fields: queryBoolean.optional().describe('true (default): only `fields`; false: all but `fields`.'),
  };
}

/** `sort=field:1` or `field:-1` over the fields that have an index. */
export function sortParam(sortable: readonly string[]) {
  return z.string().regex(/^[\w.]+:-?1$/, 'expected field:1 or field:-1').refine((value) => sortable.includes(value.split(':')[0]), {
    message: `sortable fields: ${sortable.join(', ')}`,
  }).transform((value) => {
    const [field, direction] = value.split(':');
    return { field, direction: Number(direction) as 1 | -1 };
  }).optional();
}

/** Keeps or drops fields of an answer, as Auth0's `fields`/`include_fields` ask. */
export function projectFields<T extends object>(value: T, fields: string[] | undefined, include = true): Partial<T> {
  if (!fields?.length) return value;
  const wanted = new Set(fields);
  return Object.fromEntries(Object.entries(value).filter(([key]) => wanted.has(key) === include)) as Partial<T>;
}

/** Auth0's envelope when include_totals=true. */
export function withTotals<T>(key: string, items: T[], start: number, limit: number, total: number) {
  return { start, limit, length: items.length, total, [key]: items };
}

/** The same request, moved on to the next cursor page (for a `Link: <…>; rel="next"` header). */
export function nextPage(url: URL, from: string, take: number): string {
  const next = new URL(url);
  next.searchParams.set('from', from);
  next.searchParams.set('take', String(take));
  return next.href;
}

/** How old a summary report's answer the caller accepts (src/reports/report-rollups.ts); at most the day a roll-up is kept. */
export const maxAgeParam = z.coerce.number().int().min(0).max(86_400).optional()
  .describe('Seconds: an answer computed at most this long ago may be served (its as_of says when), without reading the users again; 0 or absent: computed now.');
