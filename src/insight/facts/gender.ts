import type { UserDoc } from '../../users/user.model.ts';
import type { FacebookFacts } from './facebook-sources.ts';
import type { Enrichment } from './fullcontact-sources.ts';
import { str } from './json-values.ts';
import { ruleUserField } from './rule-user-field.ts';

const SYNONYMS: Record<string, string> = { m: 'male', man: 'male', male: 'male', f: 'female', woman: 'female', female: 'female' };

/** Lower case; the usual spellings of male and female folded together; anything else kept as given. */
export function normaliseGender(value: unknown): string | undefined {
  const text = str(value)?.toLowerCase().replace(/\s+/g, ' ');
  return text ? (Object.hasOwn(SYNONYMS, text) ? SYNONYMS[text] : text) : undefined; // own keys: "constructor" is kept as given
}

/**
 * What the person said about themselves (the profile's `gender`, as the article's getGender reads
 * `user.gender`; a linked Facebook identity) before what FullContact infers (v3, then the v2
 * demographics the article fell back to).
 */
export function resolveGender(user: UserDoc, facebook: FacebookFacts, enrichment: Enrichment): string | undefined {
  return normaliseGender(ruleUserField(user, 'gender')) ?? normaliseGender(facebook.gender)
    ?? normaliseGender(enrichment.v3?.gender) ?? normaliseGender(enrichment.demographics.gender);
}
