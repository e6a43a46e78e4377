import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { buildAuthorization, discoverStorefront, signInForTokens } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { interactionUidOf, readForm, UserAgent } from './support/user-agent.ts';

const RESET = /Reset your/;
const VERIFY = /Confirm your email/;
const ATTEMPT = /Someone tried to create/;

describe('password-reset, verification and sign-up-attempt mails are limited per email and per IP, across instances', () => {
  let inbox: Inbox;
  let a: TestInsole;
  let b: TestInsole;
  let verifyFirst: TestInsole;
  before(async () => {
    inbox = await startInbox();
    const uri = testDatabaseUri();
    const settings = {
      mail: { smtp_url: inbox.url },
      trust_proxy: 'loopback', // the tests act as clients behind a proxy on loopback
      attack_protection: { account_mails: { max_per_address: 2, max_per_ip: 4 } },
    };
    a = await startTestInsole(settings, uri);
    b = await startTestInsole(settings, uri);
    verifyFirst = await startTestInsole({ ...settings, signup: { verify_email_first: true } }, uri);
  });
  after(async () => { await a.stop(); await b.stop(); await verifyFirst.stop(); await inbox.close(); });

  /** The email form of `path` filled in from `ip`: the POST's answer (status, redirect), then the page it leads to without its (per-request) CSRF token. */
  async function ask(insole: TestInsole, path: string, email: string, ip: string) {
    const agent = new UserAgent(insole.issuer, { 'x-forwarded-for': ip });
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}${path}`)).res.text());
    const posted = await agent.request(`${insole.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email, _csrf: csrf }).toString() });
    const location = posted.headers.get('location');
    const res = location ? (await agent.get(new URL(location, insole.issuer).href)).res : posted;
    return { answer: posted.status, location, status: res.status, text: (await res.text()).replace(/name="_csrf" value="[^"]+"/, '') };
  }
  /** The storefront's sign-up form filled in from `ip`; the page without what differs by construction (email, interaction, CSRF token). */
  async function signUpFrom(insole: TestInsole, email: string, ip: string) {
    const agent = new UserAgent(insole.issuer, { 'x-forwarded-for': ip });
    const signIn = await (await agent.get((await buildAuthorization(await discoverStorefront(insole.issuer))).url)).res.text();
    const uid = interactionUidOf(signIn)!;
    const { action, csrf } = readForm(await (await agent.get(`${insole.issuer}/interaction/${uid}/signup`)).res.text());
    const res = await agent.postForm(new URL(action, insole.issuer).href, { email, password: 'an attacker guess here', _csrf: csrf });
    const text = (await res.res.text()).replaceAll(email, 'EMAIL').replaceAll(uid, 'UID').replace(/name="_csrf" value="[^"]+"/g, '');
    return { status: res.res.status, text };
  }
  const mailsTo = (email: string, subject: RegExp) =>
    inbox.mails.filter((m) => JSON.stringify(m.to).includes(email) && subject.test(m.subject ?? '')).length;
  const signUp = (email: string) => signInForTokens(a.issuer, { email, password: 'a long enough password' }, 'signup');
  /** Mail goes out in the background: a later mail from the same instance arriving, and a pause, before counting. */
  async function settle(insole: TestInsole, marker: string, ip: string) {
    await signUp(marker);
    await ask(insole, '/password/reset', marker, ip);
    await inbox.waitFor(marker, RESET);
    await new Promise((r) => setTimeout(r, 300));
  }

  test('the third reset request for one email in the window gets the same page and no mail; another email is unaffected', async () => {
    const email = 'flooded@innovashoes.example';
    const other = 'bystander@innovashoes.example';
    await Promise.all([signUp(email), signUp(other)]);

    // Each from its own IP, on alternating instances: the per-email limit (2) is what stops the third.
    const first = await ask(a, '/password/reset', email, '203.0.113.1');
    await ask(b, '/password/reset', email, '203.0.113.2');
    await inbox.waitForNth(email, RESET, 2);
    const third = await ask(a, '/password/reset', email, '203.0.113.3');
    assert.deepEqual([first.answer, first.location, first.status], [303, '/password/reset/sent', 200]);
    assert.deepEqual(third, first, 'the same answer (redirect and page) as a request that sent a mail');

    await ask(a, '/password/reset', other, '203.0.113.3');
    await inbox.waitFor(other, RESET);
    await settle(a, 'marker.one@innovashoes.example', '203.0.113.4');
    assert.equal(mailsTo(email, RESET), 2);
    assert.equal(mailsTo(other, RESET), 1);
    const refused = await a.db.collection('logs').find({ user_name: email, type: 'fcpr' }).toArray();
    assert.deepEqual(refused.map((l) => [l.ip, l.details.error]), [['203.0.113.3', 'too many mail requests for this email']]);
    assert.equal(await a.db.collection('rate_limits').countDocuments({ key: { $regex: 'flooded' } }), 0, 'counters keep a digest of the email');
  });

  test('"send the link again" is limited too, and counts with reset requests for the same email', async () => {
    const email = 'unverified@innovashoes.example';
    await signUp(email);
    await inbox.waitFor(email, VERIFY); // the sign-up's own mail is not counted
    const resent = await ask(b, '/email/verify/resend', email, '198.51.100.1');
    await inbox.waitForNth(email, VERIFY, 2);
    await ask(a, '/password/reset', email, '198.51.100.2');
    await inbox.waitFor(email, RESET);

    const refused = await ask(a, '/email/verify/resend', email, '198.51.100.3');
    assert.deepEqual([resent.answer, resent.location, resent.status], [303, '/email/verify/resend/sent', 200]);
    assert.deepEqual(refused, resent);
    await settle(a, 'marker.two@innovashoes.example', '198.51.100.4');
    assert.equal(mailsTo(email, VERIFY), 2);
    assert.equal(await a.db.collection('logs').countDocuments({ user_name: email, type: 'fvr', 'details.error': 'too many mail requests for this email' }), 1);
  });

  test('one IP asking for many emails is stopped after max_per_ip; the same email from another IP still gets its mail', async () => {
    const ip = '192.0.2.77';
    const emails = Array.from({ length: 5 }, (_, i) => `shopper${i}@innovashoes.example`);
    await Promise.all(emails.map(signUp));
    const answers = [];
    for (const [i, email] of emails.entries()) answers.push(await ask(i % 2 ? a : b, '/password/reset', email, ip));
    assert.equal(new Set(answers.map((r) => JSON.stringify(r))).size, 1, 'five identical answers');
    for (const email of emails.slice(0, 4)) await inbox.waitFor(email, RESET);

    await ask(b, '/password/reset', emails[4], '192.0.2.78');
    await inbox.waitFor(emails[4], RESET);
    await settle(a, 'marker.three@innovashoes.example', '192.0.2.79');
    assert.equal(mailsTo(emails[4], RESET), 1, 'only the request from another IP was mailed');
    assert.equal(await a.db.collection('logs').countDocuments({ ip, type: 'fcpr', 'details.error': 'too many mail requests from this IP' }), 1);
  });

  test('a sign-up with an email that has an account tells its owner within the same limits; past them the same page and no mail', async () => {
    const email = 'taken@innovashoes.example';
    await signUp(email);
    await ask(a, '/password/reset', email, '203.0.113.21');
    await inbox.waitFor(email, RESET);
    const told = await signUpFrom(verifyFirst, email, '203.0.113.22');
    await inbox.waitFor(email, ATTEMPT);

    // The third mail for this email (max_per_address 2), from yet another IP: no enumeration, no mail.
    const refused = await signUpFrom(verifyFirst, email, '203.0.113.23');
    assert.equal(refused.status, 200);
    assert.deepEqual(refused, told, 'the same answer as the sign-up that mailed its owner');
    assert.deepEqual(await signUpFrom(verifyFirst, 'newcomer@innovashoes.example', '203.0.113.23'), told, '…and as a sign-up for a new email');
    assert.equal((await signUpFrom(a, email, '203.0.113.23')).status, 409, 'signed in at once (verify_email_first: false): refused as before');

    await settle(verifyFirst, 'marker.four@innovashoes.example', '203.0.113.24');
    await settle(a, 'marker.five@innovashoes.example', '203.0.113.24');
    assert.equal(mailsTo(email, ATTEMPT), 1);
    const failed = await a.db.collection('logs').find({ user_name: email, type: 'fs' }).sort({ date: 1 }).toArray();
    assert.deepEqual(failed.map((l) => [l.ip, l.details.error]), [
      ['203.0.113.22', 'user_exists'],
      ['203.0.113.23', 'too many mail requests for this email'],
      ['203.0.113.23', 'too many mail requests for this email'],
    ]);
  });
});
