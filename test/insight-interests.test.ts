import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normaliseFullContact } from '../src/hooks/builtin/fullcontact-profile.ts';
import { DEFAULT_INTEREST_VOCABULARY } from '../src/insight/facts/default-vocabulary.ts';
import { matchInterestKeys } from '../src/insight/facts/interest-vocabulary.ts';
import { deriveFacts } from '../src/insight/facts/user-facts.ts';
import { insightConfigSchema } from '../src/insight/insight-config.ts';
import { fullContactPerson } from './fakes/fake-fullcontact.ts';
import { day, storedProfile } from './support/insight-profiles.ts';

const now = day('2025-06-01');
const factsOf = (overrides: Parameters<typeof storedProfile>[0], vocabulary = DEFAULT_INTEREST_VOCABULARY) =>
  deriveFacts(storedProfile(overrides), { vocabulary, now });
const withLikes = (...likes: { name: string; category?: string }[]) =>
  factsOf({ likes: likes.map((like, i) => ({ id: String(i + 1), ...like })) });
const enrichedWith = (interests: { name: string; category?: string }[]) => {
  const person = fullContactPerson({ email: 'shopper@example.com', interests });
  return factsOf({ user_metadata: { fullcontact: person, fullcontact_profile: normaliseFullContact(person) } });
};

describe('interests through the vocabulary (the issue\'s examples)', () => {
  test('a FullContact topic "Running" means fitness', () => {
    const facts = enrichedWith([{ name: 'Running', category: 'Sports' }]);
    assert.deepEqual(facts.interests, ['running', 'sports']);
    assert.ok(facts.interest_keys.includes('fitness'));
    assert.ok(facts.interest_keys.includes('running'));
  });

  test('a liked page "Marathon Training" in "Sports & Recreation" means fitness (by its name) and sports (by its category)', () => {
    const facts = withLikes({ name: 'Marathon Training', category: 'Sports & Recreation' });
    assert.deepEqual(facts.interests, ['marathon training', 'sports & recreation']);
    assert.deepEqual(facts.interest_keys, ['fitness', 'running', 'sports']);
  });

  test('a liked page "Pizza Hut" means nothing', () => {
    const facts = withLikes({ name: 'Pizza Hut', category: 'Restaurant' });
    assert.deepEqual(facts.interests, ['pizza hut', 'restaurant']);
    assert.deepEqual(facts.interest_keys, []);
  });

  test('a category counts only as far as the vocabulary says: a football club page is sports, not fitness', () => {
    assert.deepEqual(withLikes({ name: 'FC Barcelona', category: 'Sports & Recreation' }).interest_keys, ['sports']);
  });
});

describe('the matching rule: whole words or phrases, any case', () => {
  const vocabulary = { fitness: ['gym', 'health & fitness', 'runner'], food: ['pizza'] };

  test('a term inside a longer topic matches when it stands as words of its own', () => {
    assert.deepEqual(matchInterestKeys(['my gym'], vocabulary), ['fitness']);
    assert.deepEqual(matchInterestKeys(["runner's world"], vocabulary), ['fitness']);
    assert.deepEqual(matchInterestKeys(['health & fitness'], vocabulary), ['fitness']);
    assert.deepEqual(matchInterestKeys(['gym/physical fitness center'], vocabulary), ['fitness']);
  });

  test('part of a word is not a match', () => {
    assert.deepEqual(matchInterestKeys(['gymnastics', 'frontrunners', 'pizzeria'], vocabulary), []);
  });

  test('case and spacing of the vocabulary do not matter', () => {
    assert.deepEqual(matchInterestKeys(['health & fitness'], { fitness: ['Health   &  Fitness'] }), ['fitness']);
  });

  test('a key without terms matches nothing', () => {
    assert.deepEqual(matchInterestKeys(['anything at all'], { empty: [] }), []);
  });
});

describe('interests collected from every source', () => {
  test('normalised (lower case, single spaces) and de-duplicated across FullContact and Facebook', () => {
    const person = fullContactPerson({ email: 'shopper@example.com', interests: [{ name: 'Running', category: 'Fitness' }] });
    const facts = factsOf({
      user_metadata: { fullcontact: person },
      likes: [{ id: '1', name: '  RUNNING ', category: 'Fitness' }, { id: '2', name: 'Trail   Running', category: 'Community' }],
    });
    assert.deepEqual(facts.interests, ['running', 'fitness', 'trail running', 'community']);
    assert.deepEqual(facts.interest_keys, ['fitness', 'running', 'outdoor']);
  });

  test('the v2-era answer\'s digitalFootprint topics count too', () => {
    const facts = factsOf({ app_metadata: { fullContactInfo: { digitalFootprint: { topics: [{ value: 'Hiking', provider: 'klout' }] } } } });
    assert.deepEqual(facts.interests, ['hiking']);
    assert.deepEqual(facts.interest_keys, ['outdoor']);
  });

  test('the operator\'s vocabulary is what is matched', () => {
    const vocabulary = insightConfigSchema.parse({ interests: { padel: ['Padel', 'pádel'] } }).interests;
    assert.deepEqual(factsOf({ likes: [{ id: '1', name: 'Pádel World Tour' }] }, vocabulary).interest_keys, ['padel']);
  });
});

describe('config insight.interests', () => {
  test('defaults to the shipped vocabulary', () => {
    const config = insightConfigSchema.parse({});
    assert.deepEqual(Object.keys(config.interests), ['fitness', 'running', 'sports', 'outdoor', 'footwear']);
    assert.ok(config.interests.fitness.includes('marathon'));
  });

  test('an operator\'s vocabulary replaces it whole; terms are stored normalised', () => {
    const config = insightConfigSchema.parse({ interests: { fitness: ['  Spin  Class '] } });
    assert.deepEqual(config.interests, { fitness: ['spin class'] });
  });

  test('bad keys and empty terms are refused with their path', () => {
    for (const interests of [{ 'Fitness!': ['gym'] }, { fitness: [] }, { fitness: ['  '] }]) {
      const result = insightConfigSchema.safeParse({ interests });
      assert.equal(result.success, false, JSON.stringify(interests));
      assert.equal(result.error!.issues[0].path[0], 'interests');
    }
  });
});
