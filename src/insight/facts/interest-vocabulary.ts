import { z } from 'zod';
import { DEFAULT_INTEREST_VOCABULARY } from './default-vocabulary.ts';

/** Interest key (what segments ask for: `fitness`) → the terms that mean it. */
export type InterestVocabulary = Readonly<Record<string, readonly string[]>>;

const term = z.string().trim().min(1).max(100).transform((t) => normaliseTopic(t));

export const interestVocabularySchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'an interest key is lower case letters, digits and _ (it appears in queries and command lines)'),
  z.array(term).min(1),
).describe('Interest key → terms. A topic has the key when one of the terms appears in it as a whole word or phrase, any case. Replaces the default vocabulary as a whole.')
  .default(DEFAULT_INTEREST_VOCABULARY as Record<string, string[]>);

/** How topics and terms are compared: compatibility-normalised, lower case, single spaces. */
export function normaliseTopic(text: string): string {
  // NFKC is the costly step of a reindex over a million profiles, and plain ASCII needs none.
  const composed = /^[\x20-\x7e]*$/.test(text) ? text : text.normalize('NFKC');
  return composed.toLowerCase().replace(/\s+/g, ' ').trim();
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One pattern per key: any of its terms, not preceded or followed by a letter or digit. So
 * "marathon" is in "marathon training" and "runner" in "runner's world", but "gym" is not in
 * "gymnastics" and "run" would not be in "brunch".
 */
function compile(vocabulary: InterestVocabulary): [string, RegExp][] {
  return Object.entries(vocabulary).flatMap(([key, terms]): [string, RegExp][] => {
    const alternatives = terms.map((t) => escape(normaliseTopic(t))).filter(Boolean);
    // A key without terms matches nothing (an empty alternation would match everything).
    if (!alternatives.length) return [];
    return [[key, new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'u')]];
  });
}

// The configured vocabulary is one object for the life of the process: compile it once, not per user.
const compiled = new WeakMap<InterestVocabulary, [string, RegExp][]>();

/** The vocabulary keys the (normalised) topics match, in the vocabulary's order. */
export function matchInterestKeys(topics: readonly string[], vocabulary: InterestVocabulary): string[] {
  let patterns = compiled.get(vocabulary);
  if (!patterns) compiled.set(vocabulary, (patterns = compile(vocabulary)));
  return patterns.filter(([, pattern]) => topics.some((topic) => pattern.test(topic))).map(([key]) => key);
}
