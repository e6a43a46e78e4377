import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mapFacebookProfile, mapTwitterProfile, PROVIDER_PROFILE_FIELDS, type SocialProfile } from '../src/auth/profile-mapping.ts';
import { normaliseFullContact } from '../src/hooks/builtin/fullcontact-profile.ts';
import { ageBoundsAt } from '../src/insight/facts/age-bounds.ts';
import { DEFAULT_INTEREST_VOCABULARY } from '../src/insight/facts/default-vocabulary.ts';
import { normaliseGender } from '../src/insight/facts/gender.ts';
import { normaliseCountry, parsePlace } from '../src/insight/facts/location.ts';
import { deriveFacts, type DeriveOptions } from '../src/insight/facts/user-facts.ts';
import type { Identity, UserDoc } from '../src/users/user.model.ts';
import { fullContactPerson } from './fakes/fake-fullcontact.ts';
import { day, storedProfile } from './support/insight-profiles.ts';

const now = day('2025-06-01');
const options: DeriveOptions = { vocabulary: DEFAULT_INTEREST_VOCABULARY, now, enrichmentEnabled: true, sentimentThresholds: { negative_below: -1, positive_above: 1 } };
const factsOf = (overrides: Parameters<typeof storedProfile>[0], opts: Partial<DeriveOptions> = {}) => deriveFacts(storedProfile(overrides), { ...options, ...opts });
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** What social sign-in stores: the mapped root fields of the primary identity, and the identity with its profileData. */
function socialIdentity(profile: SocialProfile): Identity {
  return { provider: profile.connection, user_id: profile.id, connection: profile.connection, isSocial: true, profileData: profile.profileData };
}
function rootFieldsOf(profile: SocialProfile): Partial<UserDoc> {
  return Object.fromEntries(PROVIDER_PROFILE_FIELDS.map((f) => [f, profile[f]]).filter(([, v]) => v !== undefined));
}
/** What the durable FullContact hook stores on a match (src/hooks/builtin/user-metadata.ts). */
function enrichedByHook(person: Record<string, unknown>, checkedAt: Date) {
  return { user_metadata: { fullcontact: person, fullcontact_profile: normaliseFullContact(person) }, app_metadata: { fullcontact: { status: 'matched', checked_at: checkedAt } } };
}

describe('gender', () => {
  test('lower case; the usual spellings of male and female folded; anything else kept', () => {
    assert.deepEqual(['Male', ' M ', 'man', 'FEMALE', 'f', 'Woman', 'Non-binary', '', undefined, 42, 'constructor', '__proto__'].map(normaliseGender),
      ['male', 'male', 'male', 'female', 'female', 'female', 'non-binary', undefined, undefined, undefined, 'constructor', '__proto__']);
  });

  test('what the person said beats what FullContact infers', () => {
    const person = fullContactPerson({ email: 'shopper@example.com', gender: 'Female' });
    assert.equal(factsOf({ gender: 'male', ...enrichedByHook(person, now) }).gender, 'male');
    assert.equal(factsOf(enrichedByHook(person, now)).gender, 'female');
    assert.equal(factsOf({ app_metadata: { fullContactInfo: { demographics: { gender: 'Male' } } } }).gender, 'male', 'the article\'s v2 demographics');
  });
});

describe('location', () => {
  test('country names become ISO codes; unknown names stay as written', () => {
    assert.deepEqual(['Italy', 'United States', 'united states of america', 'USA', 'UK', 'Türkiye', 'Turkey', 'Côte d’Ivoire', 'Bosnia and Herzegovina', 'US', 'Narnia'].map(normaliseCountry),
      ['IT', 'US', 'US', 'US', 'GB', 'TR', 'TR', 'CI', 'BA', 'US', 'Narnia']);
  });

  test('Facebook\'s place names', () => {
    assert.deepEqual(parsePlace('Milan, Italy'), { city: 'Milan', country: 'IT' });
    assert.deepEqual(parsePlace('Boulder, Colorado, United States'), { city: 'Boulder', country: 'US' });
    assert.deepEqual(parsePlace('Boulder, Colorado'), { city: 'Boulder', country: 'US' });
    assert.deepEqual(parsePlace('Toronto, Ontario'), { city: 'Toronto', country: 'CA' });
    assert.deepEqual(parsePlace('  London  '), { city: 'London' });
    assert.deepEqual(parsePlace('Atlanta, Georgia'), { city: 'Atlanta' }, 'the state and the country share the name');
    assert.deepEqual(parsePlace('Spain'), { country: 'ES' });
  });

  test('FullContact\'s structured location wins, with the ISO code of its raw answer', () => {
    const person = fullContactPerson({ email: 'shopper@example.com', city: 'Denver' });
    const facts = factsOf({ location: 'Milan, Italy', ...enrichedByHook(person, now) });
    assert.deepEqual([facts.city, facts.country], ['Denver', 'US']);
  });

  test('the v2 demographics: locationDeduced, else locationGeneral', () => {
    const deduced = { city: { name: 'Lyon' }, country: { name: 'France', code: 'FR' } };
    assert.deepEqual(pick(factsOf({ app_metadata: { fullContactInfo: { demographics: { locationDeduced: deduced } } } })), { city: 'Lyon', country: 'FR' });
    assert.deepEqual(pick(factsOf({ user_metadata: { fullContactInfo: { demographics: { locationGeneral: 'Porto, Portugal' } } } })), { city: 'Porto', country: 'PT' });
  });

  test('a source with a country beats one with a city only (never a city of one and the country of another)', () => {
    const person = fullContactPerson({ email: 'shopper@example.com', city: 'Denver' });
    const details = person.details as { locations: Record<string, unknown>[] };
    details.locations = [{ city: 'Denver' }];
    assert.deepEqual(pick(factsOf({ location: 'Milan, Italy', user_metadata: { fullcontact: person } })), { city: 'Milan', country: 'IT' });
  });

  test('an X user\'s location is free text, not a place: ignored', () => {
    const twitter = mapTwitterProfile(fixture('twitter-verify-credentials'));
    assert.equal(twitter.location, 'Boulder, CO');
    const facts = factsOf({ ...rootFieldsOf(twitter), identities: [socialIdentity(twitter)] });
    assert.deepEqual(pick(facts), {});
  });
});

