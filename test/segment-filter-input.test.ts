import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import { describeSegmentFilter } from '../src/insight/segments/segment-description.ts';
import { compileSegmentFilter, FILTER_LIMITS, segmentFilterSchema, type SegmentFilter } from '../src/insight/segments/segment-filter.ts';
import { userSearchCatalogue } from '../src/search/search-catalogues.ts';
import { filterProblems, SEGMENT_FACT_PATHS } from './support/search-filter.ts';
import { NOW, vocabulary } from './support/segment-users.ts';

/** The first problem zod reports, as "path: message". */
function refusal(filter: unknown): string {
  const result = segmentFilterSchema.safeParse(filter);
  assert.equal(result.success, false, 'must be refused');
  const [issue] = result.error!.issues;
  return `${issue.path.join('.')}: ${issue.message}`;
}

const nested = (levels: number, key: 'not' | 'all' = 'not'): unknown => {
  let node: unknown = { gender: 'male' };
  for (let i = 1; i < levels; i++) node = key === 'not' ? { not: node } : { all: [node] };
  return node;
};

describe('segment filter input: what is refused, and how it says so', () => {
  test('operators where a value belongs are refused in every position, naming the condition', () => {
    const hostile: [unknown, RegExp][] = [
      [{ gender: { $ne: '' } }, /^gender: expected a gender/],
      [{ gender: [{ $regex: '.*' }] }, /^gender: expected a gender/],
      [{ age: { min: { $gt: 1 } } }, /^age\.min: /],
      [{ interests: { $in: ['fitness'] } }, /^interests: Unrecognized key: "\$in"/],
      [{ interests: [{ $in: ['fitness'] }] }, /^interests: expected an interest/],
      [{ country: { $exists: true } }, /^country: /],
      [{ city: { $where: 'sleep(1000)' } }, /^city: /],
      [{ connection: { $ne: null } }, /^connection: /],
      [{ email_verified: { $ne: true } }, /^email_verified: expected true or false/],
      [{ lifecycle: { $nin: [] } }, /^lifecycle: expected a lifecycle state/],
      [{ signed_up: { from: { $gt: '' } } }, /^signed_up\.from: /],
      [{ last_login: { within_days: { $gt: 0 } } }, /^last_login\.within_days: /],
      [{ logins_count: { min: { $gte: 0 } } }, /^logins_count\.min: /],
      [{ sentiment: { $ne: 'positive' } }, /^sentiment: expected a sentiment label/],
      [{ q: { $ne: '' } }, /^q: /],
    ];
    for (const [filter, message] of hostile) assert.match(refusal(filter), message, JSON.stringify(filter));
  });

  test('an unknown condition is named, with the conditions a filter knows; operators and prototype keys are just unknown', () => {
    assert.equal(refusal({ all: [{ gender: 'male' }, { gendr: 'male' }] }).split(';')[0], 'all.1: unknown condition "gendr"');
    assert.match(refusal({ gendr: 'male' }), /a filter knows all, any, not, gender, age, interests, country, city/);
    assert.match(refusal({ $where: 'true' }), /^: unknown condition "\$where"/);
    assert.match(refusal({ $or: [{ gender: 'male' }] }), /unknown condition "\$or"/);
    assert.match(refusal(JSON.parse('{"__proto__": {"gender": "male"}}')), /unknown condition "__proto__"/);
    assert.match(refusal({ constructor: 'x' }), /unknown condition "constructor"/);
    assert.match(refusal({ age: { min: 20, mx: 40 } }), /^age: Unrecognized key: "mx"/);
    assert.match(refusal({ signed_up: { within_days: 3, $gte: 1 } }), /^signed_up: Unrecognized key: "\$gte"/);
  });

  test(`depth: ${FILTER_LIMITS.maxDepth} levels pass, one more is refused, and so is a 14,000-level chain, without recursing into it`, () => {
    assert.equal(segmentFilterSchema.safeParse(nested(FILTER_LIMITS.maxDepth)).success, true);
    assert.equal(segmentFilterSchema.safeParse(nested(FILTER_LIMITS.maxDepth, 'all')).success, true);
    assert.equal(refusal(nested(FILTER_LIMITS.maxDepth + 1)), `${Array(8).fill('not').join('.')}: filters may nest at most 8 levels deep`);
    assert.match(refusal(nested(FILTER_LIMITS.maxDepth + 1, 'all')), /^all\.0(\.all\.0){6}\.all\.0: filters may nest at most 8 levels deep$/);
    // As express.json hands it over: a chain the size of the 100 kB body limit. A recursive schema would overflow the stack on it.
    const deep = JSON.parse(`${'{"not":'.repeat(14_000)}{"gender":"male"}${'}'.repeat(14_000)}`);
    assert.match(refusal(deep), /filters may nest at most 8 levels deep/);
    const deepLists = JSON.parse(`${'{"any":['.repeat(10_000)}{}${']}'.repeat(10_000)}`);
    assert.match(refusal(deepLists), /filters may nest at most 8 levels deep/);
  });

  test(`conditions: ${FILTER_LIMITS.maxLeaves} pass, one more is refused; lists hold at most ${FILTER_LIMITS.maxValues} values`, () => {
    const leaves = (n: number): SegmentFilter => ({ any: Array.from({ length: n }, (_, i) => ({ logins_count: { min: i } })) });
    assert.equal(segmentFilterSchema.safeParse(leaves(FILTER_LIMITS.maxLeaves)).success, true);
    assert.equal(refusal(leaves(FILTER_LIMITS.maxLeaves + 1)), `any.${FILTER_LIMITS.maxLeaves}.logins_count: a filter may hold at most ${FILTER_LIMITS.maxLeaves} conditions`);
    const wide = { any: Array.from({ length: 10_000 }, () => ({ gender: 'male', country: 'DE' })) };
    assert.match(refusal(wide), /at most 50 conditions/);
    assert.equal(segmentFilterSchema.safeParse({ country: Array.from({ length: 50 }, (_, i) => `C${i}`) }).success, true);
    assert.match(refusal({ country: Array.from({ length: 51 }, (_, i) => `C${i}`) }), /^country: expected a country .*a list of 1 to 50/);
  });

  test('wrong types and impossible values', () => {
    assert.match(refusal('gender:male'), /^: expected a filter object/);
    assert.match(refusal([{ gender: 'male' }]), /^: expected a filter object/);
    assert.match(refusal({ all: { gender: 'male' } }), /^all: expected a list of filters/);
    assert.match(refusal({ not: [{ gender: 'male' }] }), /^not: expected a filter object/);
    assert.match(refusal({ any: [{}] }), /^any\.0: an empty filter/);
    assert.match(refusal({ all: [] }), /^all: Too small/);
    assert.match(refusal({ age: { min: '20' } }), /^age\.min: /);
    assert.match(refusal({ age: { min: 20.5 } }), /^age\.min: /);
    assert.match(refusal({ age: { min: 41, max: 40 } }), /^age: min must not be above max/);
    assert.match(refusal({ age: {} }), /^age: give min, max or both/);
    assert.match(refusal({ age: { max: 131 } }), /^age\.max: /);
    assert.match(refusal({ email_verified: 'true' }), /^email_verified: expected true or false/);
    assert.match(refusal({ gender: '   ' }), /^gender: /);
    assert.match(refusal({ lifecycle: 'asleep' }), /^lifecycle: expected a lifecycle state \(new, active, lapsing, dormant, never_returned, reactivated\)/);
    assert.match(refusal({ last_login: { within_days: 0 } }), /^last_login\.within_days: /);
    assert.match(refusal({ last_login: { within_days: 1.5 } }), /^last_login\.within_days: /);
    assert.match(refusal({ last_login: {} }), /^last_login: give from\/to, or within_days, or not_within_days/);
    assert.match(refusal({ last_login: { from: '2025-01-01', not_within_days: 3 } }), /one of the three/);
    assert.match(refusal({ signed_up: { from: '2025-02-30' } }), /^signed_up\.from: expected an ISO 8601 date/);
    assert.match(refusal({ signed_up: { from: 'yesterday' } }), /^signed_up\.from: expected an ISO 8601 date/);
    assert.match(refusal({ signed_up: { from: '2025-02-01', to: '2025-02-01' } }), /^signed_up\.to: must be after from/);
    assert.match(refusal({ interests: { some_of: ['x'] } }), /^interests: Unrecognized key: "some_of"/);
    assert.match(refusal({ interests: {} }), /^interests: give any_of, all_of or both/);
  });

  test('a bad q is refused with the search syntax\'s own position; a q matching everyone is refused too', () => {
    assert.equal(refusal({ all: [{ q: 'name:(' }] }), 'all.0.q: Query syntax error at position 6: expected a term');
    assert.match(refusal({ q: 'password_hash:x' }), /^q: Query error at position 0: unknown field "password_hash"/);
    assert.match(refusal({ q: 'user_metadata.$where:1' }), /^q: Query error/);
    assert.match(refusal({ q: '*' }), /^q: this q matches every user; leave it out/);
  });
});

