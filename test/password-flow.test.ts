import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signInLogsWritten, startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc } from './support/relying-party.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

describe('a shopper signs up, uses tokens, signs out and signs in again', () => {
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole(); });
  after(async () => { await insole.stop(); });

  test('the whole flow through the hosted pages with openid-client as the storefront', async () => {
    const credentials = { email: '  Runner.One@InnovaShoes.example ', password: 'marathon pace tempo run' };
    const config = await discoverStorefront(insole.issuer);

    const signupRequest = await buildAuthorization(config);
    const signup = await completeAuthorization(insole.issuer, signupRequest, credentials, 'signup');
    const callback = new URL(signup.callback);
    assert.equal(callback.origin + callback.pathname, STOREFRONT.redirect_uri);
    assert.equal(callback.searchParams.get('state'), signupRequest.state);

    const tokens = await exchangeCode(config, signup.callback, signupRequest);
    const claims = tokens.claims()!;
    assert.match(claims.sub, /^auth0\|[0-9a-f]{24}$/);
    assert.equal(claims.email, 'runner.one@innovashoes.example');
    assert.equal(claims.email_verified, false);
    assert.equal(claims.nonce, signupRequest.nonce);
    assert.ok(tokens.refresh_token, 'a refresh token is issued');

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.email, 'runner.one@innovashoes.example');
    assert.equal(userinfo.nickname, 'runner.one');
    assert.equal(typeof userinfo.updated_at, 'number');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
    assert.equal((await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub)).sub, claims.sub);

    // RP-initiated logout: the confirmation page, then back to the storefront.
    const logoutUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!, post_logout_redirect_uri: STOREFRONT.post_logout_redirect_uri, state: 'bye',
    });
    const confirm = await signup.agent.get(logoutUrl.href);
    const confirmHtml = await confirm.res.text();
    assert.match(confirmHtml, /Yes, sign me out/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmHtml)![1];
    const action = /<form[^>]*action="([^"]+)"/.exec(confirmHtml)![1];
    const done = await signup.agent.postForm(new URL(action, insole.issuer).href, { xsrf, logout: 'yes' });
    assert.equal(done.left, `${STOREFRONT.post_logout_redirect_uri}?state=bye`);

    // Signed out: the next authorization shows the sign-in page again, and the count goes to 2.
    const loginRequest = await buildAuthorization(config);
    const login = await completeAuthorization(insole.issuer, loginRequest, { ...credentials, email: 'runner.one@innovashoes.example' }, 'login', signup.agent);
    const again = await exchangeCode(config, login.callback, loginRequest);
    assert.equal(again.claims()!.sub, claims.sub);

    const user = await insole.db.collection('users').findOne({ user_id: claims.sub });
    assert.equal(user!.logins_count, 2);
    await signInLogsWritten(insole.db);
    const types = (await insole.db.collection('logs').find({ user_id: claims.sub }).sort({ date: 1, log_id: 1 }).toArray()).map((l) => l.type);
    assert.deepEqual(types, ['ss', 'slo', 's']);
  });

  test('a wrong password and an unknown email get the same answer, and both are logged', async () => {
    const config = await discoverStorefront(insole.issuer);
    await completeAuthorization(insole.issuer, await buildAuthorization(config), { email: 'pacer@innovashoes.example', password: 'long enough secret words' }, 'signup');
    for (const email of ['pacer@innovashoes.example', 'nobody@innovashoes.example']) {
      const agent = new UserAgent(insole.issuer);
      const start = await agent.get((await buildAuthorization(config)).url);
      const form = readForm(await start.res.text());
      const res = await agent.postForm(new URL(form.action, insole.issuer).href, { email, password: 'not the password', _csrf: form.csrf });
      assert.equal(res.res.status, 401);
      const html = await res.res.text();
      assert.match(html, /role="alert"[^>]*>Wrong email or password\.</);
      assert.match(html, new RegExp(`value="${email}"`), 'the email stays in the form');
    }
    const failures = await insole.db.collection('logs').find({ type: { $in: ['fp', 'fu'] } }).toArray();
    assert.deepEqual(failures.map((l) => l.type).sort(), ['fp', 'fu']);
  });

  test('Back to a finished sign-in\'s page, or its link in another browser: a 400 page saying the sign-in is over, in words', async () => {
    const config = await discoverStorefront(insole.issuer);
    const credentials = { email: 'back.button@innovashoes.example', password: 'long enough secret words' };
    const agent = new UserAgent(insole.issuer, { accept: 'text/html' });
    const start = await agent.get((await buildAuthorization(config)).url);
    const page = await agent.get(new URL(/href="(\/interaction\/[^"]+\/signup)"/.exec(await start.res.text())![1]!, insole.issuer).href);
    const form = readForm(await page.res.text());
    const action = new URL(form.action, insole.issuer).href;
    assert.ok((await agent.postForm(action, { ...credentials, _csrf: form.csrf })).left, 'signed up');

    const attempts = {
      'the form sent again': () => agent.postForm(action, { ...credentials, _csrf: form.csrf }),
      'the page reloaded': () => agent.get(page.url),
      'the page in another browser': () => new UserAgent(insole.issuer, { accept: 'text/html' }).get(page.url),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      const { res, left } = await attempt();
      assert.equal(left, undefined, what);
      assert.equal(res.status, 400, what);
      assert.match(await res.text(), /role="alert">This sign-in has expired or was already used\. Go back to the store and start again\.</, what);
    }
  });

  test('login_hint fills in the email of the sign-in and sign-up forms (OpenID Connect Core §3.1.2.1), when it is an email', async () => {
    const config = await discoverStorefront(insole.issuer);
    const emailIn = async (params: Record<string, string>) => {
      const html = await (await new UserAgent(insole.issuer).get((await buildAuthorization(config, params)).url)).res.text();
      return /id="email"[^>]*value="([^"]*)"/.exec(html)?.[1];
    };
    assert.equal(await emailIn({ login_hint: ' Hinted.Runner@InnovaShoes.example' }), 'hinted.runner@innovashoes.example');
    assert.equal(await emailIn({ login_hint: 'hinted.runner@innovashoes.example', screen_hint: 'signup' }), 'hinted.runner@innovashoes.example');
    for (const hint of ['auth0|65f0c0ffee', '"><script>alert(1)</script>@x.example', `${'a'.repeat(250)}@innovashoes.example`]) {
      assert.equal(await emailIn({ login_hint: hint }), '', `not an email: ${hint.slice(0, 40)}`);
    }
    assert.equal(await emailIn({}), '');
  });
});
