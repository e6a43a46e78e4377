import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { answerConsent } from './fakes/drive.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { emailStepDriver } from './support/social-email-step.ts';
import {
  follow, freshGoogle, healAll, logsSince, read, ShopperAgent, socialTrip, storefrontTokens, submit, usersOf, type Trip,
} from './support/social-steps.ts';

/**
 * X (and a Facebook account made with a phone number) shares no email, so the shopper types one.
 * STANDARDS: no account enumeration. The page answers "check your inbox" whether or not the address
 * has an account; only the mail differs, and its link works only in the browser that typed the address.
 */
describe('the email step of a social sign-in does not tell whether an address has an account', () => {
  let inbox: Inbox;
  let world: SocialWorld;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url }, attack_protection: { account_mails: { max_per_address: 2 } } });
  });
  after(async () => { await world.close(); await inbox.close(); });
  beforeEach(() => healAll(world));

  const { password, CONFIRM, CONNECT, newEmail, linkPrefix, connectionsOf, passwordAccount, typeAddress, shown } = emailStepDriver(() => world);

  test('an address with an account and one without get the very same "check your inbox" answer, and each its own mail', async () => {
    const owned = newEmail('has.account');
    const sub = await passwordAccount(owned);
    const fresh = newEmail('no.account');
    const usersBefore = await usersOf(world.insole).countDocuments();

    const withAccount = await typeAddress(owned);
    const without = await typeAddress(fresh);
    assert.deepEqual(shown(withAccount.answer, withAccount.trip, owned), shown(without.answer, without.trip, fresh));
    assert.equal(withAccount.answer.status, 200);
    assert.equal(read.h1(withAccount.answer.html), 'Check your inbox');
    assert.match(shown(without.answer, without.trip, fresh).text, /We sent a link to <email> ?\. Open it in this browser to continue signing in with X \(Twitter\)\./);
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore, 'nobody created, nothing linked yet');
    assert.deepEqual(await connectionsOf(sub), ['Username-Password-Authentication']);

    // Reloaded: the same page again, and no second mail.
    const reloaded = await follow(withAccount.trip.agent, withAccount.answer.url, world.insole);
    assert.deepEqual(shown(reloaded, withAccount.trip, owned), shown(withAccount.answer, withAccount.trip, owned));

    const toOwner = await inbox.waitFor(owned, CONNECT);
    assert.match(toOwner.text ?? '', /gave this email address, which already has a .* account/);
    assert.ok(inbox.linkIn(toOwner, linkPrefix(withAccount.trip)));
    const toNew = await inbox.waitFor(fresh, CONFIRM);
    assert.ok(inbox.linkIn(toNew, linkPrefix(without.trip)));
    assert.equal(inbox.mails.filter((m) => JSON.stringify(m.to).includes(owned) && CONNECT.test(m.subject ?? '')).length, 1, 'one mail to the owner');
    assert.equal(inbox.mails.filter((m) => JSON.stringify(m.to).includes(fresh)).length, 1);
    assertNoServerErrors(withAccount.trip, without.trip);
  });

  test('the owner follows the mail\'s link and signs in to the account: X is linked to it; a wrong password links nothing', async () => {
    const email = newEmail('links.x');
    const sub = await passwordAccount(email);
    const { trip, x } = await typeAddress(email);
    const link = inbox.linkIn(await inbox.waitFor(email, CONNECT), linkPrefix(trip));

    const offer = await follow(trip.agent, link, world.insole);
    assert.equal(offer.status, 200);
    assert.equal(read.h1(offer.html), 'Sign in');
    assert.equal(read.notice(offer.html), `You already have an account with ${email}. Sign in to it once to connect X (Twitter).`);
    assert.deepEqual(await connectionsOf(sub), ['Username-Password-Authentication'], 'following the link links nothing');

    const form = read.form(offer.html, /\/interaction\/[^/]+\/login$/);
    const wrong = await submit(trip.agent, form.action, { email, password: 'not the password at all', _csrf: form.csrf }, world.insole);
    assert.equal(wrong.status, 401);
    assert.deepEqual(await connectionsOf(sub), ['Username-Password-Authentication']);

    const again = read.form(wrong.html, /\/interaction\/[^/]+\/login$/);
    const done = await submit(trip.agent, again.action, { email, password, _csrf: again.csrf }, world.insole);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, sub);
    assert.deepEqual(await connectionsOf(sub), ['Username-Password-Authentication', 'twitter']);
    assert.equal(await usersOf(world.insole).countDocuments({ user_id: `twitter|${x.id_str}` }), 0, 'no X user of its own');
    assertNoServerErrors(trip);
  });

  test('a new address: the mail\'s link finishes the sign-in and creates the X user with the address, now verified', async () => {
    const email = newEmail('new.x');
    const since = new Date();
    const { trip, x } = await typeAddress(email);
    const link = inbox.linkIn(await inbox.waitFor(email, CONFIRM), linkPrefix(trip));

    const done = await follow(trip.agent, link, world.insole);
    const claims = (await storefrontTokens(trip, done)).claims()!;
    assert.equal(claims.sub, `twitter|${x.id_str}`);
    assert.equal(claims.email, email);
    assert.equal(claims.email_verified, true, 'the link proved the mailbox');
    assert.deepEqual((await logsSince(world.insole, since, { user_id: claims.sub })).map((l) => l.type), ['ss']);

    const reused = await follow(trip.agent, link, world.insole);
    assert.equal(reused.left, undefined, 'the link works once');
    assert.equal(await usersOf(world.insole).countDocuments({ user_id: claims.sub }), 1);
    assertNoServerErrors(trip);
  });

  test('either link opened in another browser does nothing, and still works in the browser that typed the address', async () => {
    const owned = newEmail('forwarded.owned');
    const sub = await passwordAccount(owned);
    const fresh = newEmail('forwarded.new');
    const withAccount = await typeAddress(owned);
    const without = await typeAddress(fresh);
    const links = [
      inbox.linkIn(await inbox.waitFor(owned, CONNECT), linkPrefix(withAccount.trip)),
      inbox.linkIn(await inbox.waitFor(fresh, CONFIRM), linkPrefix(without.trip)),
    ];
    const usersBefore = await usersOf(world.insole).countDocuments();

    for (const link of links) {
      const elsewhere = new ShopperAgent(world.insole.issuer);
      const page = await follow(elsewhere, link, world.insole);
      assert.equal(page.status, 400);
      assert.equal(page.left, undefined);
      assert.equal(read.h1(page.html), 'Open this link where you signed in');
      assert.ok(!page.html.includes(owned) && !page.html.includes(fresh), 'the page names no address');
    }
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore);
    assert.deepEqual(await connectionsOf(sub), ['Username-Password-Authentication']);

    assert.equal(read.notice((await follow(withAccount.trip.agent, links[0]!, world.insole)).html),
      `You already have an account with ${owned}. Sign in to it once to connect X (Twitter).`);
    assert.equal((await storefrontTokens(without.trip, await follow(without.trip.agent, links[1]!, world.insole))).claims()!.sub, `twitter|${without.x.id_str}`);
  });

  test('an account without a password: once the mailbox is proven by the link, the offer names how it signs in, and continuing with it links X', async () => {
    const email = newEmail('google.only');
    freshGoogle(world, { email, email_verified: true });
    const first = await socialTrip(world.insole, 'google-oauth2');
    const sub = (await storefrontTokens(first, first.landing)).claims()!.sub;
    const { trip } = await typeAddress(email);
    const link = inbox.linkIn(await inbox.waitFor(email, CONNECT), linkPrefix(trip));

    const offer = await follow(trip.agent, link, world.insole);
    assert.equal(read.notice(offer.html), `You already have an account with ${email}, which you signed in to with Google. Continue with Google once to connect X (Twitter).`);
    const toGoogle = await trip.agent.get(new URL(read.link(offer.html, /Continue with Google/), world.insole.issuer).href);
    const done = await follow(trip.agent, (await answerConsent(toGoogle.left!, 'allow')).href, world.insole);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, sub);
    assert.deepEqual(await connectionsOf(sub), ['google-oauth2', 'twitter']);
  });

  test('past the per-address mail limit the answer is the same, no link is made, and the log says why', async () => {
    const owned = newEmail('limited.owned');
    await passwordAccount(owned);
    const since = new Date();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await typeAddress(owned)); // max_per_address: 2
    const [first, , third] = answers;
    assert.deepEqual(shown(third!.answer, third!.trip, owned), shown(first!.answer, first!.trip, owned));
    const links = world.insole.db.collection('social_handshakes');
    assert.equal(await links.countDocuments({ kind: 'emailed_link', uid: first!.trip.uid }), 1);
    assert.equal(await links.countDocuments({ kind: 'emailed_link', uid: third!.trip.uid }), 0, 'no link, so no mail, for the third');
    const refused = (await logsSince(world.insole, since, { user_name: owned, type: 'f' })).map((l) => l.details?.error);
    assert.deepEqual(refused, ['too many mail requests for this email']);
  });

  function assertNoServerErrors(...trips: Trip[]): void {
    for (const trip of trips) assert.deepEqual(trip.agent.serverErrors(), []);
  }
});