const pick = ({ city, country }: { city?: string; country?: string }) => JSON.parse(JSON.stringify({ city, country }));

describe('the other facts', () => {
  test('enrichment: matched, no match, pending, or nothing when enrichment is off', () => {
    const person = fullContactPerson({ email: 'shopper@example.com' });
    assert.equal(factsOf(enrichedByHook(person, now)).enrichment, 'matched');
    assert.equal(factsOf({ user_metadata: { fullcontact: person } }).enrichment, 'matched', 'a rule stores an answer only on a match');
    assert.equal(factsOf({ app_metadata: { fullcontact: { status: 'no_match', checked_at: now } } }).enrichment, 'no_match');
    assert.equal(factsOf({}).enrichment, 'pending');
    assert.equal(factsOf({ email: undefined }).enrichment, undefined, 'nothing to look up without an email');
    assert.equal(factsOf({ email_verified: false }).enrichment, undefined, 'FullContact is asked about verified addresses only');
    assert.equal(factsOf({}, { enrichmentEnabled: false }).enrichment, undefined);
  });

  test('sentiment: the hook\'s label, or a rule\'s bare score labelled with the hook\'s thresholds', () => {
    const hook = factsOf({ app_metadata: { sentiment: { score: -2.5, label: 'negative', tweets_analyzed: 4, analyzed_at: now, source: 'builtin' } } });
    assert.deepEqual([hook.sentiment_label, hook.sentiment_score], ['negative', -2.5]);
    const rule = factsOf({ app_metadata: { sentiment_initialized: true, sentiment: { score: 1.5, tweets_analyzed: 3 } } });
    assert.deepEqual([rule.sentiment_label, rule.sentiment_score], ['positive', 1.5]);
    assert.equal(factsOf({ app_metadata: { sentiment: { score: null, label: null } } }).sentiment_label, undefined, 'analysed by a service that keeps its result');
  });

  test('connections are distinct, primary first; email_verified is a boolean', () => {
    const identities: Identity[] = [
      { provider: 'auth0', user_id: 'a1', connection: 'Username-Password-Authentication', isSocial: false },
      { provider: 'google-oauth2', user_id: 'g1', connection: 'google-oauth2', isSocial: true },
      { provider: 'google-oauth2', user_id: 'g2', connection: 'google-oauth2', isSocial: true },
    ];
    const facts = factsOf({ identities, email_verified: false });
    assert.deepEqual(facts.connections, ['Username-Password-Authentication', 'google-oauth2']);
    assert.equal(facts.email_verified, false);
  });

  test('unknown facts are absent, not null (so a Mongo $exists tells known from unknown)', () => {
    const facts = factsOf({}, { enrichmentEnabled: false });
    assert.deepEqual(Object.keys(facts).sort(), ['computed_at', 'connections', 'email_verified', 'interest_keys', 'interests']);
    assert.equal(facts.computed_at, now);
  });
});

