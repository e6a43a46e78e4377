import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { startFakeSentiment, type FakeSentimentService } from './fakes/fake-sentiment.ts';
import { hookSettings, jobsFor, newShopper, settled, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshGoogle, socialTrip, storefrontTokens } from './support/social-steps.ts';
import { confirmEmail } from './support/verified-signup.ts';

/**
 * With `signup.verify_email_first: false` (the test config) anyone can sign up with anyone's email.
 * FullContact is asked only about a verified address: an unverified profile is enriched once, when
 * its address becomes verified (the mailed link, an admin), and a changed address loses what
 * FullContact said about the old one.
 */
const ADMIN = { client_id: 'enrich-admin', client_secret: 'enrich-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users'] };

describe('FullContact only for a verified email', () => {
  let fullcontact: FakeFullContact;
  let sentiment: FakeSentimentService;
  let insole: TestInsole;
  let token: string;
  const patch = (userId: string, body: unknown) => api(insole, token, 'PATCH', `/users/${encodeURIComponent(userId)}`, body);
  const enriched = (email: string) => until(`${email} to be enriched`, async () => {
    const user = await userByEmail(insole, email);
    return user?.app_metadata?.fullcontact?.status === 'matched' && user;
  });

  before(async () => {
    [fullcontact, sentiment] = await Promise.all([startFakeFullContact(), startFakeSentiment()]);
    insole = await startTestInsole({
      ...hookSettings({ fullcontact, sentiment }),
      clients: [m2mClientConfig(ADMIN), { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] }],
    });
    token = (await managementToken(insole, ADMIN)).access_token;
  });
  after(async () => { await insole?.stop(); await fullcontact?.close(); await sentiment?.close(); });
  beforeEach(() => fullcontact.reset());

  test("a sign-up with someone's email is not looked up; its owner confirming the link enriches it, once", async () => {
    const victim = newShopper('victim');
    fullcontact.know(victim.email, fullContactPerson({ email: victim.email, twitter: 'victimruns' }));
    await signInForTokens(insole.issuer, victim, 'signup');
    await signInForTokens(insole.issuer, victim);
    const user = (await userByEmail(insole, victim.email))!;
    assert.equal(user.email_verified, false);
    // Post-login queues before the sign-in answers: a job would be there by now.
    assert.deepEqual(await jobsFor(insole, user.user_id, 'fullcontact'), [], 'nothing queued for an unverified address');
    assert.equal(fullcontact.enrichCalls().length, 0);
    assert.equal(user.user_metadata.fullcontact, undefined);

    await confirmEmail(insole, victim.email);
    const after = await enriched(victim.email);
    assert.equal(after.user_metadata.fullcontact_profile.twitter, 'victimruns');
    const [job, ...more] = await settled(insole, user.user_id, 'fullcontact');
    assert.deepEqual([job!.state, job!.attempts, more.length], ['done', 1, 0]);
    await signInForTokens(insole.issuer, victim);
    assert.equal((await jobsFor(insole, user.user_id, 'fullcontact')).length, 1);
    assert.deepEqual(fullcontact.enrichCalls().map((c) => c.body), [{ email: victim.email }], 'FullContact was asked once');
  });

  test('the Management API: a user created unverified waits; an admin setting email_verified enriches it once', async () => {
    const shopper = newShopper('api');
    fullcontact.know(shopper.email);
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', ...shopper, verify_email: false });
    assert.equal(created.status, 201);
    await signInForTokens(insole.issuer, shopper);
    assert.deepEqual(await jobsFor(insole, created.body.user_id, 'fullcontact'), []);

    assert.equal((await patch(created.body.user_id, { email_verified: true })).status, 200);
    await enriched(shopper.email);
    assert.equal((await patch(created.body.user_id, { email_verified: true, name: 'Still Verified' })).status, 200);
    await signInForTokens(insole.issuer, shopper);
    const jobs = await settled(insole, created.body.user_id, 'fullcontact');
    assert.equal(jobs.length, 1);
    assert.equal(fullcontact.enrichCalls().length, 1);
  });

  test("a new email drops the old address's enrichment in the same write; the new one is looked up once verified", async () => {
    const shopper = newShopper('mover');
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, twitter: 'oldowner', city: 'Boulder' }));
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', ...shopper, email_verified: true, verify_email: false });
    await signInForTokens(insole.issuer, shopper);
    await enriched(shopper.email);
    await settled(insole, created.body.user_id, 'sentiment'); // for the X handle FullContact found
    assert.equal((await userByEmail(insole, shopper.email))!.app_metadata.sentiment_initialized, true);

    const newEmail = newShopper('mover-new').email;
    fullcontact.know(newEmail, fullContactPerson({ email: newEmail, city: 'Denver' }));
    const changed = await patch(created.body.user_id, { email: newEmail, user_metadata: { shoe_size: 44 } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.email_verified, false);
    assert.deepEqual(changed.body.user_metadata, { shoe_size: 44 }, 'the old address\'s FullContact answer is gone');
    assert.deepEqual(changed.body.app_metadata, {}, 'and the sentiment about the X handle it found');
    await signInForTokens(insole.issuer, { email: newEmail, password: shopper.password });
    assert.equal(fullcontact.enrichCalls().length, 1, 'the unverified new address is not looked up');

    await patch(created.body.user_id, { email_verified: true });
    const user = await enriched(newEmail);
    assert.equal(user.user_metadata.fullcontact_profile.location.city, 'Denver');
    assert.deepEqual(fullcontact.enrichCalls().map((c) => c.body), [{ email: shopper.email }, { email: newEmail }]);
  });

  test('an answer about an address the profile no longer has is not stored', async () => {
    const shopper = newShopper('switch');
    fullcontact.know(shopper.email);
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', ...shopper, email_verified: false, verify_email: false });
    const hold = fullcontact.holdNext();
    await patch(created.body.user_id, { email_verified: true });
    await hold.arrived;
    await patch(created.body.user_id, { email: newShopper('switch-new').email });
    hold.release();
    const [job] = await settled(insole, created.body.user_id, 'fullcontact');
    assert.match(String(job!.result.skipped), /the address changed/);
    const user = (await insole.db.collection('users').findOne({ user_id: created.body.user_id }))!;
    assert.equal(user.user_metadata.fullcontact, undefined);
    assert.equal(user.app_metadata.fullcontact, undefined);
  });
});

