import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logSearchCatalogue, userSearchCatalogue } from '../src/search/search-catalogues.ts';
import { compileSearch, type MongoFilter } from '../src/search/search-compiler.ts';
import { SearchQueryError } from '../src/search/search-query-error.ts';
import { filterProblems } from './support/search-filter.ts';

const users = (q: string) => compileSearch(q, userSearchCatalogue);
const at = (iso: string) => new Date(iso);

function refusal(q: string, catalogue = userSearchCatalogue): SearchQueryError {
  try {
    compileSearch(q, catalogue);
  } catch (err) {
    assert.ok(err instanceof SearchQueryError, `${JSON.stringify(q.slice(0, 60))} threw ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(q.slice(0, 60))} was accepted`);
}

/** Every `$regex` source in a filter, to try on strings. */
function regexes(filter: unknown): RegExp[] {
  if (Array.isArray(filter)) return filter.flatMap(regexes);
  if (filter === null || typeof filter !== 'object' || filter instanceof Date) return [];
  const own = filter as Record<string, unknown>;
  const here = typeof own.$regex === 'string' ? [new RegExp(own.$regex, typeof own.$options === 'string' ? own.$options : '')] : [];
  return [...here, ...Object.values(own).flatMap(regexes)];
}

describe('search filters: fields, types and case rules', () => {
  const table: [string, MongoFilter][] = [
    ['', {}],
    // Auth0: email, name, nickname, given_name, family_name are case-insensitive; the rest exact.
    ['name:"Jane Doe"', { name: { $regex: '^Jane Doe$', $options: 'i' } }],
    ['family_name:o\'brien', { family_name: { $regex: '^o\'brien$', $options: 'i' } }],
    ['email:" Jane@X.Example "', { email: 'jane@x.example' }],
    ['email:JANE*', { email: { $regex: '^jane' } }],
    ['user_id:auth0|u1*', { user_id: { $regex: '^auth0\\|u1' } }],
    ['identities.connection:google-oauth2', { 'identities.connection': 'google-oauth2' }],
    ['email.domain:InnovaShoes.example', { email: { $regex: '@innovashoes\\.example$' } }],
    ['email.domain:*.innovashoes.example', { email: { $regex: '@.*\\.innovashoes\\.example$' } }],
    ['name:*usa', { name: { $regex: 'usa$', $options: 'i' } }],
    ['name:jane*smith', { name: { $regex: '^jane.*smith$', $options: 'i' } }],
    ['name:*john*', { name: { $regex: 'john', $options: 'i' } }],
    ['logins_count:0', { logins_count: 0 }],
    ['logins_count:[100 TO 200}', { logins_count: { $gte: 100, $lt: 200 } }],
    ['logins_count:{100 TO *]', { logins_count: { $gt: 100 } }],
    ['logins_count:[* TO *]', { logins_count: { $exists: true, $ne: null } }],
    ['blocked:true', { blocked: true }],
    ['identities.isSocial:false', { 'identities.isSocial': false }],
    // Dates are spans: an inclusive bound takes the whole span in, an exclusive one leaves it out.
    ['last_login:[* TO 2017-12-31]', { last_login: { $lt: at('2018-01-01T00:00:00Z') } }],
    ['last_login:{2017-11 TO 2017-12]', { last_login: { $gte: at('2017-12-01T00:00:00Z'), $lt: at('2018-01-01T00:00:00Z') } }],
    ['created_at:[2024 TO 2024]', { created_at: { $gte: at('2024-01-01T00:00:00Z'), $lt: at('2025-01-01T00:00:00Z') } }],
    ['created_at:2020-02-29', { created_at: { $gte: at('2020-02-29T00:00:00Z'), $lt: at('2020-03-01T00:00:00Z') } }],
    ['created_at:2024-05-01T12:30:00+02:00', { created_at: { $gte: at('2024-05-01T10:30:00Z'), $lt: at('2024-05-01T10:30:01Z') } }],
    ['created_at:2024-05-01T12:30:00.5Z', { created_at: { $gte: at('2024-05-01T12:30:00.500Z'), $lt: at('2024-05-01T12:30:00.501Z') } }],
    ['updated_at:{* TO 2024-05-01T12:30}', { updated_at: { $lt: at('2024-05-01T12:30:00Z') } }],
    // Metadata: any plain path; a number or boolean literal also matches the typed value.
    ['app_metadata.plan:gold', { 'app_metadata.plan': 'gold' }],
    ['user_metadata.fullcontact_profile.age:34', { 'user_metadata.fullcontact_profile.age': { $in: ['34', 34] } }],
    ['user_metadata.vip:true', { 'user_metadata.vip': { $in: ['true', true] } }],
    ['_exists_:user_metadata.fav_color', { 'user_metadata.fav_color': { $exists: true, $ne: null } }],
    // Any key PATCH stores, in any script; a space, colon or other syntax character in a key is escaped with "\".
    ['user_metadata.größe:42', { 'user_metadata.größe': { $in: ['42', 42] } }],
    ['user_metadata.shoe\\ size:"44 EU"', { 'user_metadata.shoe size': '44 EU' }],
    ['app_metadata.a\\:b\\(c\\):x', { 'app_metadata.a:b(c)': 'x' }],
    ['_exists_:user_metadata.préférences.couleur', { 'user_metadata.préférences.couleur': { $exists: true, $ne: null } }],
    ['user_metadata.price$:9', { 'user_metadata.price$': { $in: ['9', 9] } }],
    ['_exists_:email.domain', { email: { $exists: true, $ne: null } }],
    ['nickname:*', { nickname: { $exists: true, $ne: null } }],
    ['NOT blocked:true', { $nor: [{ blocked: true }] }],
    ['(blocked:true AND logins_count:1) AND (email_verified:false AND locale:fr)', {
      $and: [{ blocked: true }, { logins_count: 1 }, { email_verified: false }, { locale: 'fr' }],
    }],
    ['blocked:true OR (logins_count:1 OR locale:fr)', { $or: [{ blocked: true }, { logins_count: 1 }, { locale: 'fr' }] }],
    // A bare term: any of the profile's name fields or ids, each with its own case rule.
    ['Jane', { $or: [
      { user_id: 'Jane' }, { email: 'jane' },
      ...['name', 'nickname', 'given_name', 'family_name'].map((field) => ({ [field]: { $regex: '^Jane$', $options: 'i' } })),
    ] }],
  ];
  for (const [q, expected] of table) test(`${JSON.stringify(q)}`, () => assert.deepEqual(users(q), expected));

  test('logs: every field is case-sensitive, details.* is open, and a bare term searches the fields Auth0 lists', () => {
    assert.deepEqual(compileSearch('user_name:Jane* AND details.request.path:"/api/v2/users"', logSearchCatalogue), {
      $and: [{ user_name: { $regex: '^Jane' } }, { 'details.request.path': '/api/v2/users' }],
    });
    assert.deepEqual(compileSearch('fp', logSearchCatalogue), {
      $or: ['client_name', 'connection', 'description', 'ip', 'log_id', 'type', 'user_name'].map((field) => ({ [field]: 'fp' })),
    });
    assert.match(refusal('email:x', logSearchCatalogue).message, /unknown field "email"; the logs search knows log_id, date/);
  });
});

describe('search filters: marking conditions for mongoose', () => {
  test('trustCondition sees each field condition object once, and neither the boolean operators nor plain values', () => {
    const seen: unknown[] = [];
    const filter = compileSearch('name:jo* AND (blocked:true OR NOT logins_count:[1 TO *]) AND created_at:2024', userSearchCatalogue, {
      trustCondition: (condition) => { seen.push(condition); return condition; },
    });
    assert.deepEqual(seen, [
      { $regex: '^jo', $options: 'i' },
      { $gte: 1 },
      { $gte: at('2024-01-01T00:00:00Z'), $lt: at('2025-01-01T00:00:00Z') },
    ]);
    assert.deepEqual(filter, compileSearch('name:jo* AND (blocked:true OR NOT logins_count:[1 TO *]) AND created_at:2024', userSearchCatalogue));
  });
});

describe('search filters: what cannot be searched is a 400 naming the field or value', () => {
  const table: [string, number, RegExp][] = [
    ['password_hash:x', 0, /unknown field "password_hash"/],
    ['identities.sealed_tokens:x', 0, /unknown field "identities.sealed_tokens"/],
    ['email:a OR foo:b', 11, /unknown field "foo"/],
    ['constructor:x', 0, /unknown field "constructor"/],
    ['__proto__:x', 0, /unknown field "__proto__"/],
    ['user_metadata:x', 0, /unknown field "user_metadata"/],
    ['_exists_:password_hash', 9, /unknown field "password_hash"/],
    ['user_metadata.a..b:1', 0, /each part of a user_metadata path/],
    ['user_metadata.$where:1', 0, /each part of a user_metadata path/],
    ['user_metadata.a.$gt:1', 0, /each part of a user_metadata path is a key: not empty, at most 255 characters, not starting with "\$"/],
    ['user_metadata.a.:1', 0, /each part of a user_metadata path/],
    [`user_metadata.${'k'.repeat(256)}:1`, 0, /at most 255 characters/],
    // An escaped dot is still a dot: no stored key holds one, so it separates keys and cannot climb out of user_metadata.
    ['user_metadata.a\\.\\$where:1', 0, /each part of a user_metadata path/],
    ['user_metadata.__proto__:x', 0, /no user_metadata key is named __proto__, constructor or prototype/],
    ['_exists_:app_metadata.prefs.constructor', 9, /no app_metadata key is named __proto__/],
    ['app_metadata.a.b.c.d.e.f.g.h.i:1', 0, /at most 8 levels/],
    ['logins_count:many', 13, /expected a number, found "many"/],
    ['logins_count:[1 TO lots]', 19, /expected a number/],
    ['blocked:yes', 8, /expected true or false/],
    ['created_at:2019-13-01', 11, /not a valid date/],
    ['created_at:2019-02-29', 11, /not a valid date/],
    ['last_login:2024-01-01T24:00', 11, /not a valid date/],
    ['created_at:yesterday', 11, /expected a date/],
    ['created_at:[2019-01-01 TO soon]', 26, /expected a date/],
    ['name:*sa', 5, /at least 3 other characters/],
    ['name:a*b*c*d', 5, /at most two "\*"/],
    ['logins_count:1*', 13, /wildcards apply to text fields; "logins_count" is a number/],
    ['user_metadata.x:ab*', 16, /wildcards are not available on metadata fields/],
    ['user_metadata.x:[1 TO 2]', 16, /ranges are not available on metadata fields/],
    ['name:[a TO b]', 5, /ranges apply to date and number fields; "name" is text/],
  ];
  for (const [q, position, message] of table) {
    test(`${JSON.stringify(q)} → position ${position}`, () => {
      const err = refusal(q);
      assert.deepEqual([err.status, err.code, err.position], [400, 'invalid_query_string', position]);
      assert.match(err.message, new RegExp(`^Query error at position ${position}: `));
      assert.match(err.message, message);
    });
  }
});

describe('search filters: nothing from the request reaches MongoDB but literals', () => {
  test('the filter check itself notices foreign operators, unknown paths and non-literal values', () => {
    assert.notDeepEqual(filterProblems({ $where: 'sleep(1000)' }, userSearchCatalogue), []);
    assert.notDeepEqual(filterProblems({ password_hash: { $exists: true } }, userSearchCatalogue), []);
    assert.notDeepEqual(filterProblems({ name: /x/ }, userSearchCatalogue), []);
    assert.notDeepEqual(filterProblems({ name: { $regex: 'x', $options: 'x' } }, userSearchCatalogue), []);
  });

  // Hostile text that is still a valid query must become a literal search for exactly that text.
  const literal: [string, string][] = [
    ['name:".*+?^${}()|[]\\\\"', '.*+?^${}()|[]\\'],
    ['name:\\.\\*\\+\\?\\^\\$\\{\\}\\(\\)\\|\\[\\]\\\\', '.*+?^${}()|[]\\'],
    ['nickname:x+y', 'x+y'],
    ['name:a.\\*b*', 'a.*b (x)'],
    ['email.domain:\\(evil\\).example', 'mallory@(evil).example'],
    ['$where', '$where'],
    ['"{\\"$gt\\": \\"\\"}"', '{"$gt": ""}'],
  ];
  for (const [q, text] of literal) {
    test(`${JSON.stringify(q)} searches for the text ${JSON.stringify(text)} and nothing else`, () => {
      const filter = users(q);
      assert.deepEqual(filterProblems(filter, userSearchCatalogue), []);
      const found = regexes(filter);
      if (found.length) {
        assert.ok(found.some((regex) => regex.test(text)), `${found.join(', ')} should match ${text}`);
        assert.ok(found.every((regex) => !regex.test('aXb') && !regex.test('xxy') && !regex.test('a*b')), `${found.join(', ')} matches too much`);
      } else {
        assert.ok(JSON.stringify(filter).includes(JSON.stringify(text.toLowerCase()).slice(1, -1)) || JSON.stringify(filter).includes(JSON.stringify(text).slice(1, -1)));
      }
    });
  }

  const refused = ['{"$gt":""}', 'name:{"$ne":null}', 'email:{"$regex":".*"}', '$where:sleep(1000)', 'user_metadata.$gt:1',
    'app_metadata.roles:admin)', 'name:/.*/', `name:${'a'.repeat(5000)}`, '('.repeat(10_000), 'name:a OR '.repeat(1000)];
  for (const q of refused) {
    test(`${JSON.stringify(q.slice(0, 40))} is a 400`, () => assert.equal(refusal(q).status, 400));
  }

  test('a metadata path through a prototype name is refused (no stored key has one; mingo throws on it), and nothing is polluted', () => {
    assert.throws(() => users('user_metadata.__proto__.polluted:1'), /no user_metadata key is named __proto__/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('every filter of a broad set of valid queries holds only our operators, catalogue paths and literals', () => {
    const queries = [
      'name:jo* AND NOT blocked:true OR email.domain:innovashoes.example', 'email:("a@x.example" OR "b@x.example")',
      'last_login:{2017-11 TO 2017-12]', '_exists_:user_metadata.a.b-c.d_e', 'user_metadata.größe:42', 'app_metadata.shoe\\ size:44', 'app_metadata.roles:admin', 'jane smith',
      'NOT (identities.connection:google-oauth2 OR identities.provider:facebook) AND logins_count:[10 TO *]',
      'user_id:"auth0|1" OR given_name:*ann* OR family_name:o*', `${Array.from({ length: 100 }, (_, i) => `nickname:n${i}`).join(' OR ')}`,
    ];
    for (const q of queries) assert.deepEqual(filterProblems(users(q), userSearchCatalogue), [], q);
  });
});
