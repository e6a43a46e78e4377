import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FakeRequest } from './fakes/fake-common.ts';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import type { Call } from './fakes/fake-json-api.ts';
import { startFakeSentiment, type FakeSentimentService } from './fakes/fake-sentiment.ts';
import { startFakeXApi, type FakeXApi } from './fakes/fake-x-api.ts';
import { hookSettings, newShopper, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshFacebook, freshGoogle, freshTwitter, socialTrip, storefrontTokens, usersOf } from './support/social-steps.ts';
import { signUpVerified } from './support/verified-signup.ts';

/**
 * Deployments behind an API gateway or egress proxy configure base URLs with a path
 * (`https://gw.example/fullcontact`). Every fake here serves only under such a prefix and answers
 * 404 elsewhere, so a client that drops the path fails.
 */

const outside = (prefix: string, requests: (FakeRequest | Call)[]) => requests.filter((r) => !r.fullPath.startsWith(`${prefix}/`)).map((r) => r.fullPath);

describe('provider URLs with a path prefix (connections)', () => {
  let world: SocialWorld;
  let x: FakeXApi;
  before(async () => {
    x = await startFakeXApi(undefined, '/gw/x-api');
    world = await startSocialWorld(hookSettings({ x }), undefined, { pathPrefix: '/gw', facebookProfileQuery: 'locale=en_US' });
  });
  after(async () => { await world.close(); await x.close(); });

  test('Google, Facebook and X sign in through endpoints under /gw/<provider>; nothing is asked outside it', async () => {
    const accounts = { 'google-oauth2': freshGoogle(world).email, facebook: freshFacebook(world).email, twitter: freshTwitter(world).email };
    for (const [connection, email] of Object.entries(accounts) as [keyof typeof accounts, string][]) {
      const trip = await socialTrip(world.insole, connection);
      const tokens = await storefrontTokens(trip, trip.landing);
      assert.equal(tokens.claims()!.email, email, `${connection}: the profile came through`);
    }
    for (const fake of [world.google, world.facebook, world.twitter]) {
      assert.ok(fake.pathPrefix.startsWith('/gw/'));
      assert.deepEqual(outside(fake.pathPrefix, fake.requests), [], `every request to ${fake.pathPrefix} kept the prefix`);
    }
    assert.deepEqual(world.google.requests.filter((r) => r.method === 'POST').map((r) => r.path), ['/o/oauth2/v2/auth/approve', '/token']);
    assert.ok(world.google.requests.some((r) => r.path === '/v3/userinfo'));
    assert.deepEqual(world.twitter.requests.filter((r) => r.method === 'POST').map((r) => r.path), ['/oauth/request_token', '/oauth/authenticate/approve', '/oauth/access_token']);
    assert.ok(world.twitter.requests.some((r) => r.path === '/1.1/account/verify_credentials.json'));
  });

  test("Facebook's profile URL keeps a query it was configured with, and insole's fields are added to it", async () => {
    const account = freshFacebook(world);
    const trip = await socialTrip(world.insole, 'facebook');
    await storefrontTokens(trip, trip.landing);
    const me = world.facebook.requests.filter((r) => r.path.endsWith('/me')).at(-1)!;
    const query = new URLSearchParams(me.search);
    assert.equal(query.get('locale'), 'en_US', 'the configured query survives');
    assert.equal(query.get('fields'), 'id,name,first_name,last_name,email,picture.type(large),birthday,gender,location,likes');
    const user = await usersOf(world.insole).findOne({ user_id: `facebook|${account.id}` });
    assert.equal(user!.birthday, '1991-08-14', 'fields that need the fields parameter arrived');
  });

  test('builtin sentiment searches X through x_base_url with a path', async () => {
    const account = freshTwitter(world);
    x.tweet(account.screen_name, '@InnovaShoes great fit, happy feet');
    const trip = await socialTrip(world.insole, 'twitter');
    await storefrontTokens(trip, trip.landing);
    const user = await until('the sentiment', async () => {
      const found = await usersOf(world.insole).findOne({ 'identities.user_id': account.id_str });
      return found?.app_metadata?.sentiment_initialized === true && found;
    });
    assert.equal(user.app_metadata.sentiment.tweets_analyzed, 1);
    const mine = x.searchCalls().filter((c) => c.query.get('query')?.startsWith(`from:${account.screen_name} `));
    assert.deepEqual(mine.map((c) => c.fullPath), ['/gw/x-api/2/tweets/search/recent']);
    assert.deepEqual(outside('/gw/x-api', x.calls), []);
  });
});

describe('hook base URLs with a path prefix (FullContact, remote sentiment)', () => {
  let fullcontact: FakeFullContact;
  let sentiment: FakeSentimentService;
  let insole: TestInsole;
  before(async () => {
    fullcontact = await startFakeFullContact(undefined, '/gw/fullcontact');
    sentiment = await startFakeSentiment(undefined, '/gw/sentiment');
    insole = await startTestInsole(hookSettings({ fullcontact, sentiment }));
  });
  after(async () => { await insole.stop(); await Promise.all([fullcontact.close(), sentiment.close()]); });

  test('base_url "…/gw/fullcontact" calls …/gw/fullcontact/v3/person.enrich; remote_url is called as configured', async () => {
    assert.match(insole.config.hooks.fullcontact.base_url, /\/gw\/fullcontact$/);
    const shopper = newShopper('gateway');
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, twitter: 'gateway_runner' }));
    sentiment.scores.set('gateway_runner', { score: 2, tweets_analyzed: 4 });
    await signUpVerified(insole, shopper);
    const user = await until('enrichment and sentiment', async () => {
      const found = await userByEmail(insole, shopper.email);
      return found?.app_metadata?.fullcontact?.status === 'matched' && found.app_metadata.sentiment_initialized === true && found;
    });
    assert.equal(user.user_metadata.fullcontact_profile.twitter, 'gateway_runner');
    assert.equal(user.app_metadata.sentiment.score, 2);
    assert.deepEqual(fullcontact.calls.map((c) => [c.method, c.fullPath]), [['POST', '/gw/fullcontact/v3/person.enrich']]);
    assert.deepEqual(sentiment.calls.map((c) => [c.method, c.fullPath]), [['POST', '/gw/sentiment/sentiment']]);
  });
});
