import { handleFrom, twitterHandleOf } from '../../hooks/builtin/twitter-handle.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { Enrichment } from './fullcontact-sources.ts';
import { list, obj } from './json-values.ts';

/**
 * The X handle, lower case: what the sentiment hook uses (twitterHandleOf), else what an Auth0
 * rule's FullContact answer holds (v3 `details.profiles.twitter`, v2 `socialProfiles`), as the
 * example sentiment rule reads it.
 */
export function xHandleOf(user: UserDoc, enrichment: Enrichment): string | undefined {
  const v2Twitter = list(enrichment.v2?.socialProfiles).map(obj).find((p) => p.type === 'twitter');
  const handle = twitterHandleOf(user) ?? handleFrom(enrichment.v3?.twitter) ?? handleFrom(v2Twitter?.username);
  return handle?.toLowerCase();
}
