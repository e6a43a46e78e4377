import type { SearchCatalogue } from '../../src/search/search-catalogues.ts';

/** The operators search-compiler.ts writes; any other `$` key in a filter came from somewhere else. */
const OUR_OPERATORS = new Set(['$and', '$or', '$nor', '$in', '$regex', '$options', '$gte', '$gt', '$lt', '$lte', '$exists', '$ne']);
const LITERAL_TYPES = new Set(['string', 'number', 'boolean']);

/**
 * Walks a compiled filter and lists what could not have come from the compiler alone: a `$` key
 * that is not ours, a field key that is neither a catalogue path nor a plain metadata path (nor one
 * of `extraPaths`: the segment compiler's facts), a `$options` other than "i", or a value that is
 * not a literal (a RegExp, a function, …).
 */
export function filterProblems(filter: unknown, catalogue: SearchCatalogue, extraPaths: readonly string[] = []): string[] {
  const paths = new Set([...Object.values(catalogue.fields).map((spec) => spec.path), ...extraPaths]);
  // A metadata path: keys as PATCH stores them (no dot, no leading "$"), nothing else.
  const open = new RegExp(`^(${catalogue.openObjects.join('|')})(\\.(?!\\$)[^.\\0]+)+$`);
  const problems: string[] = [];
  const walk = (value: unknown, where: string): void => {
    if (value === null || LITERAL_TYPES.has(typeof value) || value instanceof Date) return;
    if (Array.isArray(value)) { value.forEach((item, i) => walk(item, `${where}[${i}]`)); return; }
    if (Object.getPrototypeOf(value) !== Object.prototype) { problems.push(`${where}: not a literal`); return; }
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key.startsWith('$') ? !OUR_OPERATORS.has(key) : !(paths.has(key) || open.test(key))) problems.push(`${where}: key ${key}`);
      if (key === '$options' && inner !== 'i') problems.push(`${where}: $options ${String(inner)}`);
      walk(inner, `${where}.${key}`);
    }
  };
  walk(filter, 'filter');
  return problems;
}

/** The paths the segment compiler (src/insight/segments) may write besides the user search catalogue's. */
export const SEGMENT_FACT_PATHS = [
  'facts.gender', 'facts.born_from', 'facts.born_to', 'facts.interest_keys', 'facts.interests', 'facts.country', 'facts.city',
  'facts.lifecycle.state', 'facts.sentiment_label', 'facts.sentiment_score',
] as const;