describe('segment filter compilation', () => {
  const compile = (filter: SegmentFilter) => compileSegmentFilter(filter, { now: NOW, vocabulary });

  test('the pre-order filter: gender, the birth-date bounds of every age in 20–40 on the UTC day of now, the fitness key', () => {
    assert.deepEqual(compile(PREORDER_SEGMENT_FILTER), {
      $and: [
        { 'facts.gender': 'male' },
        { 'facts.born_from': { $gte: new Date('1984-06-16T00:00:00Z') } }, // 40 until the eve of the 41st birthday
        { 'facts.born_to': { $lte: new Date('2005-06-16T00:00:00Z') } }, // born on 15 June 2005 at the latest: 20 today
        { 'facts.interest_keys': 'fitness' },
      ],
    });
  });

  test('relative dates are Date objects resolved at now; text in a regex is escaped; nothing unknown is written', () => {
    const compiled = compile({ last_login: { not_within_days: 30 }, city: ['a.*b (x)', 'Saint-Denis'], q: 'name:jo* AND app_metadata.tier:"$gold"' });
    assert.deepEqual(compiled, {
      $and: [
        { $or: [{ 'facts.city': { $regex: '^a\\.\\*b \\(x\\)$', $options: 'i' } }, { 'facts.city': { $regex: '^Saint\\-Denis$', $options: 'i' } }] },
        { $nor: [{ last_login: { $gte: new Date('2025-05-16T12:00:00Z') } }] },
        { name: { $regex: '^jo', $options: 'i' } },
        { 'app_metadata.tier': '$gold' },
      ],
    });
    assert.deepEqual(filterProblems(compiled, userSearchCatalogue, SEGMENT_FACT_PATHS), []);
  });

  test('values an operator would hide in are plain strings here: "$gt" is a gender word like any other', () => {
    const compiled = compile({ gender: '$gt', country: '$where', interests: '$regex' });
    assert.deepEqual(compiled, { $and: [{ 'facts.gender': '$gt' }, { 'facts.interests': '$regex' }, { 'facts.country': '$where' }] });
    assert.deepEqual(filterProblems(compiled, userSearchCatalogue, SEGMENT_FACT_PATHS), []);
  });
});

