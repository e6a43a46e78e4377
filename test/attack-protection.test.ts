import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../src/cli/insole.ts';
import { until } from './support/hooks.ts';
import { signInLogsWritten, startTestInsole, STOREFRONT, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc, signInForTokens } from './support/relying-party.ts';
import { attempt } from './support/sign-in-attempt.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { interactionUidOf, readForm, UserAgent } from './support/user-agent.ts';

describe('attack protection across two instances sharing one database', () => {
  let inbox: Inbox;
  let a: TestInsole;
  let b: TestInsole;
  const sharedUri = testDatabaseUri();
  before(async () => {
    inbox = await startInbox();
    const settings = {
      mail: { smtp_url: inbox.url },
      trust_proxy: 'loopback', // the tests act as clients behind a proxy on loopback
      attack_protection: { brute_force: { max_attempts: 3 }, suspicious_ip: { max_failed_logins: 6, max_signups: 3 } },
    };
    a = await startTestInsole(settings, sharedUri);
    b = await startTestInsole(settings, sharedUri);
  });
  after(async () => { await a.stop(); await b.stop(); await inbox.close(); });

  test('three wrong passwords from one IP block that IP for that user, on every instance, until unblocked by the mailed link', async () => {
    const email = 'target@innovashoes.example';
    const password = 'the right password here';
    await signInForTokens(a.issuer, { email, password }, 'signup');

    assert.equal((await attempt(a, email, 'wrong one', '203.0.113.7')).status, 401);
    assert.equal((await attempt(b, email, 'wrong two', '203.0.113.7')).status, 401);
    const third = await attempt(a, email, 'wrong three', '203.0.113.7');
    assert.equal(third.status, 401);

    const user = await a.db.collection('users').findOne({ email });
    assert.deepEqual(user!.blocked_for, [{ identifier: email, ip: '203.0.113.7' }]);
    assert.equal(await a.db.collection('logs').countDocuments({ type: 'limit_wc', user_name: email }), 1);

    // The right password from the blocked IP: the same answer as a wrong one, on the other instance too.
    const blocked = await attempt(b, email, password, '203.0.113.7');
    assert.equal(blocked.status, 401);
    assert.match(blocked.text, /Wrong email or password/);
    // Another IP is not blocked.
    assert.ok((await attempt(b, email, password, '198.51.100.20')).left, 'another network signs in');

    const mail = await inbox.waitFor(email, /blocked/i);
    const link = inbox.linkIn(mail, `${a.issuer}/account/unblock?ticket=`);
    const agent = new UserAgent(a.issuer);
    const html = await (await agent.get(link)).res.text();
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
    const done = await agent.postForm(`${a.issuer}/account/unblock`, { ticket, _csrf: readForm(html).csrf });
    assert.equal(done.res.status, 200);
    assert.deepEqual((await a.db.collection('users').findOne({ email }))!.blocked_for, []);
    assert.ok((await attempt(b, email, password, '203.0.113.7')).left, 'unblocked');
  });

  test('an admin unblock (CLI) and a password reset both lift the block; a user with blocked: true cannot sign in', async () => {
    const email = 'locked.out@innovashoes.example';
    const password = 'locked out twice today';
    await signInForTokens(a.issuer, { email, password }, 'signup');
    // Each round from its own address: the IP throttle (6 failures) must not be what stops us.
    const block = async (ip: string) => { for (let i = 0; i < 3; i++) await attempt(a, email, `bad ${i}`, ip); };
    const canSignIn = async (ip: string) => Boolean((await attempt(b, email, password, ip)).left);

    await block('203.0.113.66');
    assert.equal(await canSignIn('203.0.113.66'), false);
    const saved = process.env.MONGODB_URI;
    process.env.MONGODB_URI = sharedUri;
    const log = console.log;
    console.log = () => {};
    try {
      assert.equal(await runCli(['users', 'unblock', '--email', email]), 0);
    } finally {
      process.env.MONGODB_URI = saved;
      console.log = log;
    }
    assert.equal(await canSignIn('203.0.113.66'), true, 'unblocked by the admin');

    await block('203.0.113.67');
    assert.equal(await canSignIn('203.0.113.67'), false);
    const agent = new UserAgent(a.issuer);
    const form = readForm(await (await agent.get(`${a.issuer}/password/reset`)).res.text());
    await agent.postForm(`${a.issuer}/password/reset`, { email, _csrf: form.csrf });
    const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${a.issuer}/password/reset/new?ticket=`);
    const page = await (await agent.get(link)).res.text();
    await agent.postForm(`${a.issuer}/password/reset/new`, { ticket: /name="ticket" value="([^"]+)"/.exec(page)![1], password, _csrf: readForm(page).csrf });
    assert.equal(await canSignIn('203.0.113.67'), true, 'unblocked by the password reset');

    await a.db.collection('users').updateOne({ email }, { $set: { blocked: true } });
    const refused = await attempt(b, email, password, '198.51.100.1');
    assert.equal(refused.status, 401);
    assert.match(refused.text, /Wrong email or password/);
  });

  test('a successful sign-in resets the run of failures', async () => {
    const email = 'careful@innovashoes.example';
    const password = 'careful typist here';
    await signInForTokens(a.issuer, { email, password }, 'signup');
    for (let round = 0; round < 2; round++) {
      assert.equal((await attempt(a, email, 'oops', '192.0.2.44')).status, 401);
      assert.equal((await attempt(b, email, 'oops again', '192.0.2.44')).status, 401);
      assert.ok((await attempt(a, email, password, '192.0.2.44')).left, 'two failures then a success: not blocked');
    }
  });

  test('an IP with too many failed sign-ins gets 429 with Retry-After on every instance', async () => {
    const ip = '198.51.100.99';
    for (let i = 0; i < 6; i++) {
      const res = await attempt(i % 2 ? a : b, `nobody${i}@innovashoes.example`, 'whatever it is', ip);
      assert.equal(res.status, 401);
    }
    const throttled = await attempt(a, 'someone.else@innovashoes.example', 'whatever it is', ip);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.retryAfter) > 0);
    assert.match(throttled.text, /Too many failed sign-ins from your network\. Please try again in about 24 hours\./, 'the wait in words (window_seconds: 24 h)');
    assert.ok((await attempt(b, 'someone.else@innovashoes.example', 'whatever it is', '198.51.100.100')).status === 401, 'other IPs are unaffected');
  });

  test('an IP with too many sign-ups gets 429, and nothing is created', async () => {
    const ip = '192.0.2.200';
    for (let i = 0; i < 3; i++) assert.ok((await attempt(i % 2 ? a : b, `new${i}@innovashoes.example`, 'a fine new password', ip, 'signup')).left);
    const fourth = await attempt(a, 'new3@innovashoes.example', 'a fine new password', ip, 'signup');
    assert.equal(fourth.status, 429);
    assert.ok(Number(fourth.retryAfter) > 0);
    assert.match(fourth.text, /Too many sign-ups from your network\. Please try again in about 24 hours\./);
    assert.equal(await a.db.collection('users').countDocuments({ email: 'new3@innovashoes.example' }), 0);
  });

  test('behind the trusted proxy, the sign-out log (slo) has the address Express trusts, not a forged first X-Forwarded-For entry', async () => {
    // The client wrote the first entry; the proxy (on loopback) appended the address it saw.
    const agent = new UserAgent(a.issuer, { 'x-forwarded-for': '198.51.100.7, 203.0.113.66' });
    const config = await discoverStorefront(a.issuer);
    const request = await buildAuthorization(config);
    const signup = await completeAuthorization(a.issuer, request, { email: 'forged-hop@innovashoes.example', password: 'only the proxy names me' }, 'signup', agent);
    const tokens = await exchangeCode(config, signup.callback, request);
    const confirm = await (await agent.get(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: STOREFRONT.post_logout_redirect_uri }).href)).res.text();
    const [xsrf, action] = [/name="xsrf" value="([^"]+)"/.exec(confirm)![1]!, /<form[^>]*action="([^"]+)"/.exec(confirm)![1]!];
    await agent.postForm(new URL(action, a.issuer).href, { xsrf, logout: 'yes' });
    const sub = tokens.claims()!.sub;
    await until('the sign-out is logged', () => a.db.collection('logs').findOne({ type: 'slo', user_id: sub }));
    await signInLogsWritten(a.db);
    const logged = await a.db.collection('logs').find({ user_id: sub }).toArray();
    assert.deepEqual(logged.map((log) => `${log.type} ${log.ip}`).sort(), ['slo 203.0.113.66', 'ss 203.0.113.66']);
  });

  test('without a trusted proxy, X-Forwarded-For is ignored', async () => {
    const direct = await startTestInsole({}, testDatabaseUri());
    try {
      const email = 'direct@innovashoes.example';
      const agent = new UserAgent(direct.issuer, { 'x-forwarded-for': '203.0.113.250' });
      const config = await discoverStorefront(direct.issuer);
      const page = await agent.get((await buildAuthorization(config)).url);
      const uid = interactionUidOf(await page.res.text());
      const form = readForm(await (await agent.get(`${direct.issuer}/interaction/${uid}/signup`)).res.text());
      await agent.postForm(new URL(form.action.replace('/login', '/signup'), direct.issuer).href, { email, password: 'no spoofing please', _csrf: form.csrf });
      const user = await direct.db.collection('users').findOne({ email });
      assert.ok(user);
      assert.notEqual(user.last_ip, '203.0.113.250');
      assert.match(user.last_ip, /127\.0\.0\.1/);
    } finally {
      await direct.stop();
    }
  });
});
