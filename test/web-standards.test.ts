import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freePort, signInLogsWritten, startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { authorizeUrl } from './support/oauth-wire.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshTwitter, openSignIn, read, ShopperAgent, socialTrip, submit } from './support/social-steps.ts';
import { interactionUidOf, readForm, UserAgent } from './support/user-agent.ts';
import { BehindTlsProxyAgent, parseCsp, RecordingAgent } from './support/web-checks.ts';

/**
 * STANDARDS "Web": session cookies HttpOnly, SameSite=Lax, Secure behind HTTPS, rotated at login;
 * logout ends the session on the server; CSRF tokens on every form POST; frame-ancestors 'none'
 * (the web_message answer, a page with no UI, only for its redirect_uri's origin) and a strict CSP;
 * oversize bodies are refused with a clear 413 and write nothing.
 */

const BROWSER = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) insole-web-standards/1.0',
};
const THIRD_PARTY = { ...STOREFRONT, client_id: 'third-party-app', client_secret: 'third-party-secret-0123456789' };
const CLIENTS = [
  {
    client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, client_name: 'Test Storefront',
    redirect_uris: [STOREFRONT.redirect_uri], post_logout_redirect_uris: [STOREFRONT.post_logout_redirect_uri],
  },
  { client_id: THIRD_PARTY.client_id, client_secret: THIRD_PARTY.client_secret, client_name: 'Third Party App', redirect_uris: [STOREFRONT.redirect_uri], first_party: false },
];
const CSRF_COOKIE = 'insole.csrf';
const FORM_EXPIRED = /This form has expired/;

let serial = 0;
const newEmail = (label: string) => `${label}.${Date.now().toString(36)}${++serial}@innovashoes.example`;
const PASSWORD = 'a long enough password';

const browser = (insole: TestInsole) => new RecordingAgent(insole.issuer, BROWSER);
const alert = (html: string) => /role="alert"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();

/** The sign-in page of a new authorization by `client` in `agent`. */
async function openInteraction(insole: TestInsole, agent: UserAgent, client = STOREFRONT, extra: Record<string, string> = {}) {
  const config = await discoverStorefront(insole.issuer, client);
  const request = await buildAuthorization(config, extra);
  const page = await agent.get(request.url);
  assert.equal(page.left, undefined, 'a sign-in page is shown');
  const html = await page.res.text();
  const uid = interactionUidOf(html)!;
  // The page's own URL: the first page is answered at /authorize, whose reload starts anew.
  return { config, request, uid, url: `${insole.issuer}/interaction/${uid}`, res: page.res, html, form: readForm(html) };
}

/** A fresh CSRF token for the page at `url` (a GET renders the form and sets the matching cookie). */
async function freshToken(agent: UserAgent, url: string) {
  const html = await (await agent.get(url)).res.text();
  return { html, csrf: read.form(html, /./).csrf };
}

async function signUp(insole: TestInsole, email: string, agent: UserAgent = browser(insole)) {
  const config = await discoverStorefront(insole.issuer);
  const request = await buildAuthorization(config);
  const done = await completeAuthorization(insole.issuer, request, { email, password: PASSWORD }, 'signup', agent);
  const tokens = await exchangeCode(config, done.callback, request);
  return { agent, config, tokens, sub: tokens.claims()!.sub };
}

interface Forgery {
  label: string;
  /** The `_csrf` field sent; omitted when undefined. */
  csrf?: string;
  /** The CSRF cookie sent: unchanged when undefined, none when null. */
  cookie?: string | null;
}

/** Posts each forgery as `agent` and expects 403 "form expired"; the agent's own CSRF cookie is put back after each. */
async function expectRefused(agent: UserAgent, url: string, fields: Record<string, string>, forgeries: Forgery[]) {
  const own = agent.cookies.get(CSRF_COOKIE);
  for (const forgery of forgeries) {
    if (forgery.cookie === null) agent.cookies.delete(CSRF_COOKIE);
    else if (forgery.cookie !== undefined) agent.cookies.set(CSRF_COOKIE, forgery.cookie);
    const res = await agent.postForm(url, forgery.csrf === undefined ? fields : { ...fields, _csrf: forgery.csrf });
    const html = await res.res.text();
    assert.equal(res.res.status, 403, `${url} ${forgery.label}: HTTP ${res.res.status} ${alert(html) ?? html.slice(0, 200)}`);
    assert.equal(res.left, undefined);
    assert.match(html, FORM_EXPIRED, forgery.label);
    if (own === undefined) agent.cookies.delete(CSRF_COOKIE);
    else agent.cookies.set(CSRF_COOKIE, own);
  }
}

/** What another browser genuinely got from insole: a token of its password-reset page, and its cookie with the token of its sign-in. */
interface Foreign { otherBrowserToken: string; otherInteraction: { csrf: string; cookie: string } }

/**
 * The forgeries every form must refuse: no token; a token made for another browser's cookie; the
 * form's genuine token without its cookie; a made-up token with a made-up cookie; and a genuine
 * token-and-cookie pair minted for another interaction.
 */
function forgeries(foreign: Foreign, ownToken: string): Forgery[] {
  const madeUp = { csrf: 'b'.repeat(43), cookie: 'a'.repeat(64) };
  return [
    { label: 'without _csrf' },
    { label: 'with another browser\'s token', csrf: foreign.otherBrowserToken },
    { label: 'with its genuine token but no CSRF cookie', csrf: ownToken, cookie: null },
    { label: 'with a made-up token and a made-up cookie', ...madeUp },
    { label: 'with a token and cookie of another interaction', ...foreign.otherInteraction },
  ];
}

