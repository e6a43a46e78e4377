import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { labelOf, scoreTweets } from '../src/hooks/builtin/sentiment-score.ts';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { startFakeSentiment, type FakeSentimentService } from './fakes/fake-sentiment.ts';
import { startFakeXApi, type FakeXApi } from './fakes/fake-x-api.ts';
import { hookSettings, jobsFor, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshTwitter, socialTrip, storefrontTokens, usersOf } from './support/social-steps.ts';
import { signUpVerified } from './support/verified-signup.ts';

/** Twitter sentiment about the store, once per user: the handle from the Twitter identity or from FullContact. */

const THRESHOLDS = { negative_below: -1, positive_above: 1 };

const sentimentOf = (insole: TestInsole, userId: string) =>
  until(`the sentiment of ${userId}`, async () => {
    const user = await usersOf(insole).findOne({ user_id: userId });
    return user?.app_metadata?.sentiment_initialized === true && user;
  });

describe('AFINN scoring', () => {
  test('the score is the mean AFINN score per tweet, links ignored', () => {
    assert.deepEqual(scoreTweets(['@InnovaShoes love these shoes, amazing grip', '@InnovaShoes good laces']), { score: 5, tweets_analyzed: 2 });
    assert.deepEqual(scoreTweets(['@InnovaShoes worst order ever, terrible support https://t.co/awful']), { score: -4, tweets_analyzed: 1 }, 'the -3 of "awful" in the link does not count');
    assert.deepEqual(scoreTweets([]), { score: 0, tweets_analyzed: 0 });
  });

  test('labels: neutral between the thresholds', () => {
    assert.equal(labelOf(-1.5, THRESHOLDS), 'negative');
    assert.equal(labelOf(-1, THRESHOLDS), 'neutral');
    assert.equal(labelOf(1, THRESHOLDS), 'neutral');
    assert.equal(labelOf(1.01, THRESHOLDS), 'positive');
  });
});

describe('builtin sentiment for shoppers who sign in with Twitter (X API recent search)', () => {
  let world: SocialWorld;
  let x: FakeXApi;

  before(async () => {
    x = await startFakeXApi();
    world = await startSocialWorld(hookSettings({ x }));
  });
  after(async () => {
    await x.close();
    await world.close();
  });
  beforeEach(() => x.reset());

  async function twitterSignIn() {
    const trip = await socialTrip(world.insole, 'twitter');
    await storefrontTokens(trip, trip.landing);
  }

  test("the shopper's tweets about the brand are scored once, however often they sign in", async () => {
    const account = freshTwitter(world);
    x.tweet(account.screen_name,
      'Loving my new @InnovaShoes trail runners, best purchase this year',
      '@InnovaShoes great fit, happy feet',
      'Morning run in the rain, not about shoes at all');
    await twitterSignIn();
    const user = (await usersOf(world.insole).findOne({ 'identities.user_id': account.id_str }))!;
    const stored = await sentimentOf(world.insole, user.user_id);

    const { score, label, tweets_analyzed, analyzed_at, source } = stored.app_metadata.sentiment;
    assert.deepEqual({ score, label, tweets_analyzed, source }, { score: 6, label: 'positive', tweets_analyzed: 2, source: 'builtin' });
    assert.ok(analyzed_at instanceof Date);
    const [search] = x.searchCalls();
    assert.equal(search!.headers.authorization, `Bearer ${x.bearerToken}`);
    assert.equal(search!.query.get('query'), `from:${account.screen_name} @InnovaShoes -is:retweet`);
    assert.equal(search!.query.get('max_results'), '100');

    await twitterSignIn();
    await twitterSignIn();
    assert.equal(x.searchCalls().length, 1, 'once per user');
    const jobs = await jobsFor(world.insole, user.user_id, 'sentiment');
    assert.deepEqual(jobs.map((j) => [j.key, j.state, j.attempts]), [[`sentiment:${user.user_id}`, 'done', 1]]);
  });

  test('X rate-limiting (429 with x-rate-limit-reset) is waited out', async () => {
    const account = freshTwitter(world);
    x.tweet(account.screen_name, '@InnovaShoes my soles fell apart after a week. Disappointed and angry.');
    const resetAt = Math.ceil(Date.now() / 1000) + 1; // epoch seconds, as X sends it
    x.script({ status: 429, headers: { 'x-rate-limit-reset': String(resetAt) }, body: { title: 'Too Many Requests', status: 429 } });
    await twitterSignIn();
    const user = (await usersOf(world.insole).findOne({ 'identities.user_id': account.id_str }))!;
    const stored = await sentimentOf(world.insole, user.user_id);
    assert.equal(stored.app_metadata.sentiment.label, 'negative');
    const [limited, retried] = x.searchCalls();
    assert.ok(limited && retried, 'asked again after the 429');
    assert.ok(retried.at >= resetAt * 1000, `asked again ${resetAt * 1000 - retried.at} ms before the rate-limit window reset`);
    const [job] = await jobsFor(world.insole, user.user_id, 'sentiment');
    assert.deepEqual([job!.attempts, job!.rate_limited], [1, 1], 'the rate-limited attempt is not counted (rate-limits.test.ts)');
  });
});

