import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import { compileSegmentFilter, parseSegmentFilter, type SegmentFilter } from '../src/insight/segments/segment-filter.ts';
import { createSegmentMatcher, matchesSegment } from '../src/insight/segments/segment-matcher.ts';
import { userSearchCatalogue } from '../src/search/search-catalogues.ts';
import type { UserDoc } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';
import { filterProblems, SEGMENT_FACT_PATHS } from './support/search-filter.ts';
import { agedWithin, connectionsOf, daysBefore, NOW, preciseShoppers, realisticShoppers, signedInSince, vocabulary } from './support/segment-users.ts';

type Row = { filter: SegmentFilter; now?: Date; expect: (u: UserDoc, now: Date) => boolean };

const facts = (u: UserDoc) => u.facts ?? ({} as NonNullable<UserDoc['facts']>);
const hasKey = (u: UserDoc, key: string) => (facts(u).interest_keys ?? []).includes(key);
const hasTopic = (u: UserDoc, topic: string) => (facts(u).interests ?? []).includes(topic);
const isMale = (u: UserDoc) => facts(u).gender === 'male';
const country = (u: UserDoc) => facts(u).country;
const metadata = (u: UserDoc, root: 'user_metadata' | 'app_metadata', key: string) => (u[root] as Record<string, unknown>)[key];
const preorder = (u: UserDoc, now: Date) => isMale(u) && agedWithin(u, 20, 40, now) && hasKey(u, 'fitness');