describe('realistic profiles, end to end', () => {
  test('Marco signed up with Facebook (birthday, gender, location and likes granted)', () => {
    const facebook = mapFacebookProfile(fixture('facebook-me'));
    const facts = deriveFacts(storedProfile({
      user_id: `facebook|${facebook.id}`, email: facebook.email, ...rootFieldsOf(facebook), identities: [socialIdentity(facebook)],
    }), options);
    assert.deepEqual(facts, {
      gender: 'male', born_from: day('1991-08-14'), born_to: day('1991-08-15'), age_source: 'birthday',
      interests: ["runner's world", 'magazine', 'strava', 'app page'], interest_keys: ['fitness', 'running'],
      city: 'Milan', country: 'IT', connections: ['facebook'], email_verified: true, enrichment: 'pending', computed_at: now,
    });
  });

  test('Sam: a password account with X linked, enriched by the FullContact hook, sentiment analysed', () => {
    const checkedAt = new Date('2025-02-03T10:00:00Z');
    const person = fullContactPerson({ email: 'sam@example.com', twitter: 'SamTrails', ageRange: '30-39' });
    const twitter = mapTwitterProfile(fixture('twitter-verify-credentials'));
    const enriched = enrichedByHook(person, checkedAt);
    const facts = deriveFacts(storedProfile({
      email: 'sam@example.com',
      identities: [storedProfile().identities[0], socialIdentity(twitter)],
      user_metadata: enriched.user_metadata,
      app_metadata: { ...enriched.app_metadata, sentiment_initialized: true, sentiment: { score: -2.5, label: 'negative', tweets_analyzed: 4, analyzed_at: checkedAt, source: 'builtin' } },
    }), options);
    assert.equal(facts.gender, 'male');
    assert.equal(facts.age_source, 'fullcontact');
    assert.deepEqual(ageBoundsAt(facts, checkedAt), { min_age: 34, max_age: 34 }, 'FullContact\'s exact age, as of its answer');
    assert.deepEqual([facts.city, facts.country], ['Boulder', 'US']);
    assert.deepEqual(facts.interests, ['running', 'fitness', 'coffee', 'food & drink']);
    assert.deepEqual(facts.interest_keys, ['fitness', 'running']);
    assert.equal(facts.x_handle, 'samtrails', 'from the X identity, lower-cased');
    assert.deepEqual([facts.sentiment_label, facts.sentiment_score, facts.enrichment], ['negative', -2.5, 'matched']);
    assert.deepEqual(facts.connections, ['Username-Password-Authentication', 'twitter']);
  });

  test('an Auth0 rule stored the raw answer only, and the sentiment service\'s bare score', () => {
    const person = { ...fullContactPerson({ email: 'ana@example.com', gender: 'Female', ageRange: '20-29', twitter: 'ana_runs', city: 'Austin' }), updated: '2025-01-15' };
    const facts = deriveFacts(storedProfile({
      email: 'ana@example.com', updated_at: now,
      user_metadata: { fullcontact: person },
      app_metadata: { sentiment_initialized: true, sentiment: { score: -3, tweets_analyzed: 2 } },
    }), options);
    assert.deepEqual(ageBoundsAt(facts, day('2025-01-15')), { min_age: 24, max_age: 24 });
    assert.deepEqual([facts.gender, facts.city, facts.country, facts.x_handle], ['female', 'Austin', 'US', 'ana_runs']);
    assert.deepEqual([facts.sentiment_label, facts.enrichment], ['negative', 'matched']);
  });

  test('the article\'s v2-era fullContactInfo in app_metadata', () => {
    const fullContactInfo = {
      demographics: { gender: 'Female', age: '27', locationDeduced: { city: { name: 'Boulder' }, state: { name: 'Colorado', code: 'CO' }, country: { name: 'United States', code: 'US' } }, locationGeneral: 'Boulder, Colorado, United States' },
      digitalFootprint: { topics: [{ value: 'Yoga', provider: 'klout' }, { value: 'Coffee', provider: 'klout' }] },
    };
    const facts = deriveFacts(storedProfile({ updated_at: day('2025-05-01'), app_metadata: { fullContactInfo } }), options);
    assert.deepEqual([facts.gender, facts.age_source, facts.city, facts.country], ['female', 'demographics', 'Boulder', 'US']);
    assert.deepEqual(ageBoundsAt(facts, day('2025-05-01')), { min_age: 27, max_age: 27 });
    assert.deepEqual(facts.interest_keys, ['fitness']);
    assert.equal(facts.enrichment, 'matched');
  });
});

describe('X handle', () => {
  test('from the X identity, the root screen_name, or FullContact in any of its shapes; lower case, without @', () => {
    const twitter = mapTwitterProfile(fixture('twitter-verify-credentials'));
    assert.equal(factsOf({ identities: [socialIdentity(twitter)] }).x_handle, 'samtrails');
    assert.equal(factsOf({ screen_name: '@RunFast_22' }).x_handle, 'runfast_22');
    assert.equal(factsOf({ app_metadata: { fullContactInfo: { socialProfiles: [{ type: 'twitter', username: 'OldSchool' }] } } }).x_handle, 'oldschool');
    assert.equal(factsOf({ screen_name: 'not a handle!' }).x_handle, undefined);
  });
});
