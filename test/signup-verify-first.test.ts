import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { buildAuthorization, discoverStorefront, exchangeCode, signInForTokens } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

describe('sign-up that waits for the emailed link (the production default)', () => {
  let inbox: Inbox;
  let insole: TestInsole;
  before(async () => {
    inbox = await startInbox();
    insole = await startTestInsole({ mail: { smtp_url: inbox.url }, signup: { verify_email_first: true } });
  });
  after(async () => { await insole.stop(); await inbox.close(); });

  async function signUp(email: string, password: string) {
    const config = await discoverStorefront(insole.issuer);
    const request = await buildAuthorization(config);
    const agent = new UserAgent(insole.issuer);
    const page = await agent.get(request.url);
    const form = readForm(await (await agent.get(`${page.url}/signup`)).res.text());
    const res = await agent.postForm(new URL(form.action, insole.issuer).href, { email, password, _csrf: form.csrf });
    const html = await res.res.text();
    return { agent, config, request, status: res.res.status, left: res.left, html };
  }

  // What a visitor sees, minus what differs by construction (their own email, the interaction id, the CSRF token).
  const comparable = (html: string, email: string) => html.replaceAll(email, 'EMAIL')
    .replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/name="_csrf" value="[^"]+"/g, '');

  test('an existing email and a new one get the same answer; only the owner is told', async () => {
    await signUp('owner@innovashoes.example', 'owner has this one');
    await inbox.waitFor('owner@innovashoes.example', /Confirm your email/);
    await insole.db.collection('users').updateOne({ email: 'owner@innovashoes.example' }, { $set: { email_verified: true } });
    const usersBefore = await insole.db.collection('users').countDocuments();

    const existing = await signUp('owner@innovashoes.example', 'an attacker guess here');
    const fresh = await signUp('newcomer@innovashoes.example', 'newcomer picks this');
    assert.equal(existing.status, 200);
    assert.equal(fresh.status, 200);
    assert.equal(existing.left, undefined);
    assert.equal(fresh.left, undefined);
    assert.equal(comparable(existing.html, 'owner@innovashoes.example'), comparable(fresh.html, 'newcomer@innovashoes.example'));
    assert.match(fresh.html, /Check your inbox/);

    await inbox.waitFor('owner@innovashoes.example', /Someone tried to create/);
    await inbox.waitFor('newcomer@innovashoes.example', /Confirm your email/);
    assert.equal(await insole.db.collection('users').countDocuments(), usersBefore + 1, 'only the newcomer was created');
    const owner = await insole.db.collection('users').findOne({ email: 'owner@innovashoes.example' });
    assert.notEqual(owner!.password_hash, undefined);
  });

  test('opening the link in the same browser finishes the sign-in; the sign-up counts as the first login', async () => {
    const email = 'finisher@innovashoes.example';
    const signup = await signUp(email, 'finish what you start');
    const created = await insole.db.collection('users').findOne({ email });
    assert.equal(created!.logins_count, 0);
    assert.equal(created!.last_login, undefined);
    const logsOf = () => insole.db.collection('logs').find({ user_id: created!.user_id }).sort({ log_id: 1 }).toArray();
    // Marked, so daily stats do not count this sign-up as a login: that login comes later, as an `s`.
    assert.deepEqual((await logsOf()).map((l) => [l.type, l.details]), [['ss', { signed_in: false }]]);

    const link = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${insole.issuer}/email/verify?ticket=`);
    const html = await (await signup.agent.get(link)).res.text();
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
    const done = await signup.agent.postForm(`${insole.issuer}/email/verify`, { ticket, _csrf: readForm(html).csrf });
    assert.ok(done.left, 'redirected back to the storefront with a code');
    const tokens = await exchangeCode(signup.config, done.left!, signup.request);
    assert.equal(tokens.claims()!.sub, created!.user_id);
    assert.equal(tokens.claims()!.email_verified, true);
    const user = await insole.db.collection('users').findOne({ email });
    assert.equal(user!.logins_count, 1);
    assert.ok(user!.last_login instanceof Date);
    assert.deepEqual((await logsOf()).map((l) => l.type), ['ss', 'sv', 's']);
  });

  test('opening the link in another browser confirms the email and asks to sign in there', async () => {
    const email = 'two.devices@innovashoes.example';
    await signUp(email, 'phone and laptop both');
    const link = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${insole.issuer}/email/verify?ticket=`);
    const other = new UserAgent(insole.issuer);
    const html = await (await other.get(link)).res.text();
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
    const done = await other.postForm(`${insole.issuer}/email/verify`, { ticket, _csrf: readForm(html).csrf });
    assert.equal(done.res.status, 200);
    assert.match(await done.res.text(), /Go back to the store and sign in/);
    assert.equal((await insole.db.collection('users').findOne({ email }))!.email_verified, true);
    await signInForTokens(insole.issuer, { email, password: 'phone and laptop both' });
  });
});