/** Each filter with what it must find, said in plain JavaScript over the stored documents. */
const TABLE: [string, Row][] = [
  ['the pre-order campaign: men aged 20–40 interested in fitness', { filter: PREORDER_SEGMENT_FILTER, expect: preorder }],
  ['the same filter one day earlier: a 20th birthday not yet, a 41st not yet', { filter: PREORDER_SEGMENT_FILTER, now: daysBefore(1), expect: preorder }],
  ['aged 20 and over', { filter: { age: { min: 20 } }, expect: (u, now) => agedWithin(u, 20, 130, now) }],
  ['aged at most 19', { filter: { age: { max: 19 } }, expect: (u, now) => agedWithin(u, 0, 19, now) }],
  ['aged 30–39: an age bracket seen today is in, one that may be 44 is not', { filter: { age: { min: 30, max: 39 } }, expect: (u, now) => agedWithin(u, 30, 39, now) }],
  ['a 29 February birthday on 28 February: not yet 21', { filter: { age: { min: 21 }, gender: 'male' }, now: new Date('2025-02-28T23:59:59Z'), expect: (u, now) => isMale(u) && agedWithin(u, 21, 130, now) }],
  ['a 29 February birthday on 1 March: 21', { filter: { age: { min: 21 }, gender: 'male' }, now: new Date('2025-03-01T00:00:00Z'), expect: (u, now) => isMale(u) && agedWithin(u, 21, 130, now) }],
  ['women or non-binary', { filter: { gender: ['female', 'Non-Binary'] }, expect: (u) => ['female', 'non-binary'].includes(facts(u).gender!) }],
  ['gender unknown', { filter: { gender: 'unknown' }, expect: (u) => facts(u).gender === undefined }],
  ['"M" is male', { filter: { gender: 'M' }, expect: isMale }],
  ['interested in fitness (a vocabulary key)', { filter: { interests: 'Fitness' }, expect: (u) => hasKey(u, 'fitness') }],
  ['interested in "Marathon Training" (a raw topic, not a key)', { filter: { interests: 'Marathon  Training' }, expect: (u) => hasTopic(u, 'marathon training') }],
  ['running (key) or yoga (topic)', { filter: { interests: ['running', 'yoga'] }, expect: (u) => hasKey(u, 'running') || hasTopic(u, 'yoga') }],
  ['fitness and yoga', { filter: { interests: { all_of: ['fitness', 'yoga'] } }, expect: (u) => hasKey(u, 'fitness') && hasTopic(u, 'yoga') }],
  ['any of running, and all of fitness', { filter: { interests: { any_of: ['running', 'pilates'], all_of: ['fitness'] } }, expect: (u) => (hasKey(u, 'running') || hasTopic(u, 'pilates')) && hasKey(u, 'fitness') }],
  ['in Germany (by name)', { filter: { country: 'Germany' }, expect: (u) => country(u) === 'DE' }],
  ['in de or it: ISO codes in lower case, as typed on a command line', { filter: { country: ['de', 'it'] }, expect: (u) => ['DE', 'IT'].includes(country(u)!) }],
  ['in Italy or the US', { filter: { country: ['Italy', 'US'] }, expect: (u) => ['IT', 'US'].includes(country(u)!) }],
  ['in Narnia (a name no code stands for)', { filter: { country: 'Narnia' }, expect: (u) => country(u) === 'Narnia' }],
  ['in berlin (any case)', { filter: { city: 'berlin' }, expect: (u) => facts(u).city?.toLowerCase() === 'berlin' }],
  ['in "A.*B": metacharacters are literal ("axxb" is not it)', { filter: { city: 'A.*B' }, expect: (u) => facts(u).city?.toLowerCase() === 'a.*b' }],
  ['in são paulo or boulder', { filter: { city: ['são paulo', 'BOULDER'] }, expect: (u) => ['são paulo', 'boulder'].includes(facts(u).city?.toLowerCase() ?? '') }],
  ['with a Google identity', { filter: { connection: 'google-oauth2' }, expect: (u) => connectionsOf(u).includes('google-oauth2') }],
  ['with an X or Facebook identity (a second identity counts)', { filter: { connection: ['twitter', 'facebook'] }, expect: (u) => connectionsOf(u).some((c) => c === 'twitter' || c === 'facebook') }],
  ['email not verified', { filter: { email_verified: false }, expect: (u) => u.email_verified !== true }],
  ['dormant or never returned', { filter: { lifecycle: ['dormant', 'never_returned'] }, expect: (u) => ['dormant', 'never_returned'].includes(facts(u).lifecycle?.state ?? '') }],
  ['signed in within 30 days: the window\'s first instant is in', { filter: { last_login: { within_days: 30 } }, expect: (u, now) => signedInSince(u, daysBefore(30, now)) }],
  ['not signed in within 30 days: includes those who never signed in', { filter: { last_login: { not_within_days: 30 } }, expect: (u, now) => !signedInSince(u, daysBefore(30, now)) }],
  ['signed up within 14 days', { filter: { signed_up: { within_days: 14 } }, expect: (u, now) => u.created_at >= daysBefore(14, now) }],
  ['signed up in January 2025 (half-open)', { filter: { signed_up: { from: '2025-01-01', to: '2025-02-01' } }, expect: (u) => u.created_at >= new Date('2025-01-01T00:00:00Z') && u.created_at < new Date('2025-02-01T00:00:00Z') }],
  ['last sign-in on or after 1 June, 02:00 in Paris', { filter: { last_login: { from: '2025-06-01T02:00:00+02:00' } }, expect: (u) => signedInSince(u, new Date('2025-06-01T00:00:00Z')) }],
  ['2 to 12 sign-ins', { filter: { logins_count: { min: 2, max: 12 } }, expect: (u) => u.logins_count >= 2 && u.logins_count <= 12 }],
  ['negative sentiment', { filter: { sentiment: 'negative' }, expect: (u) => facts(u).sentiment_label === 'negative' }],
  ['a sentiment score of −2.5 or less', { filter: { sentiment_score: { max: -2.5 } }, expect: (u) => typeof facts(u).sentiment_score === 'number' && facts(u).sentiment_score! <= -2.5 }],
  ['q on app_metadata', { filter: { q: 'app_metadata.plan:gold' }, expect: (u) => metadata(u, 'app_metadata', 'plan') === 'gold' }],
  ['q on user_metadata: 42 the number or the text', { filter: { q: 'user_metadata.shoe_size:42' }, expect: (u) => [42, '42'].includes(metadata(u, 'user_metadata', 'shoe_size') as number) }],
  ['q on metadata keys in any script, a space escaped', { filter: { q: 'user_metadata.schuhgröße:"EU 42" AND user_metadata.fit\\ note:wide' }, expect: (u) => metadata(u, 'user_metadata', 'schuhgröße') === 'EU 42' && metadata(u, 'user_metadata', 'fit note') === 'wide' }],
  ['women, and a q with OR inside', { filter: { gender: 'female', q: 'user_metadata.shoe_size:42 OR app_metadata.plan:silver' }, expect: (u) => facts(u).gender === 'female' && (metadata(u, 'user_metadata', 'shoe_size') === 42 || metadata(u, 'app_metadata', 'plan') === 'silver') }],
  ['men AND (Germany OR Italy)', { filter: { gender: 'male', any: [{ country: 'DE' }, { country: 'IT' }] }, expect: (u) => isMale(u) && ['DE', 'IT'].includes(country(u)!) }],
  ['(men AND Germany) OR Italy', { filter: { any: [{ gender: 'male', country: 'DE' }, { country: 'IT' }] }, expect: (u) => (isMale(u) && country(u) === 'DE') || country(u) === 'IT' }],
  ['NOT (men AND Germany): unknowns are in', { filter: { not: { gender: 'male', country: 'DE' } }, expect: (u) => !(isMale(u) && country(u) === 'DE') }],
  ['NOT men AND NOT Germany', { filter: { all: [{ not: { gender: 'male' } }, { not: { country: 'DE' } }] }, expect: (u) => !isMale(u) && country(u) !== 'DE' }],
  ['everyone outside the pre-order segment', { filter: { not: PREORDER_SEGMENT_FILTER }, expect: (u, now) => !preorder(u, now) }],
  ['NOT NOT fitness', { filter: { not: { not: { interests: 'fitness' } } }, expect: (u) => hasKey(u, 'fitness') }],
  ['verified, and (25 or younger OR new)', { filter: { email_verified: true, any: [{ age: { max: 25 } }, { lifecycle: 'new' }] }, expect: (u, now) => u.email_verified === true && (agedWithin(u, 0, 25, now) || facts(u).lifecycle?.state === 'new') }],
];