describe('a segment filter in words', () => {
  const cases: [SegmentFilter, string][] = [
    [PREORDER_SEGMENT_FILTER, 'men aged 20–40 interested in fitness'],
    [{}, 'all users'],
    [{ gender: ['male', 'female'], country: 'DE' }, 'men or women in DE'],
    [{ last_login: { not_within_days: 90 }, logins_count: { min: 2 } }, 'users who have not signed in within the last 90 days with 2 sign-ins or more'],
    [{ lifecycle: 'never_returned', signed_up: { from: '2025-01-01', to: '2025-02-01' } }, 'users in lifecycle state never_returned who signed up from 2025-01-01 to before 2025-02-01'],
    [{ sentiment: 'negative', connection: 'twitter' }, 'users with a twitter identity with negative sentiment'],
    [{ gender: ['constructor', '__proto__'] }, 'users of gender constructor or __proto__'],
    [{ gender: 'female', any: [{ country: 'DE' }, { interests: { all_of: ['fitness', 'yoga'] } }], not: { q: 'app_metadata.plan:gold' } },
      'women, and (users in DE) or (users interested in fitness and yoga), and not (users matching q "app_metadata.plan:gold")'],
  ];
  for (const [filter, words] of cases) test(words, () => assert.equal(describeSegmentFilter(filter), words));
});
