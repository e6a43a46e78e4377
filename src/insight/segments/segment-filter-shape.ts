/**
 * The bounds of a segment filter, checked before anything else looks at it: at most `maxDepth`
 * levels of objects (the top one is level 1; `all`, `any` and `not` go one deeper), at most
 * `maxLeaves` conditions in all, and only known keys. The walk never goes below maxDepth + 1 and
 * stops at the first problem, so its cost is bounded whatever the body (express.json caps it at
 * 100 kB; a chain of 14,000 `not`s fits in that).
 */
export const FILTER_LIMITS = { maxDepth: 8, maxLeaves: 50, maxValues: 50 } as const;

export const COMBINATOR_KEYS = ['all', 'any', 'not'] as const;
export const CONDITION_KEYS = [
  'gender', 'age', 'interests', 'country', 'city', 'connection', 'email_verified', 'lifecycle',
  'signed_up', 'last_login', 'logins_count', 'sentiment', 'sentiment_score', 'q',
] as const;
const KNOWN = new Set<string>([...COMBINATOR_KEYS, ...CONDITION_KEYS]);

export interface ShapeProblem { path: (string | number)[]; message: string }

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const shown = (key: string) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);

/** The first problem with the filter's shape, or undefined. Values are the schema's business. */
export function checkFilterShape(filter: unknown): ShapeProblem | undefined {
  let leaves = 0;
  const walk = (value: unknown, path: (string | number)[], depth: number): ShapeProblem | undefined => {
    if (!isPlainObject(value)) return { path, message: 'expected a filter object, such as { "gender": "male" }' };
    if (depth > FILTER_LIMITS.maxDepth) return { path, message: `filters may nest at most ${FILTER_LIMITS.maxDepth} levels deep` };
    const keys = Object.keys(value);
    // The top level may be {} (every user); a nested empty filter is almost certainly a mistake.
    if (keys.length === 0 && depth > 1) return { path, message: 'an empty filter; give at least one condition' };
    const unknown = keys.find((key) => !KNOWN.has(key));
    if (unknown !== undefined) return { path, message: `unknown condition ${shown(unknown)}; a filter knows ${[...KNOWN].join(', ')}` };
    for (const key of keys) {
      if (key === 'not') {
        const problem = walk(value.not, [...path, 'not'], depth + 1);
        if (problem) return problem;
      } else if (key === 'all' || key === 'any') {
        const list = value[key];
        if (!Array.isArray(list)) return { path: [...path, key], message: 'expected a list of filters' };
        for (const [i, child] of list.entries()) {
          const problem = walk(child, [...path, key, i], depth + 1);
          if (problem) return problem;
        }
      } else if (++leaves > FILTER_LIMITS.maxLeaves) {
        return { path: [...path, key], message: `a filter may hold at most ${FILTER_LIMITS.maxLeaves} conditions` };
      }
    }
    return undefined;
  };
  return walk(filter, [], 1);
}