describe('web standards', () => {
  let inbox: Inbox;
  let insole: TestInsole;
  const users = () => insole.db.collection('users');
  // oidc-provider's sessions, in the flow collection (src/oidc/flow-collection.ts): `_id` is `Session:<id>`.
  const sessions = () => insole.db.collection<{ _id: string; model: string; payload: Record<string, unknown> }>('oidc_flow');
  const sessionKey = (id: string) => `Session:${id}`;
  const tickets = () => insole.db.collection('email_tickets');

  before(async () => {
    inbox = await startInbox();
    insole = await startTestInsole({
      mail: { smtp_url: inbox.url },
      clients: CLIENTS,
      attack_protection: { brute_force: { max_attempts: 2 }, suspicious_ip: { enabled: false } },
    });
  });
  after(async () => { await insole.stop(); await inbox.close(); });

  /** A token-and-cookie pair genuinely minted by insole, for an interaction of another browser. */
  async function foreignTokens(): Promise<Foreign> {
    const other = browser(insole);
    const page = await openInteraction(insole, other);
    const account = await freshToken(other, `${insole.issuer}/password/reset`);
    return { otherInteraction: { csrf: page.form.csrf, cookie: other.cookies.get(CSRF_COOKIE)! }, otherBrowserToken: account.csrf };
  }

  describe('security headers on every HTML page', () => {
    function assertStrictPage(label: string, res: Response, html: string) {
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, `${label}: an HTML page`);
      const csp = parseCsp(res.headers.get('content-security-policy'));
      assert.deepEqual(csp.get('default-src'), ["'self'"], `${label}: default-src`);
      assert.deepEqual(csp.get('script-src'), ["'self'"], `${label}: script-src`);
      assert.deepEqual(csp.get('style-src'), ["'self'"], `${label}: style-src`);
      assert.deepEqual(csp.get('object-src'), ["'none'"], `${label}: object-src`);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${label}: frame-ancestors`);
      assert.deepEqual(csp.get('base-uri'), ["'none'"], `${label}: base-uri`);
      for (const [name, sources] of csp) {
        for (const source of sources) {
          assert.ok(!["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", '*'].includes(source), `${label}: ${name} ${source}`);
        }
      }
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${label}: nosniff`);
      assert.equal(res.headers.get('x-powered-by'), null, `${label}: no X-Powered-By`);
      // Nothing on the page that the policy would block: it works as served.
      assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i, `${label}: no inline script`);
      assert.doesNotMatch(html, /<style[\s>]|\sstyle=|\son[a-z]+=/i, `${label}: no inline style or event handler`);
    }

    test('sign-in, sign-up, consent, errors, logout, password reset, email and unblock pages', async () => {
      const pages: [string, Response, string][] = [];
      const keep = async (label: string, hop: Promise<{ res: Response; left?: string }>, status?: number) => {
        const { res, left } = await hop;
        assert.equal(left, undefined, `${label}: a page, not a redirect away`);
        const html = await res.text();
        assert.ok(res.status < 500, `${label}: HTTP ${res.status}`);
        if (status !== undefined) assert.equal(res.status, status, `${label}: HTTP ${res.status}`);
        pages.push([label, res, html]);
        return html;
      };

      const email = newEmail('pages');
      const { agent, config, tokens } = await signUp(insole, email);

      const shopper = browser(insole);
      const signIn = await openInteraction(insole, shopper);
      pages.push(['sign-in', signIn.res, signIn.html]);
      await keep('sign-up', shopper.get(`${insole.issuer}/interaction/${signIn.uid}/signup`), 200);
      const again = await freshToken(shopper, signIn.url);
      await keep('sign-in with an error', shopper.postForm(`${insole.issuer}/interaction/${signIn.uid}/login`, { email, password: 'not the password', _csrf: again.csrf }), 401);
      await keep('CSRF refusal', shopper.postForm(`${insole.issuer}/interaction/${signIn.uid}/login`, { email, password: PASSWORD }), 403);
      await keep('oversize body', shopper.postForm(`${insole.issuer}/interaction/${signIn.uid}/login`, { email, password: 'x'.repeat(100_000) }), 413);

      // auth0-spa-js's hidden-iframe request needing a sign-in gets the page, and it stays unframeable.
      const webMessage = await openInteraction(insole, browser(insole), STOREFRONT, { response_mode: 'web_message' });
      pages.push(['sign-in asked with response_mode=web_message', webMessage.res, webMessage.html]);

      const thirdParty = browser(insole);
      const third = await openInteraction(insole, thirdParty, THIRD_PARTY);
      await keep('consent', thirdParty.postForm(`${insole.issuer}/interaction/${third.uid}/login`, { email, password: PASSWORD, _csrf: third.form.csrf }), 200);

      await keep('error (unknown client)', shopper.get(authorizeUrl(insole.issuer, { client_id: 'no-such-client', response_type: 'code', scope: 'openid', redirect_uri: STOREFRONT.redirect_uri })), 400);
      await keep('error (unknown interaction)', shopper.get(`${insole.issuer}/interaction/no-such-interaction`));

      const logoutUrl = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token! }).href;
      const confirmHtml = await keep('logout confirmation', agent.get(logoutUrl), 200);
      assert.match(confirmHtml, /Yes, sign me out/);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmHtml)![1];
      const action = /<form[^>]*action="([^"]+)"/.exec(confirmHtml)![1];
      await keep('signed out', agent.postForm(new URL(action, insole.issuer).href, { xsrf, logout: 'yes' }), 200);

      await keep('password reset request', shopper.get(`${insole.issuer}/password/reset`), 200);
      const reset = await freshToken(shopper, `${insole.issuer}/password/reset`);
      await keep('password reset requested', shopper.postForm(`${insole.issuer}/password/reset`, { email, _csrf: reset.csrf }), 200);
      const resetLink = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
      await keep('new password form', shopper.get(resetLink), 200);
      await keep('expired reset link', shopper.get(`${insole.issuer}/password/reset/new?ticket=not-a-ticket`), 400);
      const verifyLink = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${insole.issuer}/email/verify?ticket=`);
      await keep('email confirmation', shopper.get(verifyLink), 200);
      await keep('resend confirmation', shopper.get(`${insole.issuer}/email/verify/resend`), 200);
      await keep('unblock', shopper.get(`${insole.issuer}/account/unblock?ticket=not-a-ticket`), 200);

      assert.ok(pages.length >= 18);
      for (const [label, res, html] of pages) assertStrictPage(label, res, html);
    });
  });

  describe('the web_message answer (auth0-spa-js getTokenSilently in a hidden iframe)', () => {
    test("is a page with no UI that only the redirect_uri's origin may frame; with a redirect_uri not registered, an error page nobody may frame", async () => {
      const { agent, config } = await signUp(insole, newEmail('web-message'));
      const silent = await buildAuthorization(config, { response_mode: 'web_message', prompt: 'none' });
      const { res, left } = await agent.get(silent.url);
      assert.equal(left, undefined);
      assert.equal(res.status, 200);
      const html = await res.text();
      const csp = parseCsp(res.headers.get('content-security-policy'));
      assert.deepEqual(csp.get('frame-ancestors'), [new URL(STOREFRONT.redirect_uri).origin]);
      assert.deepEqual(csp.get('script-src')?.[0], "'self'");
      assert.match(csp.get('script-src')?.[1] ?? '', /^'sha256-[A-Za-z0-9+/]+=*'$/, 'its one inline script, by hash');
      assert.doesNotMatch(html, /<form|<button|<a\s|<input/i, 'nothing to click');
      assert.match(html, /"code":"[^"]+"/);
      assert.match(html, new RegExp(`"state":"${silent.state}"`));

      const foreign = new URL(silent.url);
      foreign.searchParams.set('redirect_uri', 'https://elsewhere.example/callback');
      const refused = await agent.get(foreign.href);
      assert.equal(refused.res.status, 400);
      assert.deepEqual(parseCsp(refused.res.headers.get('content-security-policy')).get('frame-ancestors'), ["'none'"]);
      assert.doesNotMatch(await refused.res.text(), /postMessage/);
    });
  });

  describe('session cookies', () => {
    test('every cookie set during sign-up and sign-in is HttpOnly and SameSite=Lax, the oidc session cookie included', async () => {
      const agent = browser(insole);
      const email = newEmail('cookies');
      await signUp(insole, email, agent);
      const config = await discoverStorefront(insole.issuer);
      await completeAuthorization(insole.issuer, await buildAuthorization(config, { prompt: 'login' }), { email, password: PASSWORD }, 'login', agent);

      const set = agent.setCookies.map((s) => s.cookie).filter((c) => !c.deletes);
      const names = new Set(set.map((c) => c.name));
      for (const name of ['_session', '_session.sig', '_interaction', '_interaction_resume', CSRF_COOKIE]) assert.ok(names.has(name), `${name} was set`);
      for (const cookie of set) {
        assert.ok(cookie.attributes.has('httponly'), `${cookie.name} is HttpOnly: ${cookie.line}`);
        assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax', `${cookie.name} is SameSite=Lax: ${cookie.line}`);
      }
      assert.equal(agent.setsOf(CSRF_COOKIE)[0].attributes.get('path'), '/');
    });

    test('behind a TLS-terminating proxy (https issuer, X-Forwarded-Proto: https) every cookie is Secure', async () => {
      const port = await freePort();
      const proxied = await startTestInsole({ port, issuer: `https://127.0.0.1:${port}`, trust_proxy: 'loopback' });
      try {
        const agent = new BehindTlsProxyAgent(proxied.issuer, proxied.url);
        const verifier = oidc.randomPKCECodeVerifier();
        const url = authorizeUrl(proxied.issuer, {
          client_id: STOREFRONT.client_id, response_type: 'code', scope: 'openid email', redirect_uri: STOREFRONT.redirect_uri,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', nonce: 'nn',
        });
        const page = await agent.get(url);
        assert.equal(page.left, undefined);
        const uid = interactionUidOf(await page.res.text());
        assert.ok(uid, `the sign-in page, at ${page.url}`);
        assert.match(page.res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
        const signup = await agent.get(`${proxied.issuer}/interaction/${uid}/signup`);
        const form = readForm(await signup.res.text());
        const done = await agent.postForm(new URL(form.action, proxied.issuer).href, { email: newEmail('proxied'), password: PASSWORD, _csrf: form.csrf });
        assert.ok(done.left?.startsWith(`${STOREFRONT.redirect_uri}?code=`), `signed up: ${done.left ?? done.res.status}`);

        const set = agent.setCookies.map((s) => s.cookie).filter((c) => !c.deletes);
        const names = new Set(set.map((c) => c.name));
        for (const name of ['_session', '_session.sig', '_interaction', '_interaction_resume', '__Host-insole.csrf']) assert.ok(names.has(name), `${name} was set`);
        for (const cookie of set) {
          assert.ok(cookie.attributes.has('secure'), `${cookie.name} is Secure: ${cookie.line}`);
          assert.ok(cookie.attributes.has('httponly'), `${cookie.name} is HttpOnly: ${cookie.line}`);
          assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax', `${cookie.name} is SameSite=Lax: ${cookie.line}`);
        }
        const csrf = agent.setsOf('__Host-insole.csrf')[0];
        assert.equal(csrf.attributes.get('path'), '/', '__Host- cookies have Path=/');
        assert.equal(csrf.attributes.has('domain'), false, '__Host- cookies have no Domain');
      } finally {
        await proxied.stop();
      }
    });

    test('signing in rotates the session: a browser holding A\'s session that signs in as B gets a new id, and A\'s is gone', async () => {
      const agent = browser(insole);
      const a = await signUp(insole, newEmail('first'), agent);
      const emailB = newEmail('second');
      const b = await signUp(insole, emailB);
      const before = { id: agent.cookies.get('_session')!, sig: agent.cookies.get('_session.sig')! };
      assert.equal((await sessions().findOne({ _id: sessionKey(before.id) }))?.payload.accountId, a.sub);

      const request = await buildAuthorization(a.config, { prompt: 'login' });
      const page = await agent.get(request.url);
      assert.equal(page.left, undefined, 'prompt=login shows the sign-in page');
      const form = readForm(await page.res.text());
      // oidc-provider first ends A's session: a page that posts the logout confirmation by script
      // (allowed by the hash of exactly that script, not by 'unsafe-inline'), then resumes as B.
      const switching = await agent.postForm(new URL(form.action, insole.issuer).href, { email: emailB, password: PASSWORD, _csrf: form.csrf });
      assert.equal(switching.left, undefined);
      const autoSubmit = await switching.res.text();
      const script = /<script>([\s\S]*?)<\/script>/.exec(autoSubmit)![1];
      const scriptSrc = parseCsp(switching.res.headers.get('content-security-policy')).get('script-src');
      assert.deepEqual(scriptSrc, ["'self'", `'sha256-${createHash('sha256').update(script).digest('base64')}'`]);
      const logoutForm = /<form method="post" action="([^"]+)">/.exec(autoSubmit)![1];
      const fields = Object.fromEntries([...autoSubmit.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]));
      assert.deepEqual(Object.keys(fields).sort(), ['logout', 'xsrf']);
      const signedIn = await agent.postForm(logoutForm, fields);
      assert.ok(signedIn.left, `signed in as B (HTTP ${signedIn.res.status})`);
      assert.equal((await exchangeCode(a.config, signedIn.left, request)).claims()!.sub, b.sub);

      const afterId = agent.cookies.get('_session')!;
      assert.notEqual(afterId, before.id, 'a new session id at sign-in');
      assert.equal(await sessions().findOne({ _id: sessionKey(before.id) }), null, 'the old session record is gone');
      assert.equal((await sessions().findOne({ _id: sessionKey(afterId) }))?.payload.accountId, b.sub);

      // Whoever kept the old cookie pair has nothing: it opens the sign-in page.
      const replay = new UserAgent(insole.issuer, BROWSER);
      replay.cookies.set('_session', before.id);
      replay.cookies.set('_session.sig', before.sig);
      const replayed = await replay.get((await buildAuthorization(a.config)).url);
      assert.equal(replayed.left, undefined, 'the old session does not sign anyone in');
      assert.ok(interactionUidOf(await replayed.res.text()), 'the sign-in page');
    });

    test('signing in again as the same user also gets a new session id', async () => {
      const agent = browser(insole);
      const email = newEmail('same');
      const { config } = await signUp(insole, email, agent);
      const first = agent.cookies.get('_session')!;
      await completeAuthorization(insole.issuer, await buildAuthorization(config, { prompt: 'login' }), { email, password: PASSWORD }, 'login', agent);
      assert.notEqual(agent.cookies.get('_session'), first);
      assert.equal(await sessions().findOne({ _id: sessionKey(first) }), null);
    });

    for (const route of ['RP-initiated logout (/oidc/logout)', 'Auth0 logout (/v2/logout)'] as const) {
      test(`${route} ends the session on the server; a forged confirmation does not`, async () => {
        const { agent, config, tokens, sub } = await signUp(insole, newEmail('logout'));
        const old = { id: agent.cookies.get('_session')!, sig: agent.cookies.get('_session.sig')! };
        /** A new browser carrying only the old session cookie pair: does /authorize skip the sign-in page? */
        const replay = async () => {
          const thief = new UserAgent(insole.issuer, BROWSER);
          thief.cookies.set('_session', old.id);
          thief.cookies.set('_session.sig', old.sig);
          const page = await thief.get((await buildAuthorization(config)).url);
          if (page.left) return 'signed in';
          assert.match(await page.res.text(), /action="\/interaction\/[^"]+\/login"/);
          return 'sign-in page';
        };
        assert.equal(await replay(), 'signed in', 'control: while the session lives, its cookie signs in');

        const start = route.startsWith('RP')
          ? oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: STOREFRONT.post_logout_redirect_uri }).href
          : `${insole.issuer}/v2/logout?client_id=${STOREFRONT.client_id}&returnTo=${encodeURIComponent(STOREFRONT.post_logout_redirect_uri)}`;
        const confirm = await agent.get(start);
        const html = await confirm.res.text();
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1];
        const action = new URL(/<form[^>]*action="([^"]+)"/.exec(html)![1], insole.issuer).href;

        // The confirmation is a form POST too: without its xsrf token, or with another, nothing ends.
        for (const fields of [{ logout: 'yes' }, { logout: 'yes', xsrf: 'f'.repeat(xsrf.length) }] as Record<string, string>[]) {
          const forged = await agent.postForm(action, fields);
          assert.equal(forged.left, undefined);
          assert.equal(forged.res.status, 400);
          await forged.res.arrayBuffer();
          assert.ok(await sessions().findOne({ _id: sessionKey(old.id) }), 'the session is still there');
        }
        assert.equal(await replay(), 'signed in');

        const done = await agent.postForm(action, { xsrf, logout: 'yes' });
        assert.equal(done.left, STOREFRONT.post_logout_redirect_uri);
        assert.equal(agent.cookies.has('_session'), false, 'the browser was told to drop the cookie');
        assert.equal(await sessions().findOne({ _id: sessionKey(old.id) }), null, 'the server-side session is gone');
        assert.equal(await sessions().countDocuments({ model: 'Session', 'payload.accountId': sub }), 0);
        assert.equal(await replay(), 'sign-in page', 'the old cookie no longer signs anyone in');
      });
    }
  });

  describe('CSRF tokens on every form POST', () => {
    test('every POST route of the app refuses a request without a CSRF token', async () => {
      // Found from the running app's router, so a new form without protection fails here.
      const app = insole.server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
      interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; rawPath?: string }
      const posts: string[] = [];
      const walk = (stack: Layer[], prefix: string) => {
        for (const layer of stack) {
          if (layer.route?.methods.post) posts.push(prefix + layer.route.path);
          if (layer.handle?.stack) walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
        }
      };
      walk(app.router.stack, '');
      // The Management API takes no cookies, only bearer tokens: a cross-site form cannot carry one,
      // so CSRF does not apply. Its POSTs refuse a browser's cookies alone.
      const api = posts.filter((path) => path.startsWith('/api/v2/'));
      assert.ok(api.length > 0, 'the Management API routes are found under their mount path');
      for (const path of api) {
        const res = await browser(insole).request(insole.issuer + path.replace(/:(\w+)/g, 'x'), { method: 'POST' });
        assert.equal(res.status, 401, `${path} without a bearer token`);
      }
      // POST /authorize is a store's authorization request, cross-site by nature and changing nothing:
      // it is answered with the same request as a GET (oidc-protocol.test.ts), with or without a token.
      assert.ok(posts.includes('/authorize'));
      // The dashboard's back-channel logout receiver is called by insole's server, not by a browser:
      // it takes no cookie, only a logout token signed by insole (OpenID Back-Channel Logout 1.0 §2.5),
      // so a cross-site form has nothing to ride on. Without a token it is a 400 that ends nothing.
      const backchannel = '/admin/backchannel-logout';
      assert.ok(posts.includes(backchannel));
      const unsigned = await browser(insole).request(insole.issuer + backchannel, { method: 'POST' });
      assert.equal(unsigned.status, 400, `${backchannel} without a logout token`);
      posts.splice(0, posts.length, ...posts.filter((path) => !path.startsWith('/api/v2/') && path !== '/authorize' && path !== backchannel));
      for (const known of ['/interaction/:uid/login', '/interaction/:uid/signup', '/interaction/:uid/consent', '/interaction/:uid/social/:pending/email', '/email/verify/resend', '/email/verify', '/password/reset', '/password/reset/new', '/account/unblock']) {
        assert.ok(posts.includes(known), `${known} is among the POST routes found (${posts.join(', ')})`);
      }
      const agent = browser(insole);
      await agent.get(`${insole.issuer}/password/reset`); // holds a genuine CSRF cookie
      for (const path of posts) {
        const url = insole.issuer + path.replace(/:(\w+)/g, (_m, name: string) => `test-${name}`);
        await expectRefused(agent, url, { email: 'someone@innovashoes.example', password: PASSWORD, ticket: 'x' }, [{ label: 'without _csrf' }]);
      }
    });

    test('sign-in: forged posts are refused and sign nobody in', async () => {
      const email = newEmail('csrf.login');
      const { sub } = await signUp(insole, email);
      const agent = browser(insole);
      const page = await openInteraction(insole, agent);
      const url = `${insole.issuer}/interaction/${page.uid}/login`;
      const mark = agent.setCookies.length;
      await expectRefused(agent, url, { email, password: PASSWORD }, forgeries(await foreignTokens(), page.form.csrf));

      assert.deepEqual(agent.setsOf('_session', mark), [], 'no session');
      const user = (await users().findOne({ user_id: sub }))!;
      assert.equal(user.logins_count, 1, 'no login counted');
      assert.equal(await insole.db.collection('logs').countDocuments({ user_id: sub, type: 's' }), 0);

      const { csrf } = await freshToken(agent, page.url);
      const done = await agent.postForm(url, { email, password: PASSWORD, _csrf: csrf });
      assert.ok(done.left?.startsWith(STOREFRONT.redirect_uri), 'the genuine form still works');
    });

    test('a sign-in in another tab, the password-reset page and a form shown again after a wrong password do not expire a sign-in form', async () => {
      const email = newEmail('csrf.tabs');
      await signUp(insole, email);
      const agent = browser(insole);
      const first = await openInteraction(insole, agent);
      // This agent keeps one cookie of a name; a browser keeps oidc-provider's interaction cookie
      // once per interaction (Path=/interaction/<uid>), so the first's is put back for its post.
      const firstInteractionCookies = [...agent.cookies].filter(([name]) => name.startsWith('_interaction'));
      const second = await openInteraction(insole, agent);
      const wrong = await agent.postForm(`${insole.issuer}/interaction/${second.uid}/login`, { email, password: 'not the password', _csrf: second.form.csrf });
      assert.equal(wrong.res.status, 401);
      const again = readForm(await wrong.res.text());
      await freshToken(agent, `${insole.issuer}/password/reset`);
      const secondDone = await agent.postForm(`${insole.issuer}/interaction/${second.uid}/login`, { email, password: PASSWORD, _csrf: again.csrf });
      assert.ok(secondDone.left?.startsWith(STOREFRONT.redirect_uri), `the second tab signs in: HTTP ${secondDone.res.status}`);

      for (const [name, value] of firstInteractionCookies) agent.cookies.set(name, value);
      const firstDone = await agent.postForm(`${insole.issuer}/interaction/${first.uid}/login`, { email, password: PASSWORD, _csrf: first.form.csrf });
      assert.ok(firstDone.left?.startsWith(STOREFRONT.redirect_uri), `the first tab's form still works: HTTP ${firstDone.res.status} ${alert(await firstDone.res.text()) ?? ''}`);
    });

    test('a first visit loading two sign-in pages at once: the form whose cookie value lost is shown again (400, a fresh token), does nothing, then signs in', async () => {
      const email = newEmail('csrf.first.visit');
      const { sub } = await signUp(insole, email);
      const agent = browser(insole);
      const first = await openInteraction(insole, agent);
      const firstInteractionCookies = [...agent.cookies].filter(([name]) => name.startsWith('_interaction'));
      // The second page was requested alongside the first, so without the cookie the first one set:
      // it sets another value, which the browser keeps (the last one set wins).
      const firstValue = agent.cookies.get(CSRF_COOKIE);
      agent.cookies.delete(CSRF_COOKIE);
      await openInteraction(insole, agent);
      assert.ok(agent.cookies.get(CSRF_COOKIE) && agent.cookies.get(CSRF_COOKIE) !== firstValue, 'the second page set another cookie value');
      for (const [name, value] of firstInteractionCookies) agent.cookies.set(name, value);

      const url = `${insole.issuer}/interaction/${first.uid}/login`;
      const mark = agent.setCookies.length;
      const stale = await agent.postForm(url, { email, password: PASSWORD, _csrf: first.form.csrf });
      const html = await stale.res.text();
      assert.equal(stale.res.status, 400, `HTTP ${stale.res.status} ${alert(html) ?? html.slice(0, 200)}`);
      assert.equal(stale.left, undefined);
      assert.match(alert(html) ?? '', /its form was out of date\. Nothing was done: please try again\.$/);
      assert.match(html, new RegExp(`value="${email.replaceAll('.', '\\.')}"`), 'what was typed is kept');
      assert.deepEqual(agent.setsOf('_session', mark), [], 'no session');
      assert.equal((await users().findOne({ user_id: sub }))!.logins_count, 1, 'no login counted');
      assert.equal(await insole.db.collection('logs').countDocuments({ user_id: sub, type: { $in: ['s', 'f', 'fp', 'fu'] } }), 0, 'no sign-in event, not even a failed one');

      const again = readForm(html);
      assert.notEqual(again.csrf, first.form.csrf);
      const done = await agent.postForm(url, { email, password: PASSWORD, _csrf: again.csrf });
      assert.ok(done.left?.startsWith(STOREFRONT.redirect_uri), `the form shown again signs in: HTTP ${done.res.status}`);
    });

    test('sign-up: forged posts are refused and create nobody', async () => {
      const email = newEmail('csrf.signup');
      const agent = browser(insole);
      const page = await openInteraction(insole, agent);
      const url = `${insole.issuer}/interaction/${page.uid}/signup`;
      await expectRefused(agent, url, { email, password: PASSWORD }, forgeries(await foreignTokens(), page.form.csrf));
      assert.equal(await users().countDocuments({ email }), 0);

      const { csrf } = await freshToken(agent, `${insole.issuer}/interaction/${page.uid}/signup`);
      assert.ok((await agent.postForm(url, { email, password: PASSWORD, _csrf: csrf })).left);
      assert.equal(await users().countDocuments({ email }), 1);
    });

    test('consent (third-party app): forged posts are refused and grant nothing', async () => {
      const email = newEmail('csrf.consent');
      const { sub } = await signUp(insole, email);
      const agent = browser(insole);
      const page = await openInteraction(insole, agent, THIRD_PARTY);
      const consentPage = await agent.postForm(`${insole.issuer}/interaction/${page.uid}/login`, { email, password: PASSWORD, _csrf: page.form.csrf });
      const html = await consentPage.res.text();
      const form = read.form(html, /\/consent$/);
      const url = new URL(form.action, insole.issuer).href;
      const grants = () => insole.db.collection('oidc_flow').countDocuments({ model: 'Grant', 'payload.clientId': THIRD_PARTY.client_id, 'payload.accountId': sub });

      await expectRefused(agent, url, {}, forgeries(await foreignTokens(), form.csrf));
      assert.equal(await grants(), 0, 'nothing granted');

      const done = await agent.postForm(url, { _csrf: form.csrf });
      assert.ok(done.left?.startsWith(`${STOREFRONT.redirect_uri}?code=`), 'the genuine approval works');
      assert.equal(await grants(), 1);
    });

    test('a signed-in shopper opening a third-party app is sent on to its consent page: /authorize answers only sign-ins with a page', async () => {
      const { agent } = await signUp(insole, newEmail('consent.redirect'));
      const config = await discoverStorefront(insole.issuer, THIRD_PARTY);
      const answer = await agent.request((await buildAuthorization(config)).url);
      assert.equal(answer.status, 303, 'a redirect, as oidc-provider answers it');
      const location = answer.headers.get('location') ?? '';
      assert.match(location, /^\/interaction\/[^/]+$/);
      const page = await agent.get(new URL(location, insole.issuer).href);
      assert.match(await page.res.text(), /action="\/interaction\/[^"]+\/consent"/, 'the consent page, no sign-in');
    });

    test('emailed-link and email forms: forged posts are refused and change nothing', async () => {
      const email = newEmail('csrf.account');
      const { sub } = await signUp(insole, email);
      const user = () => users().findOne({ user_id: sub });
      const ticketCount = (kind: string) => tickets().countDocuments({ user_id: sub, kind });
      const agent = browser(insole);
      const foreign = await foreignTokens();

      // Confirm the email, with the link of the sign-up mail.
      const verifyLink = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${insole.issuer}/email/verify?ticket=`);
      const verifyTicket = new URL(verifyLink).searchParams.get('ticket')!;
      await expectRefused(agent, `${insole.issuer}/email/verify`, { ticket: verifyTicket }, forgeries(foreign, (await freshToken(agent, verifyLink)).csrf));
      assert.equal((await user())!.email_verified, false);
      const verified = await agent.postForm(`${insole.issuer}/email/verify`, { ticket: verifyTicket, _csrf: (await freshToken(agent, verifyLink)).csrf });
      assert.equal(verified.res.status, 200, 'the link was not used up by the forgeries');
      assert.equal((await user())!.email_verified, true);

      // Resend a confirmation mail (to another, unconfirmed, account).
      const unconfirmed = newEmail('csrf.resend');
      const other = await signUp(insole, unconfirmed);
      const links = () => tickets().countDocuments({ user_id: other.sub, kind: 'verify_email' });
      const resendUrl = `${insole.issuer}/email/verify/resend`;
      await expectRefused(agent, resendUrl, { email: unconfirmed }, forgeries(foreign, (await freshToken(agent, resendUrl)).csrf));
      assert.equal(await links(), 1, 'no new link issued');
      assert.equal((await agent.postForm(resendUrl, { email: unconfirmed, _csrf: (await freshToken(agent, resendUrl)).csrf })).res.status, 200);
      assert.equal(await links(), 2);

      // Ask for a password reset.
      const resetUrl = `${insole.issuer}/password/reset`;
      await expectRefused(agent, resetUrl, { email }, forgeries(foreign, (await freshToken(agent, resetUrl)).csrf));
      assert.equal(await ticketCount('reset_password'), 0, 'no reset link issued');
      assert.equal((await agent.postForm(resetUrl, { email, _csrf: (await freshToken(agent, resetUrl)).csrf })).res.status, 200);
      assert.equal(await ticketCount('reset_password'), 1);

      // Choose the new password.
      const resetLink = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
      const resetTicket = new URL(resetLink).searchParams.get('ticket')!;
      const hashBefore = (await users().findOne({ user_id: sub }, { projection: { password_hash: 1 } }))!.password_hash;
      await expectRefused(agent, `${insole.issuer}/password/reset/new`, { ticket: resetTicket, password: 'an attacker chose this' }, forgeries(foreign, (await freshToken(agent, resetLink)).csrf));
      assert.equal((await users().findOne({ user_id: sub }, { projection: { password_hash: 1 } }))!.password_hash, hashBefore, 'password unchanged');
      const changed = await agent.postForm(`${insole.issuer}/password/reset/new`, { ticket: resetTicket, password: 'the owner chose this one', _csrf: (await freshToken(agent, resetLink)).csrf });
      assert.equal(changed.res.status, 200, 'the link was not used up by the forgeries');
      assert.match(await changed.res.text(), /Password changed/);
    });

    test('unblock: forged posts are refused and the block stays', async () => {
      const email = newEmail('csrf.unblock');
      const { sub } = await signUp(insole, email);
      for (let i = 0; i < 2; i++) {
        const attempt = browser(insole);
        const page = await openInteraction(insole, attempt);
        const res = await attempt.postForm(`${insole.issuer}/interaction/${page.uid}/login`, { email, password: 'wrong password here', _csrf: page.form.csrf });
        assert.equal(res.res.status, 401);
      }
      const blockedFor = async () => (await users().findOne({ user_id: sub }))!.blocked_for as unknown[];
      assert.equal((await blockedFor()).length, 1, 'blocked after two failures');
      const link = inbox.linkIn(await inbox.waitFor(email, /blocked/i), `${insole.issuer}/account/unblock?ticket=`);
      const ticket = new URL(link).searchParams.get('ticket')!;

      const agent = browser(insole);
      await expectRefused(agent, `${insole.issuer}/account/unblock`, { ticket }, forgeries(await foreignTokens(), (await freshToken(agent, link)).csrf));
      assert.equal((await blockedFor()).length, 1, 'still blocked');
      const done = await agent.postForm(`${insole.issuer}/account/unblock`, { ticket, _csrf: (await freshToken(agent, link)).csrf });
      assert.equal(done.res.status, 200);
      assert.deepEqual(await blockedFor(), []);
    });
  });

  describe('oversize bodies', () => {
    test('a 100 kB sign-in post gets 413 with a clear message and writes nothing; the sign-in still works', async () => {
      const email = newEmail('oversize');
      const { sub } = await signUp(insole, email);
      const agent = browser(insole);
      const page = await openInteraction(insole, agent);
      const url = `${insole.issuer}/interaction/${page.uid}/login`;
      const counts = async () => ({
        users: await users().countDocuments(),
        logs: await insole.db.collection('logs').countDocuments(),
        sessions: await sessions().countDocuments({ model: 'Session' }),
        logins: (await users().findOne({ user_id: sub }))!.logins_count,
      });
      await signInLogsWritten(insole.db); // the sign-up's own log lands in a batched move, after it answered
      const before = await counts();
      const mark = agent.setCookies.length;

      const body = { email, password: 'x'.repeat(100_000), _csrf: page.form.csrf };
      assert.ok(new URLSearchParams(body).toString().length > 100_000);
      const html = await agent.postForm(url, body);
      assert.equal(html.res.status, 413);
      assert.match(alert(await html.res.text()) ?? '', /too large/i, 'a person reads what went wrong');

      const json = await fetch(url, {
        method: 'POST', body: new URLSearchParams(body).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie: `${CSRF_COOKIE}=${agent.cookies.get(CSRF_COOKIE)}` },
      });
      assert.equal(json.status, 413);
      assert.deepEqual(await json.json(), { error: 'payload_too_large', error_description: 'The request body is too large.' });

      // The sign-up form of the same interaction, too.
      const signupBody = { email: newEmail('oversize.signup'), password: 'y'.repeat(100_000), _csrf: page.form.csrf };
      assert.equal((await agent.postForm(`${insole.issuer}/interaction/${page.uid}/signup`, signupBody)).res.status, 413);

      assert.deepEqual(await counts(), before, 'nothing written');
      assert.deepEqual(agent.setsOf('_session', mark), []);
      const { csrf } = await freshToken(agent, page.url);
      assert.ok((await agent.postForm(url, { email, password: PASSWORD, _csrf: csrf })).left, 'the interaction is intact');
    });

    test('the emailed-link forms refuse oversize bodies with 413 as well', async () => {
      const agent = browser(insole);
      const { csrf } = await freshToken(agent, `${insole.issuer}/password/reset`);
      const before = await tickets().countDocuments();
      for (const path of ['/password/reset', '/email/verify/resend', '/password/reset/new', '/email/verify', '/account/unblock']) {
        const res = await agent.postForm(`${insole.issuer}${path}`, { email: newEmail('big'), ticket: 't'.repeat(100_000), _csrf: csrf });
        assert.equal(res.res.status, 413, path);
        assert.match(alert(await res.res.text()) ?? '', /too large/i, path);
      }
      assert.equal(await tickets().countDocuments(), before);
    });
  });
});

describe('CSRF on the social sign-in email form', () => {
  let world: SocialWorld;
  before(async () => { world = await startSocialWorld(); });
  after(async () => { await world.close(); });

  test('X without an email: forged posts of the email step are refused and create nobody', async () => {
    const account = freshTwitter(world, { email: undefined });
    const user_id = `twitter|${account.id_str}`;
    const trip = await socialTrip(world.insole, 'twitter');
    assert.equal(trip.landing.status, 200);
    const form = read.form(trip.landing.html, /\/social\/[^/]+\/email$/);
    const url = new URL(form.action, world.insole.issuer).href;

    const other = await openSignIn(world.insole, new ShopperAgent(world.insole.issuer));
    const otherInteraction = { csrf: readForm(other.page.html).csrf, cookie: other.agent.cookies.get(CSRF_COOKIE)! };
    await expectRefused(trip.agent, url, { email: 'forged@example.com' }, forgeries({ otherBrowserToken: otherInteraction.csrf, otherInteraction }, form.csrf));
    assert.equal(await world.insole.db.collection('users').countDocuments({ user_id }), 0);
    assert.equal(await world.insole.db.collection('social_handshakes').countDocuments({ kind: 'emailed_link', uid: trip.uid }), 0, 'and mail nothing');

    // A genuine token for this interaction (its sign-in page mints one) completes the step.
    const fresh = readForm((await submitGet(trip.agent, `${world.insole.issuer}/interaction/${trip.uid}`)).html);
    const done = await submit(trip.agent, form.action, { email: 'alan.genuine@example.com', _csrf: fresh.csrf }, world.insole);
    assert.equal(done.status, 200, `the genuine form works: ${read.alert(done.html)}`);
    assert.equal(read.h1(done.html), 'Check your inbox');
    assert.equal(await world.insole.db.collection('social_handshakes').countDocuments({ kind: 'emailed_link', uid: trip.uid }), 1, 'its link is mailed');
  });
});

async function submitGet(agent: UserAgent, url: string) {
  const { res } = await agent.get(url);
  return { status: res.status, html: await res.text() };
}
