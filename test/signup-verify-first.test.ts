// First: wraps @node-rs/argon2's verify before src/ binds to it (see the file).
import { argon2VerificationsDuring } from './support/argon2-spy.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './support/browser.ts';
import { signInLogsWritten } from './support/insole.ts';
import { buildAuthorization, discoverStorefront, signInForTokens } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import {
  follow, freshGoogle, logsOf, openSignIn, read, ShopperAgent, socialTrip, storefrontTokens, submit, usersOf, type Page, type SignInPage,
} from './support/social-steps.ts';

/**
 * `signup.verify_email_first` (the production default): a password sign-up is only a pending
 * sign-up until its emailed link is confirmed. It is no account: a sign-in with its password is
 * answered exactly as a wrong password is, so a sign-up followed by a sign-in cannot tell which
 * emails have accounts.
 */
describe('sign-up that waits for the emailed link (the production default)', () => {
  let inbox: Inbox;
  let world: SocialWorld;
  let serial = 0;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url }, signup: { verify_email_first: true } });
  });
  after(async () => { await world.close(); await inbox.close(); });

  const insole = () => world.insole;
  const pendingOf = (email: string) => world.insole.db.collection('pending_signups').findOne({ email });
  const newEmail = (name: string) => `${name}.${Date.now()}${++serial}@innovashoes.example`;
  const CONFIRM = /Confirm your email/;

  /** The storefront sends a shopper to the sign-up page, who fills it in. */
  async function signUp(email: string, password: string, agent = new ShopperAgent(world.insole.issuer)) {
    const start = await openSignIn(insole(), agent);
    const page = await follow(agent, read.link(start.page.html, /^Create an account$/), insole());
    const form = read.form(page.html, /\/signup$/);
    return { ...start, result: await submit(agent, form.action, { email, password, _csrf: form.csrf }, insole()) };
  }

  /** A new browser signs in with the password form. */
  async function signIn(email: string, password: string): Promise<SignInPage & { result: Page }> {
    const start = await openSignIn(insole());
    const form = read.form(start.page.html, /\/login$/);
    return { ...start, result: await submit(start.agent, form.action, { email, password, _csrf: form.csrf }, insole()) };
  }

  /** Opens a link mailed to `email` (the n-th confirmation mail) and presses its button. */
  async function confirm(email: string, n: number, agent = new ShopperAgent(world.insole.issuer)): Promise<Page> {
    const link = inbox.linkIn(await inbox.waitForNth(email, CONFIRM, n), `${world.insole.issuer}/email/verify?ticket=`);
    const page = await follow(agent, link, insole());
    assert.equal(page.status, 200, 'opening the link only shows a page');
    const ticket = /name="ticket" value="([^"]+)"/.exec(page.html)![1]!;
    const form = read.form(page.html, /^\/email\/verify$/);
    return submit(agent, form.action, { ticket, _csrf: form.csrf }, insole());
  }

  /** An account whose sign-up was confirmed (in another browser, so no sign-in was finished). */
  async function confirmedAccount(email: string, password: string): Promise<string> {
    await signUp(email, password);
    assert.match(read.h1((await confirm(email, 1)).html), /Email confirmed/);
    return (await usersOf(insole()).findOne({ email }))!.user_id;
  }

  // What a visitor sees, minus what differs by construction (the email typed, the interaction id, the CSRF token).
  const comparable = (page: Page, uid: string, email: string) => page.html.replaceAll(email, 'EMAIL').replaceAll(uid, 'UID')
    .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="CSRF"');

  test('an existing email and a new one get the same answer; only the owner is told; nothing is created', async () => {
    const owner = newEmail('owner');
    await confirmedAccount(owner, 'owner has this one');
    const usersBefore = await usersOf(insole()).countDocuments();

    const freshEmail = newEmail('newcomer');
    const existing = await signUp(owner, 'an attacker guess here');
    const fresh = await signUp(freshEmail, 'newcomer picks this');
    await inbox.waitFor(owner, /Someone tried to create/);
    assert.equal(existing.result.status, 200);
    assert.equal(existing.result.left, undefined);
    assert.equal(comparable(existing.result, existing.uid, owner), comparable(fresh.result, fresh.uid, freshEmail));
    assert.equal(read.h1(fresh.result.html), 'Check your inbox');

    await inbox.waitFor(freshEmail, CONFIRM);
    assert.equal(await usersOf(insole()).countDocuments(), usersBefore, 'no user until a link is confirmed');
    assert.ok(await pendingOf(freshEmail), 'the newcomer waits in pending_signups');
    assert.equal(await pendingOf(owner), null, 'an existing account changes nothing');
    assert.equal(inbox.mails.filter((m) => m.subject?.match(CONFIRM) && JSON.stringify(m.to).includes(owner)).length, 1, 'the owner got no new link');
  });

  test('before the link is confirmed, a sign-in with the sign-up\'s password is refused exactly like a wrong password', async () => {
    const owner = newEmail('runner');
    await confirmedAccount(owner, 'the real password is long');
    const pending = newEmail('pending');
    await signUp(pending, 'pending password here');

    let wrong!: Awaited<ReturnType<typeof signIn>>;
    let unconfirmed!: Awaited<ReturnType<typeof signIn>>;
    const wrongWork = await argon2VerificationsDuring(async () => { wrong = await signIn(owner, 'a wrong password here'); });
    const pendingWork = await argon2VerificationsDuring(async () => { unconfirmed = await signIn(pending, 'pending password here'); });

    assert.equal(wrong.result.status, 401);
    assert.equal(unconfirmed.result.status, wrong.result.status);
    assert.equal(unconfirmed.result.left, undefined, 'not signed in');
    assert.equal(read.alert(unconfirmed.result.html), 'Wrong email or password.');
    assert.equal(comparable(unconfirmed.result, unconfirmed.uid, pending), comparable(wrong.result, wrong.uid, owner));
    assert.equal(pendingWork.length, 1, 'one Argon2 verification…');
    assert.equal(wrongWork.length, 1, '…as for a wrong password');
    assert.equal(pendingWork[0]!.result, false, 'against the dummy hash: the pending hash is not a user\'s');
    const failure = await logsOf(insole()).findOne({ user_name: pending, type: { $in: ['fu', 'fp', 'f', 's'] } });
    assert.deepEqual([failure!.type, failure!.details.error, failure!.user_id], ['fu', 'unknown user', undefined], 'logged as for an unknown user');
  });

  test('the enumeration pair: sign-up then sign-in with its password gives identical answers for an existing and a new email', async () => {
    const owner = newEmail('taken');
    await confirmedAccount(owner, 'owner keeps this secret');
    const fresh = newEmail('unused');
    const answers = [];
    for (const email of [owner, fresh]) {
      const up = await signUp(email, 'probing password 123');
      let down!: Awaited<ReturnType<typeof signIn>>;
      const work = await argon2VerificationsDuring(async () => { down = await signIn(email, 'probing password 123'); });
      answers.push({
        signup: [up.result.status, comparable(up.result, up.uid, email)],
        signin: [down.result.status, down.result.left, comparable(down.result, down.uid, email)],
        verifications: work.length,
      });
    }
    assert.deepEqual(answers[1], answers[0]);
    assert.equal(answers[0]!.signin[0], 401);
    assert.equal(answers[0]!.verifications, 1);
  });

  test('confirming the link in the same browser creates the user, verified, with one ss event, and finishes the sign-in', async () => {
    const email = newEmail('finisher');
    const signup = await signUp(email, 'finish what you start');
    assert.equal(await usersOf(insole()).findOne({ email }), null, 'no user before the link is confirmed');

    const done = await confirm(email, 1, signup.agent);
    const tokens = await storefrontTokens(signup, done);
    const user = await usersOf(insole()).findOne({ email });
    assert.equal(tokens.claims()!.sub, user!.user_id);
    assert.equal(tokens.claims()!.email_verified, true);
    assert.ok(tokens.access_token && tokens.refresh_token, 'the storefront got its tokens');
    assert.equal(user!.email_verified, true);
    assert.equal(user!.logins_count, 1, 'the sign-up counts as the first login');
    assert.ok(user!.last_login instanceof Date && user!.created_at instanceof Date);
    assert.match(user!.password_hash, /^\$argon2id\$/);
    await signInLogsWritten(insole().db);
    const types = (await logsOf(insole()).find({ user_id: user!.user_id }).sort({ date: 1, log_id: 1 }).toArray()).map((l) => l.type);
    assert.deepEqual(types, ['ss', 'sv', 's']);
    assert.equal(await pendingOf(email), null, 'the pending sign-up is gone');
    assert.equal((await confirm(email, 1)).status, 400, 'the link works once');
  });

  test('confirming in another browser creates the user and asks to sign in there', async () => {
    const email = newEmail('two.devices');
    await signUp(email, 'phone and laptop both');
    const done = await confirm(email, 1);
    assert.equal(done.status, 200);
    assert.match(done.html, /Go back to the store and sign in/);
    assert.equal((await usersOf(insole()).findOne({ email }))!.email_verified, true);
    await signInForTokens(insole().issuer, { email, password: 'phone and laptop both' });
  });

  test('an expired pending sign-up leaves nothing behind: the link and the password are refused, no user exists', async () => {
    const email = newEmail('late');
    await signUp(email, 'too late for this one');
    await inbox.waitFor(email, CONFIRM);
    await world.insole.db.collection('pending_signups').updateOne({ email }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await pendingOf(email);

    const link = await confirm(email, 1);
    assert.equal(link.status, 400);
    assert.match(read.alert(link.html) ?? '', /expired or was already used/);
    assert.equal((await signIn(email, 'too late for this one')).result.status, 401);
    assert.equal(await usersOf(insole()).countDocuments({ email }), 0);
    assert.equal(await logsOf(insole()).countDocuments({ user_name: email, type: { $in: ['ss', 'sv', 's'] } }), 0);

    // "Didn't get the mail?" does not revive it.
    const agent = new ShopperAgent(insole().issuer);
    const resend = read.form((await follow(agent, '/email/verify/resend', insole())).html, /resend$/);
    assert.equal((await submit(agent, resend.action, { email, _csrf: resend.csrf }, insole())).status, 200);
    assert.deepEqual(await pendingOf(email), expired, 'no new link for an expired sign-up');

    // The address is free to sign up again.
    await signUp(email, 'second time lucky now');
    assert.match(read.h1((await confirm(email, 2)).html), /Email confirmed/);
    await signInForTokens(insole().issuer, { email, password: 'second time lucky now' });
  });

  test('a second sign-up for a pending email replaces the first: its link is dead and its password never counts', async () => {
    const email = newEmail('twice');
    await signUp(email, 'first password typed');
    await inbox.waitFor(email, CONFIRM);
    const second = await signUp(email, 'second password typed');
    await inbox.waitForNth(email, CONFIRM, 2);

    assert.equal((await confirm(email, 1)).status, 400, 'the first link stopped working');
    assert.equal(await usersOf(insole()).countDocuments({ email }), 0);
    const done = await confirm(email, 2, second.agent);
    assert.equal((await storefrontTokens(second, done)).claims()!.email, email);
    assert.equal((await signIn(email, 'first password typed')).result.status, 401);
    await signInForTokens(insole().issuer, { email, password: 'second password typed' });
    await signInLogsWritten(insole().db);
    assert.equal(await logsOf(insole()).countDocuments({ user_name: email, type: 'ss', 'details.signed_in': false }), 1, 'one ss, which is not yet a login');
  });

  test('"didn\'t get the mail?" answers the same for any email, and sends a pending sign-up a fresh link that still finishes its sign-in', async () => {
    const email = newEmail('resend');
    const signup = await signUp(email, 'mail it once more');
    await inbox.waitFor(email, CONFIRM);
    const resend = async (address: string) => {
      const agent = new ShopperAgent(insole().issuer);
      const form = read.form((await follow(agent, '/email/verify/resend', insole())).html, /resend$/);
      const page = await submit(agent, form.action, { email: address, _csrf: form.csrf }, insole());
      return [page.status, page.html.replace(/name="_csrf" value="[^"]+"/g, '')];
    };
    assert.deepEqual(await resend(email), await resend(newEmail('nobody')));
    await inbox.waitForNth(email, CONFIRM, 2);
    assert.equal((await confirm(email, 1)).status, 400, 'the older link stopped working');
    const done = await confirm(email, 2, signup.agent);
    assert.equal((await storefrontTokens(signup, done)).claims()!.email, email);
  });

  test('Google with a verified email takes an address that only has a pending sign-up; the pending sign-up is dropped', async () => {
    const google = freshGoogle(world, { email_verified: true });
    await signUp(google.email, 'someone typed this first');
    await inbox.waitFor(google.email, CONFIRM);

    const trip = await socialTrip(insole(), 'google-oauth2');
    const claims = (await storefrontTokens(trip, trip.landing)).claims()!;
    assert.equal(claims.sub, `google-oauth2|${google.sub}`);
    assert.equal(claims.email_verified, true);
    assert.equal(await pendingOf(google.email), null, 'the pending sign-up is gone');
    assert.equal((await confirm(google.email, 1)).status, 400, 'its link is dead');
    assert.equal((await signIn(google.email, 'someone typed this first')).result.status, 401);
    const users = await usersOf(insole()).find({ email: google.email }).toArray();
    assert.deepEqual(users.map((u) => u.identities.map((i: { connection: string }) => i.connection)), [['google-oauth2']]);
  });

  test('someone else signed up with the address and its owner confirmed it: Google with that verified address is asked to sign in to the account, not let in', async () => {
    const email = newEmail('pre.hijacked');
    const sub = await confirmedAccount(email, 'an attacker typed this'); // the owner clicked "confirm" on a sign-up they did not make
    const google = freshGoogle(world, { email, email_verified: true });

    const trip = await socialTrip(insole(), 'google-oauth2');
    assert.equal(trip.landing.left, undefined, 'not signed in to the account on the email alone');
    assert.equal(read.notice(trip.landing.html), `You already have an account with ${email}. Sign in to it once to connect Google.`);
    const user = (await usersOf(insole()).findOne({ user_id: sub }))!;
    assert.deepEqual(user.identities.map((i: { connection: string }) => i.connection), ['Username-Password-Authentication'], 'nothing linked');
    assert.equal(await usersOf(insole()).countDocuments({ 'identities.user_id': google.sub }), 0);
  });

  test('Google with an unverified email is linked to nothing pending; confirming the link afterwards creates nothing and says so', async () => {
    const google = freshGoogle(world, { email_verified: false });
    await signUp(google.email, 'mailbox owner typed this');
    await inbox.waitFor(google.email, CONFIRM);

    const trip = await socialTrip(insole(), 'google-oauth2');
    assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.email_verified, false);
    assert.ok(await pendingOf(google.email), 'an unverified provider email does not touch the pending sign-up');

    const done = await confirm(google.email, 1);
    assert.equal(done.status, 200);
    assert.equal(read.h1(done.html), 'You already have an account');
    const users = await usersOf(insole()).find({ email: google.email }).toArray();
    assert.deepEqual(users.map((u) => [u.user_id, u.email_verified]), [[`google-oauth2|${google.sub}`, false]], 'no password user was made');
    assert.equal(await logsOf(insole()).countDocuments({ user_name: google.email, type: 'fs' }), 1);
  });

  test('reloading "Check your inbox" in Chromium shows it again and signs up nobody again: no second mail, the first link still works', async () => {
    const email = newEmail('reloader');
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const { url } = await buildAuthorization(await discoverStorefront(insole().issuer), { screen_hint: 'signup' });
      await page.goto(url);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('reload me as often as you like');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
      await inbox.waitFor(email, CONFIRM);
      const ticket = (await pendingOf(email))!.ticket;

      const reloaded = await page.reload();
      assert.equal(reloaded?.status(), 200);
      await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
      assert.match(await page.getByRole('status').innerText(), new RegExp(`We sent a link to ${email.replaceAll('.', '\\.')}\\.`));
      assert.equal((await pendingOf(email))!.ticket, ticket, 'the emailed link is still the live one');
      assert.equal(reloaded?.request().method(), 'GET', 'the page has its own address: a reload posts nothing');
    } finally {
      await browser.close();
    }
    assert.match(read.h1((await confirm(email, 1)).html), /Email confirmed/);
    assert.equal(inbox.mails.filter((m) => JSON.stringify(m.to).includes(email)).length, 1, 'one mail, for one sign-up');
  });

  test('reloading the answer to "send the link again" in Chromium sends no newer link: the one it mailed stays live and finishes the sign-up', async () => {
    const email = newEmail('resend.reloader');
    await signUp(email, 'one resend is plenty');
    await inbox.waitFor(email, CONFIRM);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${insole().issuer}/email/verify/resend`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByRole('button', { name: 'Send link' }).click();
      await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
      await inbox.waitForNth(email, CONFIRM, 2);
      const ticket = (await pendingOf(email))!.ticket;

      const reloaded = await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
      assert.equal((await pendingOf(email))!.ticket, ticket, 'the resent link is still the live one');
      assert.equal(reloaded?.status(), 200);
      assert.equal(reloaded?.request().method(), 'GET', 'the answer has its own address: a reload posts nothing');
    } finally {
      await browser.close();
    }
    assert.match(read.h1((await confirm(email, 2)).html), /Email confirmed/);
    assert.equal(inbox.mails.filter((m) => JSON.stringify(m.to).includes(email)).length, 2, 'the sign-up\'s mail and one resend');
  });
});
