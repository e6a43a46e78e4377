import { normaliseFullContact, type FullContactProfile } from '../../hooks/builtin/fullcontact-profile.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { dateOf, hasKeys, list, obj, str, type Json } from './json-values.ts';

/**
 * FullContact enrichment in the three shapes a profile can hold it:
 * - the durable hook: the raw Person Enrich v3 answer in `user_metadata.fullcontact`, the
 *   normalised `user_metadata.fullcontact_profile`, and `app_metadata.fullcontact = { status, checked_at }`;
 * - an Auth0 rule (rules/examples/01-fullcontact-enrichment.js): the raw v3 answer only;
 * - the v2-era answer of Auth0's article (`demographics`, `digitalFootprint`) under
 *   `user_metadata.fullContactInfo`, `app_metadata.fullContactInfo` or an old rule's `user_metadata.fullcontact`.
 */
export interface Enrichment {
  /** The v3 answer, normalised. */
  v3?: FullContactProfile;
  /** ISO 3166-1 alpha-2 code of the v3 answer's first location (the normalised profile keeps the name only). */
  countryCode?: string;
  /** The v2-era answer (the article's `fullContactInfo`), and its `demographics`. */
  v2?: Json;
  demographics: Json;
  /** What the last check said (durable hook only). */
  status?: 'matched' | 'no_match';
  /** When the answer was obtained: ages in it were true then (undefined only for a profile without updated_at). */
  observedAt: Date | undefined;
  /** Whether any answer is stored at all. */
  present: boolean;
}

const V2_KEYS = ['demographics', 'digitalFootprint', 'socialProfiles', 'contactInfo'];
const isV2 = (answer: Json) => V2_KEYS.some((key) => key in answer);

export function readEnrichment(user: UserDoc): Enrichment {
  const userMeta = obj(user.user_metadata);
  const appMeta = obj(user.app_metadata);
  const raw = obj(userMeta.fullcontact);
  const rawV3 = hasKeys(raw) && !isV2(raw) ? raw : undefined;
  const stored = obj(userMeta.fullcontact_profile);
  // The raw answer is the source of truth: normalising it again picks up a better normaliser at the next reindex.
  const v3 = rawV3 ? normaliseFullContact(rawV3) : hasKeys(stored) ? (stored as unknown as FullContactProfile) : undefined;
  const v2 = [obj(userMeta.fullContactInfo), obj(appMeta.fullContactInfo), isV2(raw) ? raw : {}].find(hasKeys);
  const check = obj(appMeta.fullcontact);
  const status = check.status === 'matched' || check.status === 'no_match' ? check.status : undefined;
  return {
    v3, v2, status,
    countryCode: countryCodeOf(rawV3),
    demographics: obj(v2?.demographics),
    observedAt: observedAt(user, status === 'matched' ? check.checked_at : undefined, rawV3?.updated),
    present: Boolean(v3 || v2),
  };
}

function countryCodeOf(answer: Json | undefined): string | undefined {
  const code = str(obj(list(obj(answer?.details).locations)[0]).countryCode);
  return code && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : undefined;
}

/**
 * When FullContact's ages were true: the hook's `checked_at`; else the answer's own `updated` day
 * (a rule keeps no date); else the profile's `updated_at`, which later sign-ins move forward, so
 * such an age reads as "this old at the last profile write" — the best the profile can tell.
 */
function observedAt(user: UserDoc, checkedAt: unknown, updated: unknown): Date | undefined {
  return dateOf(checkedAt) ?? dateOf(typeof updated === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(updated) ? `${updated}T00:00:00Z` : undefined) ?? dateOf(user.updated_at);
}
