import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { hookSettings, jobsFor, settled } from './support/hooks.ts';
import { signInLogsWritten, startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { lostThenBack, proxiedDatabase } from './support/proxied-database.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { follow, openSignIn, read, submit, type Page } from './support/social-steps.ts';
import type { TcpProxy } from './support/tcp-proxy.ts';
import { pressLink } from './support/user-agent.ts';

/**
 * A mailed "Confirm your email" link is used up only after what it does is written, so a crash or
 * a lost database between any two steps leaves it working, and the retry completes (found by the
 * fault-suite work: the link was spent first, and a retry got "Link expired" for an address still
 * unverified). The `sv` is written before the spend, once (the ticket keeps the first try's event),
 * so a crash after the spend cannot lose it. The database is behind a TCP proxy that dies at one
 * exact write (stopAt) or holds it.
 */

describe('the link of an existing user (signup.verify_email_first: false)', () => {
  let inbox: Inbox;
  let proxy: TcpProxy;
  let fullcontact: FakeFullContact;
  let insole: TestInsole;
  let serial = 0;
  before(async () => {
    [inbox, fullcontact] = await Promise.all([startInbox(), startFakeFullContact()]);
    const database = await proxiedDatabase();
    proxy = database.proxy;
    const storefront = { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] };
    insole = await startTestInsole({ ...hookSettings({ fullcontact }), mail: { smtp_url: inbox.url }, clients: [storefront] }, database.uri);
  });
  after(async () => { await insole.stop(); await proxy.close(); await inbox.close(); await fullcontact.close(); });

  /** A new password user and the link of its "Confirm your email" mail. */
  async function unverifiedUser(name: string) {
    const email = `${name}.${++serial}@innovashoes.example`;
    await signInForTokens(insole.issuer, { email, password: 'a fresh pair of trail shoes' }, 'signup');
    const link = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${insole.issuer}/email/verify?ticket=`);
    const user = (await insole.db.collection('users').findOne({ email }))!;
    return { email, link, user_id: user.user_id as string };
  }
  const verified = async (user_id: string) => (await insole.db.collection('users').findOne({ user_id }))!.email_verified;
  const svCount = (email: string) => insole.db.collection('logs').countDocuments({ type: 'sv', user_name: email });
  /** The sv's own insert into the logs (with its outbox marker), not the ticket's copy of it: its description ends there (BSON's NUL). */
  const svWrite = (email: string) => (chunk: Buffer) => chunk.includes('outbox_pending') && chunk.includes('Success Verification Email\0') && chunk.includes(email);

  test('the database lost at the verification\'s write: a 503, then the same link verifies the address, logged once', async () => {
    const { email, link, user_id } = await unverifiedUser('lost.at.verify');
    const cut = proxy.stopAt((chunk) => chunk.includes('findAndModify') && chunk.includes(user_id) && chunk.includes('email_verified'));
    await lostThenBack(proxy, insole.issuer, cut, () => pressLink(insole.issuer, link));
    assert.equal(await verified(user_id), false);

    const retried = await pressLink(insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    assert.equal(await verified(user_id), true);
    assert.equal(await svCount(email), 1);
    assert.equal((await pressLink(insole.issuer, link)).status, 400, 'once it has done its work, the link is used up');
  });

  test('the database lost as the link is used up: the sv is written already, and the retry confirms without a second one', async () => {
    const { email, link, user_id } = await unverifiedUser('lost.at.spend');
    const cut = proxy.stopAt((chunk) => chunk.includes('findAndModify') && chunk.includes('email_tickets'));
    await lostThenBack(proxy, insole.issuer, cut, () => pressLink(insole.issuer, link));
    assert.equal(await verified(user_id), true, 'verified before the link was to be spent');
    assert.equal(await svCount(email), 1, 'the sv is written with the verification, before the spend');

    const retried = await pressLink(insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    assert.equal(await svCount(email), 1);
  });

  test('the database lost as the sv is written: the link is not spent yet, and the same link then confirms and logs it, once', async () => {
    const { email, link, user_id } = await unverifiedUser('lost.at.sv');
    const cut = proxy.stopAt(svWrite(email));
    await lostThenBack(proxy, insole.issuer, cut, () => pressLink(insole.issuer, link));
    assert.equal(await verified(user_id), true);
    assert.equal(await svCount(email), 0);

    const retried = await pressLink(insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    assert.equal(await svCount(email), 1);
    assert.equal((await pressLink(insole.issuer, link)).status, 400);
  });

  test('two clicks at once, the first held as it writes the sv: both confirm, and they write the same sv', async () => {
    const { email, link } = await unverifiedUser('double.click.sv');
    const held = proxy.holdAt(svWrite(email));
    const first = pressLink(insole.issuer, link);
    await held.held;
    const second = await pressLink(insole.issuer, link);
    held.release();
    for (const answer of [second, await first]) {
      assert.equal(answer.status, 200);
      assert.match(answer.html, /Email confirmed/);
    }
    assert.equal(await svCount(email), 1);
  });

  test('two clicks at once: both confirm, the sv is logged once', async () => {
    const { email, link, user_id } = await unverifiedUser('double.click');
    // The first click held as it spends the link, while the second does all of its work.
    const held = proxy.holdAt((chunk) => chunk.includes('findAndModify') && chunk.includes('email_tickets'));
    const first = pressLink(insole.issuer, link);
    await held.held;
    const second = await pressLink(insole.issuer, link);
    held.release();
    for (const answer of [second, await first]) {
      assert.equal(answer.status, 200);
      assert.match(answer.html, /Email confirmed/);
    }
    assert.equal(await verified(user_id), true);
    assert.equal(await svCount(email), 1);
    assert.equal((await pressLink(insole.issuer, link)).status, 400);
  });

  // FullContact waits for a verified address (README "Hooks"): the link queues its job before it is spent.
  test('the database lost as the verified address\'s FullContact job is queued: the retry queues it, and it runs once', async () => {
    const { email, link, user_id } = await unverifiedUser('lost.at.enqueue');
    fullcontact.know(email);
    const cut = proxy.stopAt((chunk) => chunk.includes('findAndModify') && chunk.includes('hook_jobs') && chunk.includes(user_id));
    await lostThenBack(proxy, insole.issuer, cut, () => pressLink(insole.issuer, link));
    assert.equal(await verified(user_id), true);
    assert.deepEqual(await jobsFor(insole, user_id, 'fullcontact'), [], 'the verification was written, its job was not');

    const retried = await pressLink(insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    const [job, ...more] = await settled(insole, user_id, 'fullcontact');
    assert.deepEqual([job?.state, more.length], ['done', 0]);
    assert.deepEqual(fullcontact.enrichCalls().filter((call) => JSON.stringify(call.body).includes(email)).length, 1, 'FullContact asked once');
    assert.equal(await svCount(email), 1);
  });

  test('a link for an address changed since is still refused, and used up', async () => {
    const { link, user_id } = await unverifiedUser('moved.away');
    await insole.db.collection('users').updateOne({ user_id }, { $set: { email: `moved.${serial}@innovashoes.example` } });
    assert.equal((await pressLink(insole.issuer, link)).status, 400);
    assert.equal(await verified(user_id), false);
    assert.equal(await insole.db.collection('email_tickets').countDocuments({ user_id, used_at: { $exists: true } }), 1);
  });
});

describe('the link of a verify-first sign-up (signup.verify_email_first: true)', () => {
  let inbox: Inbox;
  let proxy: TcpProxy;
  let world: SocialWorld;
  let databaseName: string;
  let serial = 0;
  before(async () => {
    inbox = await startInbox();
    const database = await proxiedDatabase();
    proxy = database.proxy;
    databaseName = new URL(database.uri).pathname.slice(1);
    // The sweep moves logs a crash left in a user within a second (log-outbox.ts), not a minute.
    const events = { recover_after_ms: 1000 };
    world = await startSocialWorld({ mail: { smtp_url: inbox.url }, signup: { verify_email_first: true }, events }, undefined, {}, database.uri);
  });
  after(async () => { await world.close(); await proxy.close(); await inbox.close(); });

  /** Signs up in a new browser; the link of its confirmation mail. */
  async function pendingSignup(name: string) {
    const email = `${name}.${++serial}@innovashoes.example`;
    const start = await openSignIn(world.insole);
    const page: Page = await follow(start.agent, read.link(start.page.html, /^Create an account$/), world.insole);
    const form = read.form(page.html, /\/signup$/);
    await submit(start.agent, form.action, { email, password: 'waiting for the confirmation', _csrf: form.csrf }, world.insole);
    return { email, link: inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${world.insole.issuer}/email/verify?ticket=`) };
  }
  const usersWith = (email: string) => world.insole.db.collection('users').find({ email }).toArray();
  const logCount = (email: string, type: string) => world.insole.db.collection('logs').countDocuments({ type, user_name: email });

  test('the database lost as the user is inserted: a 503, then the same link creates it, once', async () => {
    const { email, link } = await pendingSignup('lost.at.insert');
    const cut = proxy.stopAt((chunk) => chunk.includes('insert') && chunk.includes('users') && chunk.includes(email));
    await lostThenBack(proxy, world.insole.issuer, cut, () => pressLink(world.insole.issuer, link));
    assert.deepEqual(await usersWith(email), []);

    const retried = await pressLink(world.insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    const [user, ...more] = await usersWith(email);
    assert.deepEqual([user?.email_verified, more.length], [true, 0]);
    assert.equal(await world.insole.db.collection('pending_signups').countDocuments({ email }), 0);
    await signInLogsWritten(world.insole.db); // the sv goes with the insert, as the ss does, moved to the logs after it
    assert.equal(await logCount(email, 'sv'), 1);
    assert.equal((await pressLink(world.insole.issuer, link)).status, 400);
  });

  // Logged after the insert, the sv was lost to a crash in between: the retry finds its user and logs nothing.
  test('the database lost right after the user\'s insert: its ss and sv travel in the insert, and are logged once', async () => {
    const { email, link } = await pendingSignup('lost.after.insert');
    let inserted = false;
    // Dies at the next command to this database after the user's insert, whichever it is.
    const cut = proxy.stopAt((chunk) => {
      if (inserted) return chunk.includes(databaseName);
      inserted = chunk.includes('insert') && chunk.includes('users') && chunk.includes(email);
      return false;
    });
    await lostThenBack(proxy, world.insole.issuer, cut, () => pressLink(world.insole.issuer, link));
    assert.equal((await usersWith(email)).length, 1, 'the user was inserted');

    const retried = await pressLink(world.insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    await signInLogsWritten(world.insole.db);
    assert.deepEqual([await logCount(email, 'ss'), await logCount(email, 'sv'), await logCount(email, 'fs')], [1, 1, 0]);
  });

  test('the database lost after the insert, as the link is used up: the retry finds its user, not "You already have an account"', async () => {
    const { email, link } = await pendingSignup('lost.at.delete');
    const cut = proxy.stopAt((chunk) => chunk.includes('delete') && chunk.includes('pending_signups'));
    await lostThenBack(proxy, world.insole.issuer, cut, () => pressLink(world.insole.issuer, link));
    assert.equal((await usersWith(email)).length, 1, 'the user was made before the link was to be spent');

    const retried = await pressLink(world.insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Email confirmed/);
    assert.equal((await usersWith(email)).length, 1);
    assert.equal(await world.insole.db.collection('pending_signups').countDocuments({ email }), 0);
    await signInLogsWritten(world.insole.db); // the ss goes with the insert, moved to the logs after it
    assert.deepEqual([await logCount(email, 'ss'), await logCount(email, 'sv'), await logCount(email, 'fs')], [1, 1, 0]);
  });
});
