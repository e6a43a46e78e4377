/**
 * What a search may name, per collection: each field's stored path and type. Only names listed here
 * (and dotted paths below an open object) reach a MongoDB filter; anything else is an unknown field.
 * Secrets (`password_hash`, `identities.sealed_tokens`) are absent on purpose: asking for them is an
 * unknown field, exactly like a typo. Adding a searchable field is one line.
 */

/**
 * Auth0: "Search values for the normalized user fields (email, name, given_name, family_name, and
 * nickname) are case insensitive. All other fields (including all app_metadata/user_metadata
 * fields) are case sensitive." `lowercase`: stored lower-cased (email), so the value is lower-cased
 * and matched exactly or as a prefix, which the index serves. `insensitive`: a case-insensitive
 * anchored regex, which cannot use a plain index (a collation index could; not needed yet).
 */
export type TextCase = 'exact' | 'lowercase' | 'insensitive';

export type FieldSpec =
  | { type: 'text'; path: string; case: TextCase }
  /** Auth0's `email.domain`: the part after the `@` of the (lower-cased) email at `path`. */
  | { type: 'email-domain'; path: string }
  | { type: 'date' | 'number' | 'boolean'; path: string };

export interface SearchCatalogue {
  /** What is searched, for messages ("users", "logs"). */
  name: string;
  fields: Readonly<Record<string, FieldSpec>>;
  /** Free-form objects (Auth0's metadata) searchable by any dotted path below them, stored under the same name. */
  openObjects: readonly string[];
  /** The fields a bare term (one without `field:`) is matched against, each with its own case rule; all text. */
  bareTermFields: readonly string[];
}

export const text = (path: string, textCase: TextCase = 'exact'): FieldSpec => ({ type: 'text', path, case: textCase });
export const date = (path: string): FieldSpec => ({ type: 'date', path });
export const number = (path: string): FieldSpec => ({ type: 'number', path });
export const boolean = (path: string): FieldSpec => ({ type: 'boolean', path });

/** The `users` collection (src/users/user.model.ts), under Auth0's search names. */
export const userSearchCatalogue: SearchCatalogue = {
  name: 'users',
  fields: {
    user_id: text('user_id'),
    email: text('email', 'lowercase'),
    'email.domain': { type: 'email-domain', path: 'email' },
    email_verified: boolean('email_verified'),
    name: text('name', 'insensitive'),
    nickname: text('nickname', 'insensitive'),
    given_name: text('given_name', 'insensitive'),
    family_name: text('family_name', 'insensitive'),
    picture: text('picture'),
    locale: text('locale'),
    screen_name: text('screen_name'),
    gender: text('gender'),
    birthday: text('birthday'),
    location: text('location'),
    created_at: date('created_at'),
    updated_at: date('updated_at'),
    last_login: date('last_login'),
    last_ip: text('last_ip'),
    logins_count: number('logins_count'),
    blocked: boolean('blocked'),
    'identities.provider': text('identities.provider'),
    'identities.user_id': text('identities.user_id'),
    'identities.connection': text('identities.connection'),
    'identities.isSocial': boolean('identities.isSocial'),
  },
  openObjects: ['user_metadata', 'app_metadata'],
  // Auth0 only says a bare term "will not match text in the user metadata fields"; these are the
  // profile fields a person would type a value of into a search box.
  bareTermFields: ['user_id', 'email', 'name', 'nickname', 'given_name', 'family_name'],
};

/** The `logs` collection (src/logs/log.model.ts). Auth0 log search: "All search fields are case sensitive." */
export const logSearchCatalogue: SearchCatalogue = {
  name: 'logs',
  fields: {
    log_id: text('log_id'),
    date: date('date'),
    type: text('type'),
    description: text('description'),
    client_id: text('client_id'),
    client_name: text('client_name'),
    ip: text('ip'),
    user_agent: text('user_agent'),
    user_id: text('user_id'),
    user_name: text('user_name'),
    connection: text('connection'),
    strategy: text('strategy'),
    strategy_type: text('strategy_type'),
  },
  openObjects: ['details'],
  // Auth0's "Fields searchable against bare terms" for logs, verbatim.
  bareTermFields: ['client_name', 'connection', 'description', 'ip', 'log_id', 'type', 'user_name'],
};
