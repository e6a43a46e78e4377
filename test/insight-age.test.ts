import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ageBoundsAt, ageRangeToBirthDates, birthBoundsWithin } from '../src/insight/facts/age-bounds.ts';
import { deriveFacts, type UserFacts } from '../src/insight/facts/user-facts.ts';
import { DEFAULT_INTEREST_VOCABULARY } from '../src/insight/facts/default-vocabulary.ts';
import { fullContactPerson } from './fakes/fake-fullcontact.ts';
import { day, storedProfile } from './support/insight-profiles.ts';

/** Birth dates as facts hold them: born_from … born_to (exclusive) as plain ISO days, for readable assertions. */
const bornIn = (facts: Partial<UserFacts>) => facts.born_from && [facts.born_from.toISOString().slice(0, 10), facts.born_to!.toISOString().slice(0, 10)];
const factsOf = (overrides: Parameters<typeof storedProfile>[0], now = day('2025-06-01')) =>
  deriveFacts(storedProfile(overrides), { vocabulary: DEFAULT_INTEREST_VOCABULARY, now });

/** Age the way a person counts it, written independently of the code: one year per birthday passed (29 Feb → 1 Mar). */
function countedAge(birth: Date, at: Date): number {
  let age = 0;
  for (let year = birth.getUTCFullYear() + 1; year <= at.getUTCFullYear(); year++) {
    const birthday = new Date(Date.UTC(year, birth.getUTCMonth(), birth.getUTCDate())); // 29 Feb in a common year rolls to 1 Mar
    if (birthday <= at) age++;
  }
  return age;
}

describe('age ranges as birth-date ranges', () => {
  test('ageRangeToBirthDates holds exactly the people of those ages, birthdays and leap days included', () => {
    const nows = ['2024-02-28', '2024-02-29', '2024-03-01', '2025-02-28', '2025-03-01', '2025-12-31', '2026-01-01', '2025-06-15'].map(day);
    for (const now of nows) {
      const range = ageRangeToBirthDates(20, 22, now);
      for (let t = day('1999-01-01').getTime(); t <= day('2007-01-01').getTime(); t += 86_400_000) {
        const birth = new Date(t);
        const age = countedAge(birth, now);
        const inside = birth >= range.born_from && birth < range.born_to;
        assert.equal(inside, age >= 20 && age <= 22, `born ${birth.toISOString().slice(0, 10)}, on ${now.toISOString().slice(0, 10)} aged ${age}`);
      }
    }
  });

  test('ageBoundsAt is the inverse: the ages a range of birth dates allows', () => {
    const now = day('2025-02-28');
    for (const [min, max] of [[0, 0], [20, 40], [30, 39], [65, 120]]) {
      assert.deepEqual(ageBoundsAt(ageRangeToBirthDates(min, max, now), now), { min_age: min, max_age: max });
    }
    assert.equal(ageBoundsAt({}, now), undefined, 'no bounds, no ages');
  });

  test('the time of day of `now` does not matter (UTC days)', () => {
    assert.deepEqual(ageRangeToBirthDates(20, 40, new Date('2025-06-01T23:59:59Z')), ageRangeToBirthDates(20, 40, new Date('2025-06-01T00:00:00Z')));
  });

  test('a range must be whole ages, min ≤ max', () => {
    assert.throws(() => ageRangeToBirthDates(40, 20, day('2025-01-01')), RangeError);
    assert.throws(() => ageRangeToBirthDates(-1, 20, day('2025-01-01')), RangeError);
    assert.throws(() => ageRangeToBirthDates(20.5, 30, day('2025-01-01')), RangeError);
  });

  test('a user matches a range only when every age they may have is in it', () => {
    const checked = day('2025-03-01');
    const bracket = (min: number, max: number) => ageRangeToBirthDates(min, max, checked);
    const audience = ageRangeToBirthDates(20, 40, checked);
    assert.equal(birthBoundsWithin(bracket(30, 39), audience), true, '30–39 lies in 20–40');
    assert.equal(birthBoundsWithin(bracket(35, 44), audience), false, '35–44 overlaps 20–40 only partly');
    assert.equal(birthBoundsWithin(bracket(20, 40), audience), true, 'the edges are included');
    assert.equal(birthBoundsWithin({}, audience), false, 'unknown age matches no age range');
  });
});

