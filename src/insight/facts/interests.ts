import type { FacebookFacts } from './facebook-sources.ts';
import type { Enrichment } from './fullcontact-sources.ts';
import { list, obj, str } from './json-values.ts';
import { normaliseTopic } from './interest-vocabulary.ts';

/**
 * Every topic the profile holds, normalised and de-duplicated: FullContact's interests (name and
 * category) and topics, the v2 answer's digitalFootprint topics, and the names and categories of
 * the Facebook pages the shopper likes. Categories are topics like any other: what they mean is
 * the vocabulary's business ("Sports & Recreation" is sports, not fitness).
 */
export function collectInterests(enrichment: Enrichment, facebook: FacebookFacts): string[] {
  const v3 = enrichment.v3;
  const raw: unknown[] = [
    ...list(v3?.interests).flatMap((i) => [obj(i).name, obj(i).category]),
    ...list(v3?.topics),
    ...list(obj(enrichment.v2?.digitalFootprint).topics).map((t) => obj(t).value),
    ...facebook.likes.flatMap((like) => [like.name, like.category]),
  ];
  const topics = raw.map(str).filter((t): t is string => t !== undefined).map(normaliseTopic);
  return [...new Set(topics)];
}