describe('FullContact after a Google sign-up: only when Google vouches for the email', () => {
  let fullcontact: FakeFullContact;
  let world: SocialWorld;
  before(async () => {
    fullcontact = await startFakeFullContact();
    world = await startSocialWorld(hookSettings({ fullcontact }));
  });
  after(async () => { await world?.close(); await fullcontact?.close(); });

  test('email_verified true: looked up; false: nothing is sent until the address is verified', async () => {
    const vouched = freshGoogle(world);
    fullcontact.know(vouched.email);
    await signInWithGoogle(world);
    const user = await until('the vouched-for user to be enriched', async () => {
      const found = await userByEmail(world.insole, vouched.email);
      return found?.app_metadata?.fullcontact?.status === 'matched' && found;
    });
    assert.equal(user.email_verified, true);

    const unvouched = freshGoogle(world, { email_verified: false });
    fullcontact.know(unvouched.email);
    await signInWithGoogle(world);
    const stranger = (await userByEmail(world.insole, unvouched.email))!;
    assert.equal(stranger.email_verified, false);
    assert.deepEqual(await jobsFor(world.insole, stranger.user_id, 'fullcontact'), [], 'nothing queued for what Google did not verify');
    assert.deepEqual(fullcontact.enrichCalls().map((c) => c.body), [{ email: vouched.email }]);
  });

  test('a returning sign-in whose Google now vouches for the same address enriches it, once; vouching for another address looks nothing up', async () => {
    fullcontact.reset();
    const account = freshGoogle(world, { email_verified: false });
    fullcontact.know(account.email);
    await signInWithGoogle(world);
    const user_id = `google-oauth2|${account.sub}`;
    assert.deepEqual(await jobsFor(world.insole, user_id, 'fullcontact'), []);

    world.google.account = { ...account, email_verified: true };
    await signInWithGoogle(world);
    const user = await until('the newly vouched-for address to be enriched', async () => {
      const found = await userByEmail(world.insole, account.email);
      return found?.app_metadata?.fullcontact?.status === 'matched' && found;
    });
    assert.equal(user.email_verified, true);
    await signInWithGoogle(world);
    const [job, ...more] = await settled(world.insole, user_id, 'fullcontact');
    assert.deepEqual([job!.state, job!.attempts, more.length], ['done', 1, 0], 'one job for the sign-in and the verification together');
    assert.deepEqual(fullcontact.enrichCalls().map((c) => c.body), [{ email: account.email }], 'FullContact was asked once');

    const other = freshGoogle(world, { email_verified: false });
    fullcontact.know(other.email);
    await signInWithGoogle(world);
    world.google.account = { ...other, email: `someone.else.${other.sub.slice(-6)}@gmail.com`, email_verified: true };
    await signInWithGoogle(world);
    const stranger = (await userByEmail(world.insole, other.email))!;
    assert.deepEqual([stranger.email_verified, stranger.logins_count], [false, 2]);
    assert.deepEqual(await jobsFor(world.insole, stranger.user_id, 'fullcontact'), [], 'nothing queued for an address Google did not vouch for');
    assert.equal(fullcontact.enrichCalls().length, 1);
  });
});

/** The storefront's sign-in with the fake Google's current account, back to the storefront with tokens. */
async function signInWithGoogle(world: SocialWorld) {
  const trip = await socialTrip(world.insole, 'google-oauth2');
  return storefrontTokens(trip, trip.landing);
}
