import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import '../src/db/connect.ts'; // the app's mongoose settings: sanitizeFilter and strictQuery on
import { logSearchCatalogue, userSearchCatalogue, type SearchCatalogue } from '../src/search/search-catalogues.ts';
import { compileSearch } from '../src/search/search-compiler.ts';
import { createUserModel, type UserModel } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';
import { filterProblems } from './support/search-filter.ts';

type Doc = Record<string, unknown>;
const at = (iso: string) => new Date(iso);
const PASSWORD = { provider: 'auth0', connection: 'Username-Password-Authentication', isSocial: false };

/** An Auth0-shaped profile as stored in `users`; auth0 users get their database identity. */
function profile(user_id: string, fields: Doc): Doc {
  const [provider, id] = user_id.split('|');
  const identities = provider === 'auth0'
    ? [{ ...PASSWORD, user_id: id }]
    : [{ provider, user_id: id, connection: provider, isSocial: true }];
  const created_at = fields.created_at ?? at('2024-06-01T00:00:00Z');
  return {
    user_id, email_verified: true, identities, created_at, updated_at: created_at, last_ip: '203.0.113.7',
    logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {}, ...fields,
  };
}

const USERS = [
  profile('auth0|u01', { email: 'jane.doe@innovashoes.example', name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe', nickname: 'jane',
    created_at: at('2024-01-15T10:00:00Z'), last_login: at('2024-12-31T23:30:00Z'), logins_count: 5,
    user_metadata: { fullcontact_profile: { gender: 'female', age: 34 }, preferences: { fontSize: 13 }, addresses: [{ city: 'Paris' }, { city: 'Lyon' }] },
    app_metadata: { roles: ['admin', 'editor'], plan: 'gold' } }),
  profile('auth0|u02', { email: 'john.smith@innovashoes.example', name: 'John Smith', given_name: 'John', family_name: 'Smith', nickname: 'js',
    created_at: at('2024-02-01T00:00:00Z'), last_login: at('2025-01-01T00:00:00Z'), logins_count: 100, blocked: true,
    user_metadata: { fullcontact_profile: { gender: 'male', age: 28 }, preferences: { fontSize: '13' }, addresses: [{ city: 'Seattle' }] },
    app_metadata: { roles: ['editor'] } }),
  profile('google-oauth2|103', { email: 'johnny@gmail.example', name: 'Johnny Appleseed', given_name: 'Johnny', family_name: 'Appleseed', nickname: 'johnny',
    created_at: at('2023-12-31T23:59:59Z'), last_login: at('2024-06-15T12:00:00Z'), logins_count: 200,
    user_metadata: { fullcontact_profile: { gender: 'male' }, interests: ['running', 'fitness'] }, app_metadata: { roles: 'admin' } }),
  profile('facebook|104', { email: 'maria.garcia@example.org', name: 'Maria Garcia', nickname: 'maria', email_verified: false,
    created_at: at('2024-03-10T08:00:00Z'), logins_count: 201 }),
  profile('twitter|105', { name: 'Team USA', nickname: 'teamusa', screen_name: 'teamusa', email_verified: false,
    created_at: at('2024-05-05T05:05:05Z'), logins_count: 0, user_metadata: { newsletter: true } }),
  profile('auth0|u06', { email: 'jane.smith@innovashoes.example', name: 'Jane Smith', nickname: 'janes',
    created_at: at('2024-01-31T23:59:59.999Z'), last_login: at('2024-12-01T09:00:00Z'), logins_count: 99,
    user_metadata: { newsletter: 'true' }, app_metadata: { roles: ['viewer'], plan: 'silver' } }),
  profile('auth0|u07', { email: 'jane.doe@other.example', name: 'JANE DOE', nickname: 'JaneD',
    created_at: at('2024-02-01T00:00:00.001Z'), last_login: at('2025-01-01T00:00:00.001Z'), logins_count: 1,
    user_metadata: { newsletter: false, fullcontact_profile: null } }),
  profile('auth0|U01', { email: 'u-upper@innovashoes.example', name: 'Upper Case', nickname: 'upper',
    created_at: at('2022-06-01T00:00:00Z'), last_login: at('2023-01-01T00:00:00Z'), logins_count: 3 }),
  profile('auth0|u09', { email: 'peter@innovashoes.example.com', name: 'Peter Pan', nickname: 'peter',
    created_at: at('2024-04-01T00:00:00Z'), last_login: at('2024-11-30T23:59:59Z'), logins_count: 7 }),
  profile('auth0|u10', { email: 'sam@shop.innovashoes.example', name: 'Sam Shop', nickname: 'sam', created_at: at('2024-04-02T00:00:00Z'), logins_count: 8 }),
  profile('auth0|u11', { email: 'innovashoes.example@evil.example', name: 'a.*b (x)', nickname: 'x+y', created_at: at('2024-04-03T00:00:00Z'), logins_count: 9 }),
  profile('auth0|u12', { email: 'linda@innovashoes.example', name: 'Linda Link', nickname: 'linda',
    identities: [{ ...PASSWORD, user_id: 'u12' }, { provider: 'google-oauth2', user_id: '212', connection: 'google-oauth2', isSocial: true }],
    created_at: at('2024-04-04T00:00:00Z'), last_login: at('2024-12-15T00:00:00Z'), logins_count: 12,
    user_metadata: { addresses: [{ city: 'Seattle', zip: '98101' }, { city: 'Paris' }] }, app_metadata: { roles: ['viewer', 'admin'] } }),
  profile('auth0|u13', { email: 'nobody@innovashoes.example', nickname: 'ghost', created_at: at('2025-01-01T00:00:00Z'), logins_count: 0 }),
  profile('auth0|u14', { email: 'joanna@innovashoes.example', name: 'Joanna Doe', nickname: 'joanna',
    created_at: at('2024-12-31T23:59:59.999Z'), last_login: at('2024-12-31T12:00:00Z'), logins_count: 50 }),
  profile('auth0|u15', { email: 'jo@innovashoes.example', name: 'jo', nickname: 'jo', created_at: at('2025-06-01T00:00:00Z'), last_login: at('2025-06-02T00:00:00Z'), logins_count: 2 }),
  profile('facebook|116', { email: 'sofia@example.org', name: 'Sofía Núñez', nickname: 'sofia', created_at: at('2024-07-07T00:00:00Z'), last_login: at('2024-08-01T00:00:00Z'), logins_count: 15 }),
  // Keys PATCH stores though they are not ASCII words, and a key that only looks like a path.
  profile('auth0|k17', { email: 'kurt@innovashoes.example', name: 'Kurt Kraus', nickname: 'kurt', created_at: at('2024-07-08T00:00:00Z'), last_login: at('2024-08-02T00:00:00Z'), logins_count: 5,
    user_metadata: { 'größe': 42, 'shoe size': '44 EU', 'a:b': { 'c d': 'x' } }, app_metadata: { 'größe': 43 } }),
];