describe('remote sentiment for handles FullContact found, on two insole instances', () => {
  let fullcontact: FakeFullContact;
  let sentiment: FakeSentimentService;
  let a: TestInsole;
  let b: TestInsole;

  before(async () => {
    fullcontact = await startFakeFullContact();
    sentiment = await startFakeSentiment();
    const databaseUri = testDatabaseUri();
    const settings = hookSettings({ fullcontact, sentiment });
    a = await startTestInsole(settings, databaseUri);
    b = await startTestInsole(settings, databaseUri);
  });
  after(async () => {
    await Promise.all([fullcontact.close(), sentiment.close()]);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('each shopper is analysed once across repeated sign-ins on both instances', async () => {
    const shoppers = Array.from({ length: 4 }, (_, i) => ({ credentials: newShopper(`remote${i}`), handle: `runner_${i}_${process.pid % 1000}` }));
    for (const [i, s] of shoppers.entries()) {
      fullcontact.know(s.credentials.email, fullContactPerson({ email: s.credentials.email, twitter: s.handle }));
      sentiment.scores.set(s.handle.toLowerCase(), { score: i - 2, tweets_analyzed: 3 });
    }
    for (const [i, s] of shoppers.entries()) await signUpVerified(i % 2 ? a : b, s.credentials);
    for (let round = 0; round < 2; round++) {
      await Promise.all(shoppers.map((s, i) => signInForTokens(((i + round) % 2 ? b : a).issuer, s.credentials)));
    }

    for (const [i, s] of shoppers.entries()) {
      const user = (await userByEmail(a, s.credentials.email))!;
      const stored = await sentimentOf(a, user.user_id);
      const expected = i - 2;
      assert.deepEqual(
        { score: stored.app_metadata.sentiment.score, label: stored.app_metadata.sentiment.label, tweets: stored.app_metadata.sentiment.tweets_analyzed },
        { score: expected, label: labelOf(expected, THRESHOLDS), tweets: 3 });
      assert.equal(stored.app_metadata.sentiment.source, 'remote');
      const [job] = await settled(a, user.user_id, 'sentiment');
      assert.deepEqual([job!.state, job!.attempts], ['done', 1]);
    }
    // More sign-ins once everything is done: nothing new is asked.
    await Promise.all(shoppers.map((s, i) => signInForTokens((i % 2 ? a : b).issuer, s.credentials)));
    for (const s of shoppers) {
      const calls = sentiment.calls.filter((c) => (c.body as { twitterHandle: string }).twitterHandle === s.handle);
      assert.equal(calls.length, 1, `${s.handle} analysed once`);
      assert.deepEqual(calls[0]!.body, { twitterHandle: s.handle, secret: sentiment.secret });
    }
  });

  test('a service that answers 2xx without a JSON object (text "OK", a JSON string) keeps its result: analysed once, no score', async () => {
    const shoppers = [newShopper('plainok'), newShopper('queued')];
    for (const [i, s] of shoppers.entries()) fullcontact.know(s.email, fullContactPerson({ email: s.email, twitter: `keeps_${i}_${process.pid % 1000}` }));
    sentiment.script({ status: 200, text: 'OK' }, { status: 202, body: 'queued' }); // the next two calls, whichever shopper comes first
    for (const s of shoppers) await signUpVerified(a, s);
    for (const s of shoppers) {
      const user = (await userByEmail(a, s.email))!;
      const stored = await sentimentOf(a, user.user_id);
      assert.deepEqual([stored.app_metadata.sentiment.score, stored.app_metadata.sentiment.label], [null, null]);
      const [job] = await settled(a, user.user_id, 'sentiment');
      assert.deepEqual([job!.state, job!.attempts], ['done', 1], 'not retried: a retry would post the shopper again');
    }
  });

  test('a shopper whose handle nobody knows gets no sentiment job', async () => {
    const shopper = newShopper('nohandle');
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email }));
    await signUpVerified(a, shopper);
    const user = (await userByEmail(a, shopper.email))!;
    await settled(a, user.user_id, 'fullcontact');
    assert.equal((await jobsFor(a, user.user_id, 'sentiment')).length, 0);
    assert.equal((await userByEmail(a, shopper.email))!.app_metadata.sentiment_initialized, undefined);
  });
});
