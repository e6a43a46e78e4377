import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { buildAuthorization, discoverStorefront, oidc } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import {
  follow, freshGoogle, freshTwitter, healAll, openSignIn, read, ShopperAgent, socialTrip, storefrontTokens, submit, usersOf, type Page,
} from './support/social-steps.ts';

/**
 * Account pre-hijacking (Sudhodanan & Paverd, "Pre-hijacked accounts", USENIX Security 2022): an
 * attacker makes an account with the victim's address and gets the victim to confirm it; when the
 * victim later signs in with Google, a link on the (now verified) email alone would put the victim
 * in the attacker's account. insole links only after the shopper signs in to the existing account.
 */
describe('account pre-hijacking: a matching verified email does not link', () => {
  let inbox: Inbox;
  let world: SocialWorld;
  let serial = 0;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url } });
  });
  after(async () => { await world.close(); await inbox.close(); });
  beforeEach(() => healAll(world));

  const victimEmail = () => `victim.${Date.now()}${++serial}@gmail.com`;
  const CONFIRM = /Confirm your email/;
  const userOf = (user_id: string) => usersOf(world.insole).findOne({ user_id });
  const connectionsOf = async (user_id: string) => ((await userOf(user_id))?.identities ?? []).map((i: { connection: string }) => i.connection);

  /** Fills in and sends a form at `path` outside any sign-in (resend, reset), as a fresh browser. */
  async function emailForm(path: string, email: string): Promise<Page> {
    const agent = new ShopperAgent(world.insole.issuer);
    const form = read.form((await follow(agent, path, world.insole)).html, new RegExp(`${path}$`));
    return submit(agent, form.action, { email, _csrf: form.csrf }, world.insole);
  }

  /** The victim opens the newest mail to them matching `subject` and presses its button (with `fields`). */
  async function victimClicks(email: string, subject: RegExp, prefix: string, fields: Record<string, string> = {}): Promise<Page> {
    const mails = inbox.mails.filter((m) => subject.test(m.subject ?? '') && JSON.stringify(m.to).includes(email));
    const link = inbox.linkIn(mails.at(-1) ?? await inbox.waitFor(email, subject), `${world.insole.issuer}${prefix}?ticket=`);
    const agent = new ShopperAgent(world.insole.issuer);
    const page = await follow(agent, link, world.insole);
    const ticket = /name="ticket" value="([^"]+)"/.exec(page.html)![1]!;
    const form = read.form(page.html, new RegExp(`^${prefix}$`));
    return submit(agent, form.action, { ticket, _csrf: form.csrf, ...fields }, world.insole);
  }

  /** Whether a browser's insole session still signs it in without a sign-in page. */
  async function stillSignedIn(agent: ShopperAgent): Promise<boolean> {
    const request = await buildAuthorization(await discoverStorefront(world.insole.issuer));
    return Boolean((await agent.get(request.url)).left);
  }

  test('X without email: the attacker types the victim\'s address; the victim\'s click on the mailed link (in the victim\'s browser) makes no account, and the victim\'s Google sign-in lands in an account of their own', async () => {
    const victim = victimEmail();

    // The attacker: X gives no email, so insole asks for one and the attacker types the victim's.
    const attackerX = freshTwitter(world, { email: undefined });
    const attacker = await socialTrip(world.insole, 'twitter');
    const emailStep = read.form(attacker.landing.html, /\/email$/);
    const answer = await submit(attacker.agent, emailStep.action, { email: victim, _csrf: emailStep.csrf }, world.insole);
    assert.equal(answer.left, undefined, 'the attacker is not signed in');
    assert.equal(read.h1(answer.html), 'Check your inbox');

    // The victim gets the mail and, trusting it, clicks: in the victim's own browser the link does nothing.
    const mail = await inbox.waitFor(victim, CONFIRM);
    const link = inbox.linkIn(mail, `${world.insole.issuer}/interaction/${attacker.uid}/email-link?ticket=`);
    const clicked = await follow(new ShopperAgent(world.insole.issuer), link, world.insole);
    assert.equal(clicked.status, 400);
    assert.equal(await usersOf(world.insole).countDocuments({ email: victim }), 0, 'no account with the victim\'s address');
    assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': attackerX.id_str }), 0);

    // The victim signs in with Google, which vouches for the address: a new account, the victim's.
    const google = freshGoogle(world, { email: victim, email_verified: true });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.sub, `google-oauth2|${google.sub}`);
    assert.deepEqual(await connectionsOf(`google-oauth2|${google.sub}`), ['google-oauth2']);
  });

  test('a password sign-up with the victim\'s address, confirmed by the victim: Google is not linked; a password reset is the victim\'s way in, and it signs the attacker out', async () => {
    const victim = victimEmail();
    const attackerPassword = 'the attacker chose this one';

    const attacker = await openSignIn(world.insole);
    const signup = read.form((await follow(attacker.agent, read.link(attacker.page.html, /^Create an account$/), world.insole)).html, /\/signup$/);
    const attackerIn = await submit(attacker.agent, signup.action, { email: victim, password: attackerPassword, _csrf: signup.csrf }, world.insole);
    const attackerTokens = await storefrontTokens(attacker, attackerIn);
    const accountSub = attackerTokens.claims()!.sub;
    assert.match(read.h1((await victimClicks(victim, CONFIRM, '/email/verify')).html), /Email confirmed/);
    assert.equal((await userOf(accountSub))!.email_verified, true);
    assert.ok(await stillSignedIn(attacker.agent), 'the attacker\'s browser is signed in to insole');

    const google = freshGoogle(world, { email: victim, email_verified: true });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal(trip.landing.left, undefined, 'not signed in to the attacker\'s account');
    assert.equal(read.notice(trip.landing.html), `You already have an account with ${victim}. Sign in to it once to connect Google.`);
    assert.deepEqual(await connectionsOf(accountSub), ['Username-Password-Authentication']);

    // The victim resets the password through the mailed link: the attacker is out, everywhere.
    await emailForm('/password/reset', victim);
    await inbox.waitFor(victim, /Reset your/);
    const victimPassword = 'the victim owns this mailbox';
    assert.match((await victimClicks(victim, /Reset your/, '/password/reset/new', { password: victimPassword })).html, /Password changed/);
    assert.equal(await stillSignedIn(attacker.agent), false, 'the attacker\'s insole session ended');
    await assert.rejects(oidc.refreshTokenGrant(attacker.config, attackerTokens.refresh_token!), (err: { error?: string }) => err.error === 'invalid_grant');

    // Back on the offer, the victim signs in with the new password: now Google is linked.
    const form = read.form(trip.landing.html, /\/login$/);
    const done = await submit(trip.agent, form.action, { email: victim, password: victimPassword, _csrf: form.csrf }, world.insole);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, accountSub);
    assert.deepEqual(await connectionsOf(accountSub), ['Username-Password-Authentication', 'google-oauth2']);
    assert.equal((await userOf(accountSub))!.identities[1].user_id, google.sub);
  });

  test('a Google account holding the victim\'s address unverified does not get it verified when Google later vouches for another address of the attacker\'s', async () => {
    const victim = victimEmail();
    const google = freshGoogle(world, { email: victim, email_verified: false });
    const user_id = `google-oauth2|${google.sub}`;
    const first = await socialTrip(world.insole, 'google-oauth2');
    await storefrontTokens(first, first.landing);
    assert.equal((await userOf(user_id))!.email_verified, false);

    const attackerOwn = `attacker.${google.sub.slice(-6)}@gmail.com`;
    world.google.account = { ...google, email: attackerOwn, email_verified: true };
    const again = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(again, again.landing)).claims()!.email_verified, false);
    const user = (await userOf(user_id))!;
    assert.deepEqual([user.email, user.email_verified, user.logins_count], [victim, false, 2], 'the victim\'s address is not verified by a word about another');
    assert.equal(user.identities[0].profileData.email, attackerOwn, 'profileData is what Google sent');
  });
});