describe('age resolution, in the order of the article\'s getAge', () => {
  const now = day('2025-06-01');
  const raw = fullContactPerson({ email: 'shopper@example.com', ageRange: '30-39' });
  // Every source at once, each saying a different age, so the winner shows in the bounds.
  const everySource = {
    age: 21,
    user_metadata: { fullcontact: raw, fullContactInfo: { demographics: { age: '45', birthDate: '1970-07-04' } } },
    app_metadata: { fullcontact: { status: 'matched', checked_at: day('2025-06-01') } },
    dateOfBirth: '1980-05-05',
    birthday: '1991-08-14',
  };
  const without = (...keys: string[]) => {
    const p: Record<string, unknown> = structuredClone(everySource);
    for (const key of keys) {
      if (key === 'fullcontact') p.user_metadata = { fullContactInfo: (p.user_metadata as Record<string, unknown>).fullContactInfo };
      else if (key === 'demographics.age') p.user_metadata = { fullContactInfo: { demographics: { birthDate: '1970-07-04' } } };
      else if (key === 'birthDate') p.user_metadata = {};
      else delete p[key];
    }
    return p;
  };

  const steps: [string[], string | undefined, string[] | undefined][] = [
    [[], 'age', ['2003-06-02', '2004-06-02']],
    [['age'], 'fullcontact', ['1990-06-02', '1991-06-02']], // FullContact's exact age 34 (bracket 30–39), checked on 2025-06-01
    [['age', 'fullcontact'], 'demographics', ['1979-06-02', '1980-06-02']],
    [['age', 'fullcontact', 'demographics.age'], 'birth_date', ['1970-07-04', '1970-07-05']],
    [['age', 'fullcontact', 'birthDate'], 'date_of_birth', ['1980-05-05', '1980-05-06']],
    [['age', 'fullcontact', 'birthDate', 'dateOfBirth'], 'birthday', ['1991-08-14', '1991-08-15']],
    [['age', 'fullcontact', 'birthDate', 'dateOfBirth', 'birthday'], undefined, undefined],
  ];
  for (const [removed, source, bounds] of steps) {
    test(`${source ?? 'no age'} wins when ${removed.length ? removed.join(', ') + ' absent' : 'every source is there'}`, () => {
      const facts = factsOf({ ...without(...removed), updated_at: now }, now);
      assert.equal(facts.age_source, source);
      assert.deepEqual(bornIn(facts), bounds);
    });
  }

  test('user.age may come from app_metadata (Auth0 merges it into the rule\'s user)', () => {
    const facts = factsOf({ app_metadata: { age: 33 }, updated_at: day('2025-01-01') });
    assert.equal(facts.age_source, 'age');
    assert.deepEqual(ageBoundsAt(facts, day('2025-01-01')), { min_age: 33, max_age: 33 });
  });

  test('an impossible value is passed over for the next source', () => {
    assert.equal(factsOf({ age: 212, birthday: '1991-08-14' }).age_source, 'birthday');
    assert.equal(factsOf({ dateOfBirth: '2031-01-01', birthday: '1991' }).age_source, 'birthday', 'born in the future');
    assert.equal(factsOf({ dateOfBirth: '04/05/1990' }).age_source, undefined, 'a slashed dateOfBirth is ambiguous');
  });
});