/** q → the user_ids it must find among USERS (short names: u01 is auth0|u01, g03 google-oauth2|103, …). */
const USER_QUERIES: [string, string[]][] = [
  // Case rules: email, name, nickname, given/family name ignore case; user_id, connection, metadata do not.
  ['name:"jane doe"', ['u01', 'u07']],
  ['name:JANE*', ['u01', 'u06', 'u07']],
  ['given_name:JOHN', ['u02']],
  ['nickname:JOHNNY', ['g03']],
  ['email:JANE.DOE@INNOVASHOES.EXAMPLE', ['u01']],
  ['email:jane*', ['u01', 'u06', 'u07']],
  ['user_id:auth0|u01', ['u01']],
  ['user_id:"auth0|U01"', ['U01']],
  ['identities.connection:google-oauth2', ['g03', 'u12']],
  ['identities.connection:Google-OAuth2 OR identities.connection:facebook', ['f04', 'f16']],
  ['identities.isSocial:true AND identities.provider:auth0', ['u12']],
  // email.domain is the whole part after "@": no sub-domain, no longer domain, no local part.
  ['email.domain:innovashoes.example', ['u01', 'u02', 'u06', 'U01', 'u12', 'u13', 'u14', 'u15', 'k17']],
  ['email.domain:INNOVASHOES.EXAMPLE AND logins_count:[10 TO *]', ['u02', 'u06', 'u12', 'u14']],
  ['email.domain:*.innovashoes.example', ['u10']],
  ['email.domain:example.org', ['f04', 'f16']],
  // Wildcards (Auth0: prefix, suffix of 3+, contains, inner) and literal regex metacharacters.
  ['name:*usa', ['t05']],
  ['name:*doe*', ['u01', 'u07', 'u14']],
  ['name:jo*doe', ['u14']],
  ['name:jo*', ['u02', 'g03', 'u14', 'u15']],
  ['user_id:auth0|u1*', ['u10', 'u11', 'u12', 'u13', 'u14', 'u15']],
  ['name:sofía*', ['f16']],
  ['name:"a.*b (x)"', ['u11']],
  ['nickname:x+y', ['u11']],
  ['name:a.\\*b*', ['u11']],
  // Number ranges of every bracket kind.
  ['logins_count:[100 TO 200]', ['u02', 'g03']],
  ['logins_count:{99 TO 201}', ['u02', 'g03']],
  ['logins_count:[100 TO 200}', ['u02']],
  ['logins_count:{100 TO *]', ['g03', 'f04']],
  ['logins_count:[* TO 2]', ['t05', 'u07', 'u13', 'u15']],
  ['logins_count:0', ['t05', 'u13']],
  // Date ranges: a date stands for its whole day (month, second…), as in Auth0's examples.
  ['created_at:[2024-01-01 TO 2024-01-31]', ['u01', 'u06']],
  ['created_at:{2023-12 TO 2024-02]', ['u01', 'u06', 'u02', 'u07']],
  ['created_at:[* TO 2024-01-01}', ['g03', 'U01']],
  ['created_at:2024-04', ['u09', 'u10', 'u11', 'u12']],
  ['last_login:[2025-01-01T00:00:00Z TO *]', ['u02', 'u07', 'u15']],
  ['last_login:{2025-01-01T00:00:00.000Z TO *]', ['u07', 'u15']],
  ['last_login:[2024-12-31T23:00:00+01:00 TO 2024-12-31T23:59]', ['u01']],
  ['NOT _exists_:last_login', ['f04', 't05', 'u10', 'u11', 'u13']],
  ['NOT _exists_:email', ['t05']],
  // Booleans.
  ['blocked:true', ['u02']],
  ['email_verified:false OR NOT _exists_:email_verified', ['f04', 't05']],
  // Metadata: nested objects, arrays at any element, typed values, _exists_ ignoring null.
  ['user_metadata.fullcontact_profile.gender:"male"', ['u02', 'g03']],
  ['user_metadata.fullcontact_profile.gender:Male OR user_metadata.fullcontact_profile.gender:female', ['u01']],
  ['app_metadata.roles:admin', ['u01', 'g03', 'u12']],
  ['user_metadata.addresses.city:"Seattle"', ['u02', 'u12']],
  ['user_metadata.addresses.zip:98101', ['u12']],
  ['user_metadata.preferences.fontSize:13', ['u01', 'u02']],
  ['user_metadata.newsletter:true', ['t05', 'u06']],
  ['_exists_:user_metadata.fullcontact_profile', ['u01', 'u02', 'g03']],
  ['user_metadata.interests:fitness', ['g03']],
  ['app_metadata.plan:gold OR app_metadata.plan:silver', ['u01', 'u06']],
  ['user_metadata.größe:42', ['k17']],
  ['user_metadata.shoe\\ size:"44 EU"', ['k17']],
  ['user_metadata.a\\:b.c\\ d:x', ['k17']],
  ['_exists_:app_metadata.größe', ['k17']],
  ['app_metadata.größe:43 OR user_metadata.größe:43', ['k17']],
  // Boolean precedence: NOT > AND > OR, parentheses, side by side = AND.
  ['email.domain:innovashoes.example AND NOT blocked:true AND logins_count:[10 TO *]', ['u06', 'u12', 'u14']],
  ['name:jane* OR name:john* AND blocked:true', ['u01', 'u02', 'u06', 'u07']],
  ['(name:jane* OR name:john*) AND blocked:false', ['u01', 'u06', 'u07', 'g03']],
  ['name:jane* NOT email.domain:innovashoes.example', ['u07']],
  ['NOT (email.domain:innovashoes.example OR email.domain:example.org) AND _exists_:email', ['g03', 'u07', 'u09', 'u10', 'u11']],
  ['email:("jo@innovashoes.example" OR "MARIA.GARCIA@example.org")', ['u15', 'f04']],
  // Bare terms: the whole value of an id or name field.
  ['johnny OR maria', ['g03', 'f04']],
  ['"Team USA"', ['t05']],
];