const idsOf = (users: { user_id: string }[]) => users.map((u) => u.user_id).sort();

describe('segment filters on stored users: the database, mingo and plain JavaScript agree', () => {
  let connection: mongoose.Connection;
  let collection: mongoose.mongo.Collection;
  let stored: UserDoc[];
  before(async () => {
    connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
    collection = connection.db!.collection('users');
    await collection.insertMany([...preciseShoppers(), ...realisticShoppers()].map((user) => ({ ...user })));
    // What the database hands back (BSON dates as JS Dates, nulls kept) is what sign-in would evaluate.
    stored = await collection.find({}).toArray() as unknown as UserDoc[];
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  for (const [title, { filter, now = NOW, expect }] of TABLE) {
    test(title, async () => {
      const compiled = compileSegmentFilter(parseSegmentFilter(filter), { now, vocabulary });
      assert.deepEqual(filterProblems(compiled, userSearchCatalogue, SEGMENT_FACT_PATHS), [], 'only known paths, our operators and literals');
      const expected = idsOf(stored.filter((user) => expect(user, now)));
      assert.ok(expected.length > 0 && expected.length < stored.length, `the row separates users (${expected.length} of ${stored.length})`);
      assert.deepEqual(idsOf(await collection.find(compiled).toArray() as unknown as UserDoc[]), expected, 'the database');
      const matcher = createSegmentMatcher(compiled);
      assert.deepEqual(idsOf(stored.filter(matcher)), expected, 'mingo, in process');
      assert.deepEqual(idsOf(stored.filter((user) => matchesSegment(compiled, user))), expected, 'matchesSegment, its matcher kept per filter');
    });
  }

  test('the realistic shoppers land where their profiles say: Marco (Facebook) and Sam (FullContact) are pre-order men, Ana is not', async () => {
    const compiled = compileSegmentFilter(PREORDER_SEGMENT_FILTER, { now: NOW, vocabulary });
    const found = idsOf(await collection.find({ ...compiled, user_id: { $not: /^auth0\|p/ } }).toArray() as unknown as UserDoc[]);
    assert.deepEqual(found, ['auth0|r02', 'facebook|10224591334567890']);
  });

  test('{} is every user', async () => {
    const compiled = compileSegmentFilter({}, { now: NOW, vocabulary });
    assert.deepEqual(compiled, {});
    assert.equal(await collection.countDocuments(compiled), stored.length);
    assert.equal(stored.filter(createSegmentMatcher(compiled)).length, stored.length);
  });

  test('the matcher refuses an operator outside the shared set instead of reading it its own way', () => {
    assert.throws(() => createSegmentMatcher({ 'facts.gender': { $nin: ['male'] } }), /\$nin/);
    assert.throws(() => createSegmentMatcher({ $where: 'true' }), /\$where/);
    assert.throws(() => createSegmentMatcher({ $expr: { $eq: [1, 1] } }), /\$expr/);
  });
});