describe('ages stay right as years pass', () => {
  test('a Facebook birthday: 29 the day before the 30th birthday, 30 on it', () => {
    const facts = factsOf({ birthday: '1995-06-15' });
    assert.deepEqual(ageBoundsAt(facts, day('2025-06-14')), { min_age: 29, max_age: 29 });
    assert.deepEqual(ageBoundsAt(facts, new Date('2025-06-15T00:00:00Z')), { min_age: 30, max_age: 30 });
    assert.equal(birthBoundsWithin(facts, ageRangeToBirthDates(30, 40, day('2025-06-14'))), false);
    assert.equal(birthBoundsWithin(facts, ageRangeToBirthDates(30, 40, day('2025-06-15'))), true);
  });

  test('a FullContact bracket is true when FullContact answered; five years later it is five years older', () => {
    const raw = fullContactPerson({ email: 'shopper@example.com', ageRange: '30-39' });
    delete (raw.details.age as { value?: number }).value;
    const facts = factsOf({ user_metadata: { fullcontact: raw }, app_metadata: { fullcontact: { status: 'matched', checked_at: day('2025-03-01') } } });
    assert.equal(facts.age_source, 'fullcontact');
    assert.deepEqual(ageBoundsAt(facts, day('2025-03-01')), { min_age: 30, max_age: 39 });
    assert.deepEqual(ageBoundsAt(facts, day('2030-03-01')), { min_age: 35, max_age: 44 });
    assert.equal(birthBoundsWithin(facts, ageRangeToBirthDates(20, 40, day('2025-03-01'))), true);
    assert.equal(birthBoundsWithin(facts, ageRangeToBirthDates(20, 40, day('2030-03-01'))), false);
  });

  test('a rule\'s answer has no checked_at: FullContact\'s own `updated` day dates it', () => {
    const raw = { ...fullContactPerson({ email: 'shopper@example.com', ageRange: '40-49' }), updated: '2024-05-01' };
    delete (raw.details.age as { value?: number }).value;
    const facts = factsOf({ user_metadata: { fullcontact: raw }, updated_at: day('2025-05-30') });
    assert.deepEqual(ageBoundsAt(facts, day('2024-05-01')), { min_age: 40, max_age: 49 });
  });

  test('a birth year is exact for good; a birthday without a year says nothing', () => {
    assert.deepEqual(bornIn(factsOf({ birthday: '1991' })), ['1991-01-01', '1992-01-01']);
    assert.deepEqual(ageBoundsAt(factsOf({ birthday: '1991' }), day('2025-06-01')), { min_age: 33, max_age: 34 });
    assert.equal(factsOf({ birthday: '--08-14' }).age_source, undefined);
  });

  test('Facebook\'s own formats, as older profiles may hold them', () => {
    assert.deepEqual(bornIn(factsOf({ birthday: '08/14/1991' })), ['1991-08-14', '1991-08-15']);
    assert.equal(factsOf({ birthday: '08/14' }).age_source, undefined);
    assert.equal(factsOf({ birthday: '1991-02-30' }).age_source, undefined, 'no such day');
    assert.deepEqual(bornIn(factsOf({ birthday: '1992-02-29' })), ['1992-02-29', '1992-03-01']);
  });

  test('a Facebook identity linked to a password account still gives its birthday', () => {
    const identities = [
      { provider: 'auth0', user_id: 'a1', connection: 'Username-Password-Authentication', isSocial: false },
      { provider: 'facebook', user_id: '10224591334567890', connection: 'facebook', isSocial: true, profileData: { id: '10224591334567890', birthday: '08/14/1991' } },
    ];
    const facts = factsOf({ identities });
    assert.equal(facts.age_source, 'birthday');
    assert.deepEqual(bornIn(facts), ['1991-08-14', '1991-08-15']);
  });
});

test('an odd profile (no updated_at to date an age by, an unparseable check date) falls through to a dated source', () => {
  const odd = { ...storedProfile({ age: 30, birthday: '1991', app_metadata: { fullcontact: { status: 'matched', checked_at: 'soon' } } }), updated_at: undefined as unknown as Date };
  const facts = deriveFacts(odd, { vocabulary: DEFAULT_INTEREST_VOCABULARY, now: day('2025-06-01') });
  assert.equal(facts.age_source, 'birthday');
  assert.equal(factsOf({ age: 'thirty', birthday: '1991' }).age_source, 'birthday', 'an age in words is no age');
});