const SHORT = (user_id: string) => {
  const [provider, id] = user_id.split('|');
  return provider === 'auth0' ? id : `${provider[0]}${id.slice(-2)}`;
};

async function found(collection: mongoose.mongo.Collection, q: string, catalogue: SearchCatalogue, key: string): Promise<string[]> {
  const filter = compileSearch(q, catalogue);
  assert.deepEqual(filterProblems(filter, catalogue), []);
  const docs = await collection.find(filter, { projection: { [key]: 1 } }).toArray();
  return docs.map((doc) => String(doc[key]));
}

describe('user search on the database', () => {
  let connection: mongoose.Connection;
  let collection: mongoose.mongo.Collection;
  let User: UserModel;
  before(async () => {
    connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
    collection = connection.db!.collection('users');
    await collection.insertMany(USERS.map((user) => ({ ...user })));
    User = createUserModel(connection);
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  /** The same search through the app's mongoose model, as a repository would run it. */
  async function foundByModel(q: string, trust = true): Promise<string[]> {
    const filter = compileSearch(q, userSearchCatalogue, trust ? { trustCondition: mongoose.trusted } : {});
    const docs = await User.find(filter, { user_id: 1 }).lean().exec();
    return docs.map((doc) => SHORT(doc.user_id)).sort();
  }

  for (const [q, expected] of USER_QUERIES) {
    test(`${q} → ${expected.join(' ')}`, async () => {
      assert.ok(expected.length > 0 && expected.length < USERS.length, 'each row matches some users and not others');
      const ids = (await found(collection, q, userSearchCatalogue, 'user_id')).map(SHORT).sort();
      assert.deepEqual(ids, [...expected].sort());
      assert.deepEqual(await foundByModel(q), ids, 'the mongoose model finds the same users');
    });
  }

  test('through mongoose, the conditions must be marked trusted: sanitizeFilter turns them into $eq values, which fail to cast', async () => {
    await assert.rejects(foundByModel('name:jo*', false), { name: 'CastError' });
    assert.deepEqual(await foundByModel('name:jo*'), ['g03', 'u02', 'u14', 'u15']);
  });
});

const PASSWORD_LOGIN = { connection: 'Username-Password-Authentication', strategy: 'auth0', client_id: 'storefront', client_name: 'Storefront' };
const LOGS: Doc[] = [
  { log_id: 'L01', date: at('2018-11-30T23:59:59Z'), type: 's', description: 'Successful login', user_name: 'jane@innovashoes.example', ip: '203.0.113.1', ...PASSWORD_LOGIN, details: { request: { path: '/oauth/token' } } },
  { log_id: 'L02', date: at('2018-12-01T00:00:00Z'), type: 'fp', description: 'Wrong email or password.', user_name: 'jane@innovashoes.example', ip: '203.0.113.2', ...PASSWORD_LOGIN, details: {} },
  { log_id: 'L03', date: at('2018-12-18T10:00:00Z'), type: 'ss', description: 'Successful signup', user_name: 'janet.smith', ip: '203.0.113.3', details: {} },
  { log_id: 'L04', date: at('2018-12-31T23:59:59.999Z'), type: 'slo', description: 'User successfully logged out', user_name: 'Jane.Smith', ip: '203.0.113.4', details: {} },
  { log_id: 'L05', date: at('2019-01-01T00:00:00Z'), type: 's', description: 'Successful login', user_name: 'jane.smith', client_name: 'Admin', ip: '203.0.113.5', details: {} },
  { log_id: 'L06', date: at('2019-01-01T01:00:00Z'), type: 'sapi', description: 'Update a rule', client_name: 'Back office', ip: '203.0.113.6', details: { request: { path: '/api/v2/users', method: 'patch' } } },
  { log_id: 'L07', date: at('2019-01-01T12:23:45Z'), type: 'f', description: 'Create a rule', ip: '203.0.113.7', details: {} },
  { log_id: 'L08', date: at('2019-01-01T12:23:44Z'), type: 'limit_wc', description: 'Blocked account', ip: '198.51.100.9', details: {} },
];

/** Auth0's log search examples, on our logs. */
const LOG_QUERIES: [string, string[]][] = [
  ['type:s*', ['L01', 'L03', 'L04', 'L05', 'L06']],
  ['date:[2018-12 TO 2019-01-01}', ['L02', 'L03', 'L04']],
  ['date:[2018-12-18 TO *]', ['L03', 'L04', 'L05', 'L06', 'L07', 'L08']],
  ['date:[2019-01-01T01:00:00 TO 2019-01-01T12:23:45}', ['L06', 'L08']],
  ['description:*rule', ['L06', 'L07']],
  ['user_name:jane*smith', ['L03', 'L05']],
  ['connection:*Password*', ['L01', 'L02']],
  ['details.request.path:"/api/v2/users"', ['L06']],
  ['fp OR Storefront', ['L01', 'L02']],
  ['NOT type:s* AND ip:198.51.100.9', ['L08']],
];

describe('log search on the database', () => {
  let connection: mongoose.Connection;
  let collection: mongoose.mongo.Collection;
  before(async () => {
    connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
    collection = connection.db!.collection('logs');
    await collection.insertMany(LOGS.map((log) => ({ ...log })));
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  for (const [q, expected] of LOG_QUERIES) {
    test(`${q} → ${expected.join(' ')}`, async () => {
      assert.ok(expected.length > 0 && expected.length < LOGS.length, 'each row matches some logs and not others');
      assert.deepEqual((await found(collection, q, logSearchCatalogue, 'log_id')).sort(), expected);
    });
  }
});
