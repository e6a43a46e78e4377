import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { runCli } from '../src/cli/insole.ts';
import { answerConsent } from './fakes/drive.ts';
import { proxiedDatabase } from './support/proxied-database.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import type { TcpProxy } from './support/tcp-proxy.ts';
import {
  follow, freshFacebook, freshGoogle, healAll, logsSince, read, socialTrip, storefrontTokens, submit, usersOf, type Page, type Trip,
} from './support/social-steps.ts';

/**
 * The linking rule: a social identity whose email belongs to an existing account joins it only after
 * the shopper signs in to that account once, in the same interaction, whether or not either side
 * verified the address (a matching email alone never links: account pre-hijacking, see
 * account-pre-hijacking.test.ts).
 */
describe('linking a social identity to an existing account', () => {
  let world: SocialWorld;
  let serial = 0;
  before(async () => { world = await startSocialWorld(); });
  after(async () => { await world.close(); });
  beforeEach(() => healAll(world));

  const password = 'heel toe heel toe marathon';
  const newEmail = (name: string) => `${name}.${Date.now()}${++serial}@gmail.com`;

  /** A password account made through the hosted sign-up page, its email verified or not. */
  async function passwordUser(email: string, verified: boolean): Promise<string> {
    const { tokens } = await signInForTokens(world.insole.issuer, { email, password }, 'signup');
    // Verification by mail is another feature's business: set the flag directly.
    if (verified) await usersOf(world.insole).updateOne({ email }, { $set: { email_verified: true } });
    return tokens.claims()!.sub;
  }

  const identitiesOf = async (user_id: string) =>
    ((await usersOf(world.insole).findOne({ user_id }))?.identities ?? []).map((i: { provider: string; user_id: string; connection: string; isSocial: boolean }) =>
      `${i.connection}|${i.user_id}|${i.isSocial ? 'social' : 'database'}`);

  /** The sign-in page asking the shopper to prove they own the existing account. */
  /** A refused or abandoned link: no user made, the social identity nowhere, the account unchanged, nothing logged. */
  async function assertNotLinked({ usersBefore, socialId, sub, since }: { usersBefore: number; socialId: string; sub: string; since: Date }): Promise<void> {
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore);
    assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': socialId }), 0);
    assert.equal((await identitiesOf(sub)).length, 1);
    assert.deepEqual((await logsSince(world.insole, since)).map((l) => l.type), []);
  }

  function assertLinkNotice(page: Page, email: string, label: string): void {
    assert.equal(page.left, undefined, 'not signed in yet');
    assert.equal(page.status, 200);
    assert.equal(read.h1(page.html), 'Sign in');
    assert.equal(read.notice(page.html), `You already have an account with ${email}. Sign in to it once to connect ${label}.`);
    assert.equal(read.inputValue(page.html, 'email'), email, 'the email is filled in');
    assert.equal(read.alert(page.html), undefined, 'a notice, not an error');
  }

  async function signInWithPassword(trip: Trip, page: Page, email: string, pass = password): Promise<Page> {
    const form = read.form(page.html, /\/interaction\/[^/]+\/login$/);
    assert.equal(form.action, `/interaction/${trip.uid}/login`, 'the same interaction');
    return submit(trip.agent, form.action, { email, password: pass, _csrf: form.csrf }, world.insole);
  }

  test('both emails verified: Google is not linked on the email alone; the shopper signs in with the password and it is linked then', async () => {
    const email = newEmail('verified.both');
    const sub = await passwordUser(email, true);
    const a = freshGoogle(world, { email: email.toUpperCase(), email_verified: true }); // the same address, however Google spells it
    const usersBefore = await usersOf(world.insole).countDocuments();
    const since = new Date();

    const trip = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(trip.landing, email, 'Google');
    await assertNotLinked({ usersBefore, socialId: a.sub, sub, since });

    const done = await signInWithPassword(trip, trip.landing, email);
    const claims = (await storefrontTokens(trip, done)).claims()!;
    assert.equal(claims.sub, sub, 'the storefront gets the existing account');
    assert.match(sub, /^auth0\|/);
    assert.deepEqual(await identitiesOf(sub), [`Username-Password-Authentication|${sub.slice('auth0|'.length)}|database`, `google-oauth2|${a.sub}|social`]);
    const user = (await usersOf(world.insole).findOne({ user_id: sub }))!;
    assert.ok(user.identities[1].sealed_tokens?.data, 'the linked identity keeps its sealed tokens');
    assert.equal(user.identities[1].profileData.sub, a.sub);
    assert.equal(user.email, email, 'the primary profile stays as it was');
    assert.equal(user.logins_count, 2);
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore, 'no second user');

    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => l.type), ['s', 'link']);
    assert.equal(logs[1]!.user_id, sub);
    assert.equal(logs[1]!.connection, 'google-oauth2');
    assert.deepEqual(logs[1]!.details, { linked: `google-oauth2|${a.sub}` });

    // From now on Google alone is enough, and it is not linked twice.
    const again = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(again, again.landing)).claims()!.sub, sub);
    assert.equal((await identitiesOf(sub)).length, 2);
    assert.deepEqual((await logsSince(world.insole, since)).map((l) => l.type), ['s', 'link', 's']);
  });

  test('a password user a migration stored without identities keeps its own identity first when Google is linked', async () => {
    const email = newEmail('migrated');
    const sub = `auth0|migrated${serial}`;
    await usersOf(world.insole).insertOne({ user_id: sub, email, email_verified: true, password_hash: bcrypt.hashSync(password, 4), created_at: new Date('2025-03-01T10:00:00Z') });
    const a = freshGoogle(world, { email, email_verified: true });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(trip.landing, email, 'Google');
    const done = await signInWithPassword(trip, trip.landing, email);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, sub);
    assert.deepEqual(await identitiesOf(sub), [`Username-Password-Authentication|migrated${serial}|database`, `google-oauth2|${a.sub}|social`]);
  });

  test('an admin unlinks the linked identity (CLI), which is logged; the primary identity cannot be unlinked', async () => {
    const email = newEmail('unlink.me');
    const sub = await passwordUser(email, true);
    const a = freshGoogle(world, { email, email_verified: true });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(trip, await signInWithPassword(trip, trip.landing, email))).claims()!.sub, sub);
    assert.equal((await identitiesOf(sub)).length, 2);
    const since = new Date();

    const cli = async (...args: string[]) => {
      const saved = { uri: process.env.MONGODB_URI, log: console.log };
      const url = new URL(saved.uri!);
      url.pathname = `/${world.insole.db.databaseName}`;
      process.env.MONGODB_URI = url.toString();
      console.log = () => {};
      try { return await runCli(args); } finally { process.env.MONGODB_URI = saved.uri; console.log = saved.log; }
    };
    assert.equal(await cli('users', 'unlink', '--email', email, '--connection', 'google-oauth2'), 0);
    assert.deepEqual(await identitiesOf(sub), [`Username-Password-Authentication|${sub.slice('auth0|'.length)}|database`]);
    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => l.type), ['unlink']);
    assert.deepEqual(logs[0]!.details, { unlinked: `google-oauth2|${a.sub}`, by: 'cli' });

    await assert.rejects(cli('users', 'unlink', '--email', email, '--connection', 'Username-Password-Authentication'), /primary identity cannot be unlinked/);
    assert.equal((await identitiesOf(sub)).length, 1);
  });

  test('an existing social account is linked too, once signed in to: Google (verified) joins a Facebook account with the same email after continuing with Facebook', async () => {
    const email = newEmail('facebook.first');
    const fb = freshFacebook(world, { email });
    const first = await socialTrip(world.insole, 'facebook');
    assert.equal((await storefrontTokens(first, first.landing)).claims()!.sub, `facebook|${fb.id}`);

    const g = freshGoogle(world, { email, email_verified: true });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal(trip.landing.left, undefined, 'a verified Google email does not sign in to the Facebook account');
    assert.equal(read.notice(trip.landing.html), `You already have an account with ${email}, which you signed in to with Facebook. Continue with Facebook once to connect Google.`);
    assert.deepEqual(await identitiesOf(`facebook|${fb.id}`), [`facebook|${fb.id}|social`]);

    const toFacebook = await trip.agent.get(new URL(read.link(trip.landing.html, /Continue with Facebook/), world.insole.issuer).href);
    const done = await follow(trip.agent, (await answerConsent(toFacebook.left!, 'allow')).href, world.insole);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, `facebook|${fb.id}`);
    assert.deepEqual(await identitiesOf(`facebook|${fb.id}`), [`facebook|${fb.id}|social`, `google-oauth2|${g.sub}|social`]);
    const user = (await usersOf(world.insole).findOne({ user_id: `facebook|${fb.id}` }))!;
    assert.equal(user.name, fb.name, 'root fields stay the primary identity\'s');
  });

  test('an account without a password: the notice names the provider it signs in with, and continuing with it links Google', async () => {
    const email = newEmail('facebook.only');
    const fb = freshFacebook(world, { email });
    const first = await socialTrip(world.insole, 'facebook');
    const sub = (await storefrontTokens(first, first.landing)).claims()!.sub;
    const g = freshGoogle(world, { email, email_verified: true });

    const trip = await socialTrip(world.insole, 'google-oauth2');
    // Not "sign in" with the password form below it: this account has no password.
    assert.equal(read.notice(trip.landing.html), `You already have an account with ${email}, which you signed in to with Facebook. Continue with Facebook once to connect Google.`);
    const reloaded = await follow(trip.agent, trip.landing.url, world.insole);
    assert.equal(read.notice(reloaded.html), read.notice(trip.landing.html), 'the reloaded offer says the same');

    const toFacebook = await trip.agent.get(new URL(read.link(trip.landing.html, /Continue with Facebook/), world.insole.issuer).href);
    const back = await answerConsent(toFacebook.left!, 'allow');
    const done = await follow(trip.agent, back.href, world.insole);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, sub);
    assert.deepEqual((await identitiesOf(sub)).slice(1), [`google-oauth2|${g.sub}|social`]);
  });

  test('the account\'s email is not verified: no link; the shopper signs in with the password and Google is linked then', async () => {
    const email = newEmail('unverified.account');
    const sub = await passwordUser(email, false);
    const a = freshGoogle(world, { email, email_verified: true });
    const usersBefore = await usersOf(world.insole).countDocuments();
    const since = new Date();

    const trip = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(trip.landing, email, 'Google');
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore, 'no new user');
    assert.equal((await identitiesOf(sub)).length, 1, 'not linked yet');
    assert.deepEqual((await logsSince(world.insole, since)).map((l) => l.type), [], 'nothing happened yet');

    // A reload shows the offer again (the outcome it came from was used up by the first view).
    const reloaded = await follow(trip.agent, trip.landing.url, world.insole);
    assertLinkNotice(reloaded, email, 'Google');

    // A typo first: the pending link waits for the right password.
    const wrong = await signInWithPassword(trip, reloaded, email, 'not the password');
    assert.equal(wrong.status, 401);
    assert.equal(read.alert(wrong.html), 'Wrong email or password.');
    assert.equal((await identitiesOf(sub)).length, 1);

    const done = await signInWithPassword(trip, wrong, email);
    const claims = (await storefrontTokens(trip, done)).claims()!;
    assert.equal(claims.sub, sub);
    assert.deepEqual(await identitiesOf(sub), [`Username-Password-Authentication|${sub.slice('auth0|'.length)}|database`, `google-oauth2|${a.sub}|social`]);
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore, 'still no new user');
    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => l.type), ['fp', 's', 'link']);
    assert.deepEqual(logs[2]!.details, { linked: `google-oauth2|${a.sub}` });
    assert.equal(logs[2]!.user_id, sub);

    // Next time Google alone signs in to that account. Its word on the address does not verify the
    // account's: root attributes come from the primary identity only, as at Auth0 (README "Social sign-in").
    const again = await socialTrip(world.insole, 'google-oauth2');
    const againClaims = (await storefrontTokens(again, again.landing)).claims()!;
    assert.deepEqual([againClaims.sub, againClaims.email_verified], [sub, false]);
    assert.equal((await usersOf(world.insole).findOne({ user_id: sub }))!.email_verified, false);
  });

  test('two offers in one sign-in (Google, then Facebook): signing in links the one the shopper was asked about last, and nothing waits after', async () => {
    const email = newEmail('two.offers');
    const sub = await passwordUser(email, true);
    freshGoogle(world, { email, email_verified: true });
    const fb = freshFacebook(world, { email });

    const trip = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(trip.landing, email, 'Google');
    const toFacebook = await trip.agent.get(new URL(read.link(trip.landing.html, /Continue with Facebook/), world.insole.issuer).href);
    const offer = await follow(trip.agent, (await answerConsent(toFacebook.left!, 'allow')).href, world.insole);
    assertLinkNotice(offer, email, 'Facebook');

    const done = await signInWithPassword(trip, offer, email);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, sub);
    assert.deepEqual((await identitiesOf(sub)).slice(1), [`facebook|${fb.id}|social`], 'the identity the notice named');
    assert.equal(await world.insole.db.collection('social_handshakes').countDocuments({ uid: trip.uid, kind: 'pending_link' }), 0, 'no provider tokens left waiting');
  });

  test('signing in to a different account after the notice links nothing', async () => {
    const owner = newEmail('owner');
    const ownerSub = await passwordUser(owner, false);
    const otherEmail = newEmail('someone.else');
    const otherSub = await passwordUser(otherEmail, true);
    freshGoogle(world, { email: owner, email_verified: true });
    const since = new Date();

    const trip = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(trip.landing, owner, 'Google');
    const done = await signInWithPassword(trip, trip.landing, otherEmail);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, otherSub, 'signed in as the account whose password was given');
    assert.equal((await identitiesOf(ownerSub)).length, 1);
    assert.equal((await identitiesOf(otherSub)).length, 1, 'the Google identity does not follow the shopper to another account');
    assert.deepEqual((await logsSince(world.insole, since)).map((l) => l.type), ['s']);

    // The pending link is gone: Google still has to be proven against the owner's account.
    const later = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(later.landing, owner, 'Google');
  });

  test('Google has not verified its email, the account has: no link either', async () => {
    const email = newEmail('google.unverified');
    const sub = await passwordUser(email, true);
    const a = freshGoogle(world, { email, email_verified: false });
    const usersBefore = await usersOf(world.insole).countDocuments();
    const since = new Date();

    const trip = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(trip.landing, email, 'Google');
    await assertNotLinked({ usersBefore, socialId: a.sub, sub, since });
  });

  test('never linked while the shopper does not sign in, though both emails are verified: a later Google sign-in shows the notice again, and creates no user', async () => {
    const email = newEmail('abandoned');
    const sub = await passwordUser(email, true);
    const a = freshGoogle(world, { email, email_verified: true });
    const usersBefore = await usersOf(world.insole).countDocuments();
    const since = new Date();

    const first = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(first.landing, email, 'Google'); // … and the shopper walks away
    const later = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(later.landing, email, 'Google');

    await assertNotLinked({ usersBefore, socialId: a.sub, sub, since });
  });

  test('an address the provider did not vouch for (Google\'s unverified) is not told how its account signs in', async () => {
    const email = newEmail('typed.for.facebook.account');
    freshFacebook(world, { email });
    const first = await socialTrip(world.insole, 'facebook');
    const sub = (await storefrontTokens(first, first.landing)).claims()!.sub;

    // Anyone can make a Google account claim any address, unverified: the page must not say which providers it uses.
    // (X's email step answers every typed address the same: social-email-step.test.ts.)
    freshGoogle(world, { email, email_verified: false });
    const unverified = await socialTrip(world.insole, 'google-oauth2');
    assertLinkNotice(unverified.landing, email, 'Google');
    assertLinkNotice(await follow(unverified.agent, unverified.landing.url, world.insole), email, 'Google'); // reloaded

    // The owner still links by continuing with Facebook, which the page offers among its buttons.
    const toFacebook = await unverified.agent.get(new URL(read.link(unverified.landing.html, /Continue with Facebook/), world.insole.issuer).href);
    const done = await follow(unverified.agent, (await answerConsent(toFacebook.left!, 'allow')).href, world.insole);
    assert.equal((await storefrontTokens(unverified, done)).claims()!.sub, sub);
  });
});

