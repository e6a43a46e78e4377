import { normaliseFullContact } from '../../src/hooks/builtin/fullcontact-profile.ts';
import { DEFAULT_INTEREST_VOCABULARY } from '../../src/insight/facts/default-vocabulary.ts';
import { deriveFacts } from '../../src/insight/facts/user-facts.ts';
import { lifecycleOf, type Lifecycle } from '../../src/insight/lifecycle/lifecycle-state.ts';
import type { Identity, UserDoc } from '../../src/users/user.model.ts';
import { fullContactPerson } from '../fakes/fake-fullcontact.ts';

/**
 * Shoppers for the report tests, made relative to `now`: sign-up and sign-in histories over 20
 * weeks (sign-up only, verify-first never confirmed, returning, a first login weeks late), the
 * connection mix, FullContact matches, no-matches and pending checks, Facebook demographics and
 * likes, X handles with sentiment (ties included), and names a spreadsheet would run as formulas.
 * Facts come from deriveFacts and the lifecycle from lifecycleOf, as the write funnel stores them,
 * with a few stored states left stale (the sweep not run yet) and a few users without facts.
 * Every date sits 6 to 11 hours past a whole number of days before `now`, so a window of whole
 * days gives the same answer a few seconds later.
 */
export const WINDOWS = { new_days: 14, active_days: 30, dormant_days: 90 };
export const FORMULA_NAMES = ['=HYPERLINK("http://evil.example","win")', '+31 6 1234 5678', '-2+3', '@SUM(A1:A9)'];
/** The seeded topics that the default vocabulary's `fitness` terms name as whole words (read off the vocabulary by hand). */
export const FITNESS_TOPICS = new Set(['marathon training', 'yoga journal', 'running', 'fitness']);

const DAY = 86_400_000;
const HOUR = 3_600_000;
const PASSWORD = 'Username-Password-Authentication';
const LIKES = [
  [{ id: '1', name: 'Marathon Training', category: 'Sports & Recreation' }],
  [{ id: '2', name: 'Yoga Journal', category: 'Magazine' }, { id: '3', name: 'Pizza Place', category: 'Restaurant' }],
  [{ id: '3', name: 'Pizza Place', category: 'Restaurant' }],
];
const FC_INTERESTS = [
  [{ name: 'Running', id: '121', affinity: 'HIGH', category: 'Fitness' }],
  [{ name: 'Gymnastics', id: '9', affinity: 'LOW', category: 'Sports' }],
  [{ name: 'Coffee', id: '33', affinity: 'MEDIUM', category: 'Food & Drink' }],
];
const SCORES = [-4.2, -2.5, -2.5, -1.4, -0.5, 0, 0.8, 1.6, 3.1];

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface History { created_at: Date; last_login?: Date; logins_count: number; active_weeks: number[] }

/** A moment `days` whole days and 6–11 hours before now. */
const before = (now: Date, days: number, rnd: () => number) => new Date(now.getTime() - days * DAY - 6 * HOUR - Math.floor(rnd() * 5 * HOUR));

function historyOf(n: number, now: Date, rnd: () => number): History {
  const age = Math.floor(rnd() * 140);
  const created_at = before(now, age, rnd);
  const week = (at: Date) => Math.floor((at.getTime() - created_at.getTime()) / (7 * DAY));
  const kind = rnd();
  if (kind < 0.3 || age === 0) return { created_at, last_login: new Date(created_at.getTime() + 60_000), logins_count: 1, active_weeks: [0] };
  if (kind < 0.35) return { created_at, logins_count: 0, active_weeks: [] }; // verify-first, link never opened
  const last_login = before(now, Math.floor(rnd() * age), rnd);
  if (kind < 0.4 && week(last_login) >= 2) return { created_at, last_login, logins_count: 1, active_weeks: [week(last_login)] }; // first login weeks late
  const weeks = new Set([0, week(last_login)]);
  for (let k = 1; k < week(last_login); k++) if (rnd() < 0.4) weeks.add(k);
  return { created_at, last_login, logins_count: Math.max(2, weeks.size + Math.floor(rnd() * 4)), active_weeks: [...weeks].sort((a, b) => a - b) };
}

