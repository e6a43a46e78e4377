import type { UserDoc } from '../../users/user.model.ts';
import type { Json } from './json-values.ts';

/**
 * `user.<name>` as the Auth0 article's helpers (getAge, getGender) read it inside a rule: a root
 * field of the profile (an import or a custom database may have put one there) or, since Auth0
 * merges app_metadata into the rule's user object, `app_metadata.<name>`. Not user_metadata: the
 * article never read it, and the shopper can write it.
 */
export function ruleUserField(user: UserDoc, name: string): unknown {
  const root = (user as unknown as Json)[name];
  return root !== undefined && root !== null ? root : (user.app_metadata as Json | undefined)?.[name];
}