describe('a block that lands while the hosted page links a social identity', () => {
  let proxy: TcpProxy;
  let world: SocialWorld;
  before(async () => {
    // The database behind a TCP proxy, so the link's write can be held at the wire while the block lands.
    let uri: string;
    ({ proxy, uri } = await proxiedDatabase());
    world = await startSocialWorld({}, undefined, {}, uri);
  });
  after(async () => { await world.close(); await proxy.close(); });

  test('the account is blocked after its password sign-in was checked, before Google is written to it: no link, and the sign-in is refused as a blocked one', async () => {
    const email = `blocked.mid.link.${Date.now()}@gmail.com`;
    const password = 'heel toe heel toe marathon';
    const sub = (await signInForTokens(world.insole.issuer, { email, password }, 'signup')).tokens.claims()!.sub;
    const google = freshGoogle(world, { email, email_verified: true });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.match(read.notice(trip.landing.html) ?? '', /Sign in to it once to connect Google/);
    const since = new Date();

    // The link's write names the Google account; it waits at the wire while an admin blocks the user.
    const hold = proxy.holdAt((chunk) => chunk.includes('findAndModify') && chunk.includes(google.sub));
    const form = read.form(trip.landing.html, /\/interaction\/[^/]+\/login$/);
    const signingIn = submit(trip.agent, form.action, { email, password, _csrf: form.csrf }, world.insole);
    await hold.held;
    await usersOf(world.insole).updateOne({ user_id: sub }, { $set: { blocked: true } });
    hold.release();
    const page = await signingIn;

    assert.equal(page.left, undefined, 'no redirect to the storefront');
    assert.equal(page.status, 403);
    assert.equal(read.alert(page.html), 'This account cannot sign in. Please contact the store.');
    const user = (await usersOf(world.insole).findOne({ user_id: sub }))!;
    assert.deepEqual(user.identities.map((i: { provider: string }) => i.provider), ['auth0'], 'Google is not on the blocked account');
    assert.ok(!(await logsSince(world.insole, since)).some((l) => l.type === 'link'), 'no link logged');
  });
});