function identitiesOf(n: number, connection: string, twitter: boolean): Identity[] {
  const primary: Identity = { provider: connection === PASSWORD ? 'auth0' : connection, user_id: `id${n}`, connection, isSocial: connection !== PASSWORD };
  if (connection === 'twitter') primary.profileData = { screen_name: `Fan_${n}` };
  const linked: Identity[] = twitter && connection !== 'twitter' ? [{ provider: 'twitter', user_id: `tw${n}`, connection: 'twitter', isSocial: true, profileData: { screen_name: `Fan_${n}` } }] : [];
  return [primary, ...linked];
}

/** Profile content by connection: Facebook demographics and likes, or FullContact's answer, or nothing. */
function profileOf(n: number, connection: string, email: string | undefined, now: Date, rnd: () => number): Partial<UserDoc> {
  const gender = rnd() < 0.6 ? 'male' : 'female';
  if (connection === 'facebook') {
    const year = now.getUTCFullYear() - 18 - Math.floor(rnd() * 40);
    return { gender, birthday: `${year}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`, likes: LIKES[n % LIKES.length], location: 'Berlin, Germany' };
  }
  const check = rnd();
  if (!email || check < 0.4) return {}; // pending (enrichment on, not checked yet), or no email
  const checked_at = new Date(now.getTime() - 30 * DAY);
  if (check < 0.55) return { app_metadata: { fullcontact: { status: 'no_match', checked_at } } };
  const decade = 20 + 10 * Math.floor(rnd() * 4);
  const person = fullContactPerson({ email, gender: gender === 'male' ? 'Male' : 'Female', ageRange: `${decade}-${decade + 9}`, interests: FC_INTERESTS[n % FC_INTERESTS.length], city: rnd() < 0.5 ? 'Boulder' : 'Austin' });
  return { user_metadata: { fullcontact: person, fullcontact_profile: normaliseFullContact(person) }, app_metadata: { fullcontact: { status: 'matched', checked_at } } };
}

/** What the sentiment hook stores (a label), or what the article's rule stores (no label), or an analysis date as text. */
function sentimentOf(n: number, now: Date): Record<string, unknown> {
  const score = SCORES[n % SCORES.length];
  const analyzed_at = n % 11 === 0 ? '2025-01-02T03:04:05Z' : new Date(now.getTime() - (n % 50) * DAY - 7 * HOUR);
  const label = score < -1 ? 'negative' : score > 1 ? 'positive' : 'neutral';
  const stored = n % 4 === 0 ? { score, tweets_analyzed: 3 + (n % 7) } : { score, label, tweets_analyzed: 3 + (n % 7), analyzed_at, source: 'builtin' };
  return { sentiment_initialized: true, sentiment: stored };
}

/** The stored lifecycle: as the write funnel keeps it, a reactivation for some, and a stale one for a few. */
function lifecycleFor(n: number, user: UserDoc, now: Date): Lifecycle {
  const history = { created_at: user.created_at, last_login: user.last_login, logins_count: user.logins_count };
  if (n % 13 === 0) return lifecycleOf(history, WINDOWS, new Date(now.getTime() - 3 * DAY)); // the sweep is 3 days late
  const current = lifecycleOf(history, WINDOWS, now);
  const back = user.last_login && user.last_login.getTime() > now.getTime() - 20 * DAY;
  if (n % 9 === 0 && current.state === 'active' && back) return lifecycleOf({ ...history, previous: { state: 'dormant', since: user.created_at } }, WINDOWS, now);
  return current;
}

export function reportShopper(n: number, now: Date, rnd: () => number): UserDoc {
  const pick = rnd();
  const connection = pick < 0.3 ? PASSWORD : pick < 0.5 ? 'google-oauth2' : pick < 0.75 ? 'facebook' : 'twitter';
  const twitter = connection === 'twitter' || rnd() < 0.25;
  const email = connection === 'twitter' && n % 3 === 0 ? undefined : `shopper${n}@innovashoes.example`;
  const history = historyOf(n, now, rnd);
  const { active_weeks, ...dates } = history;
  const profile = profileOf(n, connection, email, now, rnd);
  const user = {
    user_id: `${connection === PASSWORD ? 'auth0' : connection}|id${n}`, ...(email ? { email } : {}), email_verified: Boolean(email), name: `Shopper ${n}`,
    identities: identitiesOf(n, connection, twitter), ...dates, updated_at: dates.last_login ?? dates.created_at,
    blocked: false, blocked_for: [], user_metadata: {}, ...profile,
    app_metadata: { ...profile.app_metadata, ...(twitter && n % 5 !== 0 ? sentimentOf(n, now) : {}) },
  } as UserDoc;
  if (!user.last_login) delete user.last_login;
  if (n % 97 === 50) return user; // never given facts (inserted by some other tool): left out of state-based reports
  const facts = deriveFacts(user, { vocabulary: DEFAULT_INTEREST_VOCABULARY, now, enrichmentEnabled: true, sentimentThresholds: { negative_below: -1, positive_above: 1 } });
  return { ...user, facts: { ...facts, lifecycle: lifecycleFor(n, user, now), active_weeks } };
}

/**
 * Four shoppers whose names start like formulas, in every campaign list: signed up 30 days ago and
 * never back, men about 30 who like "Marathon Training" on Facebook, unhappy on X.
 */
export function formulaShoppers(now: Date): UserDoc[] {
  const rnd = random(7);
  return FORMULA_NAMES.map((name, i) => {
    const base = reportShopper(9000 + i, now, rnd);
    const created_at = before(now, 30, rnd);
    const user: UserDoc = {
      ...base, user_id: `facebook|formula${i}`, email: `formula${i}@innovashoes.example`, name, created_at, updated_at: created_at,
      last_login: new Date(created_at.getTime() + 60_000), logins_count: 1,
      identities: identitiesOf(9000 + i, 'facebook', true), gender: 'male', birthday: `${now.getUTCFullYear() - 30}-02-1${i}`, likes: LIKES[0],
      user_metadata: {}, app_metadata: { sentiment_initialized: true, sentiment: { score: -3, label: 'negative', tweets_analyzed: 5, analyzed_at: created_at } },
    };
    const facts = deriveFacts(user, { vocabulary: DEFAULT_INTEREST_VOCABULARY, now });
    return { ...user, facts: { ...facts, lifecycle: lifecycleOf(user, WINDOWS, now), active_weeks: [0] } };
  });
}

/**
 * Two whose stored state the sweep has not caught up with: `new` though signed up 15 days ago and
 * never back (never_returned by now), `active` though last seen 100 days ago (dormant by now).
 */
export function staleShoppers(now: Date): UserDoc[] {
  const rnd = random(11);
  const stale = (n: number, history: Pick<UserDoc, 'created_at' | 'last_login' | 'logins_count'>, state: 'new' | 'active') => {
    const base = reportShopper(n, now, rnd);
    const user = { ...base, user_id: `auth0|stale${n}`, email: `stale${n}@innovashoes.example`, identities: identitiesOf(n, PASSWORD, false), ...history, updated_at: history.last_login! };
    return { ...user, facts: { ...base.facts!, lifecycle: { state, since: history.created_at }, active_weeks: [0] } };
  };
  const signedUp = before(now, 15, rnd);
  const returned = before(now, 200, rnd);
  return [
    stale(9100, { created_at: signedUp, last_login: new Date(signedUp.getTime() + 60_000), logins_count: 1 }, 'new'),
    stale(9101, { created_at: returned, last_login: before(now, 100, rnd), logins_count: 4 }, 'active'),
  ];
}

export const STALE_IDS = { neverReturned: 'auth0|stale9100', dormant: 'auth0|stale9101' };

export function reportShoppers(now: Date, count = 260, seed = 42): UserDoc[] {
  const rnd = random(seed);
  return [...Array.from({ length: count }, (_, n) => reportShopper(n, now, rnd)), ...formulaShoppers(now), ...staleShoppers(now)];
}
