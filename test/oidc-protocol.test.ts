// The OAuth 2.0 / OpenID Connect rules of STANDARDS.md (RFC 9700, OIDF conformance), each checked
// against a real insole by sending what an attacker or a careless client would send.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import mongoose from 'mongoose';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';
import { createMongoStorage } from '../src/oidc/mongo-adapter.ts';
import { createSealedBox } from '../src/lib/sealed-box.ts';
import { BROWSER_HEADERS } from './support/checked-agent.ts';
import { startTestInsole, STOREFRONT, TEST_API, testDatabaseUri, type TestInsole } from './support/insole.ts';
import {
  alertText, authorizeUrl, fetchManual, introspect, postBackChannel, tokenRequest, userinfoStatus,
} from './support/oauth-wire.ts';
import {
  buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc, signInForTokens, type AuthorizationRequest,
} from './support/relying-party.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const BROWSER_ACCEPT = BROWSER_HEADERS.accept;
const PASSWORD = 'long run on sunday morning';
// A syntactically valid S256 challenge, for requests that are refused before any code is issued.
const SOME_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

let emailCounter = 0;
function newShopper() {
  emailCounter += 1;
  return { email: `protocol.${emailCounter}.${Date.now()}@innovashoes.example`, password: PASSWORD };
}

/** The parameters of a well-formed code request, for tests that change exactly one of them. */
function validAuthorizeParams(): Record<string, string | undefined> {
  return {
    client_id: STOREFRONT.client_id,
    redirect_uri: STOREFRONT.redirect_uri,
    response_type: 'code',
    scope: 'openid email',
    state: 'state-123',
    nonce: 'nonce-123',
    code_challenge: SOME_CHALLENGE,
    code_challenge_method: 'S256',
  };
}

/** What a browser is told for an /authorize request, before it acts on it. */
function openAuthorize(issuer: string, params: Record<string, string | undefined>) {
  return fetchManual(authorizeUrl(issuer, params), { headers: { accept: BROWSER_ACCEPT } });
}

/** A redirect to the registered redirect_uri with an OAuth error, in the query or (implicit-style) in the fragment. */
function callbackError(location: string | null): URLSearchParams {
  assert.ok(location, 'expected a redirect');
  const url = new URL(location);
  assert.equal(url.origin + url.pathname, STOREFRONT.redirect_uri, 'errors go only to the registered redirect_uri');
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** Signs a new shopper up and returns what is needed to make more authorizations in the same browser. */
async function signedInShopper(issuer: string) {
  const config = await discoverStorefront(issuer);
  const request = await buildAuthorization(config);
  const { callback, agent } = await completeAuthorization(issuer, request, newShopper(), 'signup');
  return { config, agent, request, callback };
}

/** A fresh authorization in a browser that is already signed in: no page, straight back with a code. */
async function authorizeAgain(issuer: string, config: oidc.Configuration, agent: UserAgent, extra: Record<string, string> = {}) {
  const request = await buildAuthorization(config, extra);
  const { callback } = await completeAuthorization(issuer, request, { email: '', password: '' }, 'login', agent);
  const code = new URL(callback).searchParams.get('code');
  assert.ok(code, `expected a code in ${callback}`);
  return { request, callback, code };
}

function redeem(issuer: string, code: string, request: AuthorizationRequest, overrides: Record<string, string> = {}) {
  return tokenRequest(issuer, {
    grant_type: 'authorization_code', code, redirect_uri: STOREFRONT.redirect_uri, code_verifier: request.verifier, ...overrides,
  });
}

describe('the OpenID Connect protocol, as an attacker would try it', () => {
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole(); });
  after(async () => { await insole.stop(); });

  describe('redirect_uri and client_id are checked before anything is redirected', () => {
    const notRegistered = {
      'an extra path segment': `${STOREFRONT.redirect_uri}/extra`,
      'an extra query parameter': `${STOREFRONT.redirect_uri}?next=https://evil.example/`,
      'a different port': STOREFRONT.redirect_uri.replace(':4999', ':5000'),
      'a trailing slash': `${STOREFRONT.redirect_uri}/`,
      'another host name for the same machine': STOREFRONT.redirect_uri.replace('127.0.0.1', 'localhost'),
      'https instead of http': STOREFRONT.redirect_uri.replace('http:', 'https:'),
      'upper-case path': STOREFRONT.redirect_uri.replace('/callback', '/CALLBACK'),
      'a fragment': `${STOREFRONT.redirect_uri}#x`,
      'an attacker site': 'https://evil.example/callback',
    };
    for (const [label, redirectUri] of Object.entries(notRegistered)) {
      test(`a redirect_uri with ${label} gets an error page, not a redirect`, async () => {
        const page = await openAuthorize(insole.issuer, { ...validAuthorizeParams(), redirect_uri: redirectUri });
        assert.equal(page.status, 400);
        assert.equal(page.location, null, 'never redirect to an unregistered redirect_uri');
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
        assert.match(alertText(page.html) ?? '', /redirect_uri/);
        assert.doesNotMatch(page.html, /state-123/, 'the state is not handed to an unverified destination');
      });
    }

    test('an unknown client_id gets an error page, not a redirect, even with a plausible redirect_uri', async () => {
      const page = await openAuthorize(insole.issuer, { ...validAuthorizeParams(), client_id: 'no-such-client' });
      assert.equal(page.status, 400);
      assert.equal(page.location, null);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.ok(alertText(page.html), 'the page says what went wrong');
    });

    test('the exactly registered redirect_uri is accepted (the same request as above, unchanged)', async () => {
      const page = await openAuthorize(insole.issuer, validAuthorizeParams());
      assert.equal(page.status, 200);
      assert.match(page.html, /<form[^>]*action="\/interaction\/[^"]+\/login"/, 'answers with the sign-in page');
    });
  });

  describe('the authorization endpoint takes POST as well as GET (OpenID Connect Core §3.1.2.1)', () => {
    const postAuthorize = (body: string) => fetchManual(`${insole.issuer}/authorize`, {
      method: 'POST', body, headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/x-www-form-urlencoded' },
    });

    test('a posted request is the same request as a GET: the sign-in page, and for a signed-in shopper a code that redeems', async () => {
      const params = validAuthorizeParams() as Record<string, string>;
      const posted = await postAuthorize(new URLSearchParams(params).toString());
      assert.equal(posted.status, 303);
      const location = new URL(posted.location!, insole.issuer);
      assert.equal(location.href, `${insole.issuer}/authorize?${new URLSearchParams(params)}`);
      const page = await openAuthorize(insole.issuer, Object.fromEntries(location.searchParams));
      assert.match(page.html, /<form[^>]*action="\/interaction\/[^"]+\/login"/, 'answers with the sign-in page');

      const { config, agent } = await signedInShopper(insole.issuer);
      const request = await buildAuthorization(config);
      const back = await agent.postForm(`${insole.issuer}/authorize`, Object.fromEntries(new URL(request.url).searchParams));
      const code = new URL(back.left!).searchParams.get('code');
      assert.ok(code, `straight back with a code: ${back.left}`);
      assert.equal((await redeem(insole.issuer, code, request)).status, 200);
    });

    test('a parameter given twice gets an error page, a body that is not a form an error; neither is redirected', async () => {
      const twice = await postAuthorize(`${new URLSearchParams(validAuthorizeParams() as Record<string, string>)}&state=second`);
      assert.equal(twice.status, 400);
      assert.equal(twice.location, null);
      assert.ok(alertText(twice.html));
      const json = await fetchManual(`${insole.issuer}/authorize`, { method: 'POST', body: JSON.stringify(validAuthorizeParams()), headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json' } });
      assert.equal(json.status, 400);
      assert.equal(json.location, null);
      assert.match((JSON.parse(json.html) as { error_description: string }).error_description, /as a form/, 'a JSON request gets the answer as JSON');
    });
  });

  describe('authorization codes', () => {
    test('a code works once; redeeming it again fails and revokes the tokens it issued', async () => {
      const { config, request, callback } = await signedInShopper(insole.issuer);
      const code = new URL(callback).searchParams.get('code')!;
      const tokens = await exchangeCode(config, callback, request);
      assert.ok(tokens.refresh_token);
      assert.equal((await introspect(insole.issuer, tokens.access_token)).active, true, 'usable before the replay');
      assert.equal(await userinfoStatus(insole.issuer, tokens.access_token), 200);

      const replay = await redeem(insole.issuer, code, request);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.equal(replay.body.access_token, undefined);

      assert.equal((await introspect(insole.issuer, tokens.access_token)).active, false, 'the access token is revoked');
      assert.equal(await userinfoStatus(insole.issuer, tokens.access_token), 401);
      assert.equal((await introspect(insole.issuer, tokens.refresh_token!)).active, false, 'the refresh token is revoked');
      const refresh = await tokenRequest(insole.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      assert.equal(refresh.body.error, 'invalid_grant');
    });

    test('when one code is redeemed twice at the same moment, at most one succeeds and its tokens end up revoked', async () => {
      // Two requests can both read the code before either marks it used; the one that loses the
      // race is a replay all the same. Several rounds, so the race is actually hit.
      const { agent, config } = await signedInShopper(insole.issuer);
      for (let round = 0; round < 8; round++) {
        const { request, code } = await authorizeAgain(insole.issuer, config, agent);
        const answers = await Promise.all([redeem(insole.issuer, code, request), redeem(insole.issuer, code, request)]);
        const issued = answers.filter((a) => a.status === 200);
        assert.ok(issued.length <= 1, `round ${round}: both redemptions of one code succeeded`);
        for (const refused of answers.filter((a) => a.status !== 200)) assert.equal(refused.body.error, 'invalid_grant');
        for (const { body } of issued) {
          assert.equal((await introspect(insole.issuer, String(body.access_token))).active, false, `round ${round}: the access token survived the replay`);
          assert.equal((await introspect(insole.issuer, String(body.refresh_token))).active, false, `round ${round}: the refresh token survived the replay`);
        }
      }
    });

    test('a finished sign-in resumes once: of two sign-in posts at the same moment, exactly one gets a code', async () => {
      // The sign-in POST resumes the authorization itself (src/oidc/resume-here.ts), and the resume
      // takes its interaction in one findOneAndDelete: the other request finds nothing, and is not
      // handed a code for an interaction it did not take.
      const shopper = newShopper();
      const { config } = await signInForTokens(insole.issuer, shopper, 'signup');
      for (let round = 0; round < 5; round++) {
        const agent = new UserAgent(insole.issuer);
        const request = await buildAuthorization(config);
        const form = readForm(await (await agent.get(request.url)).res.text());
        const post = () => agent.request(new URL(form.action, insole.issuer).href, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...shopper, _csrf: form.csrf }).toString(),
        });
        const answers = await Promise.all([post(), post()]);
        const codes = answers.map((a) => a.headers.get('location') ?? '').filter((to) => to.startsWith(STOREFRONT.redirect_uri) && new URL(to).searchParams.has('code'));
        assert.equal(codes.length, 1, `round ${round}: ${answers.map((a) => `${a.status} ${a.headers.get('location')}`).join(' | ')}`);
        assert.ok(answers.some((a) => a.status === 400), `round ${round}: the other post was refused`);
        const tokens = await exchangeCode(config, codes[0], request);
        assert.equal(tokens.claims()?.email, shopper.email);
      }
    });

    test('a client that sends every cookie everywhere, a stale resume cookie too, still gets its code from the sign-in post', async () => {
      // The browser sends the resume cookie only to /authorize/<uid>; a client that ignores paths sends
      // it to the sign-in post too. The resume started there checks the one insole vouches for.
      const shopper = newShopper();
      const { config } = await signInForTokens(insole.issuer, shopper, 'signup');
      const agent = new UserAgent(insole.issuer);
      const request = await buildAuthorization(config);
      const form = readForm(await (await agent.get(request.url)).res.text());
      agent.cookies.set('_interaction_resume', 'an-earlier-sign-in');
      agent.cookies.set('_interaction_resume.sig', 'not-its-signature');
      const posted = await agent.request(new URL(form.action, insole.issuer).href, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...shopper, _csrf: form.csrf }).toString(),
      });
      const callback = posted.headers.get('location') ?? '';
      assert.ok(callback.startsWith(STOREFRONT.redirect_uri) && new URL(callback).searchParams.has('code'), `${posted.status} ${callback}`);
      assert.equal((await exchangeCode(config, callback, request)).claims()?.email, shopper.email);
    });

    test('odd Cookie headers on the sign-in post (quoted values, duplicates, stray separators, a stale resume cookie first or last) still resume to a code; without the interaction cookie it is refused with a 4xx', async () => {
      const shopper = newShopper();
      const { config } = await signInForTokens(insole.issuer, shopper, 'signup');
      const stale = ['_interaction_resume="an-earlier-sign-in"', '_interaction_resume.sig=not-its-signature'];
      const oddities: Record<string, (own: string[]) => string> = {
        'stale resume cookie first, quoted': (own) => [...stale, ...own].join('; '),
        'stale resume cookie last, no spaces': (own) => [...own, ...stale].join(';'),
        'stray separators and spaces, a quoted value holding a semicolon': (own) => `;; ${own.join(';   ')};pref="a;b"; ;`,
        'every cookie twice': (own) => [...own, ...own].join('; '),
      };
      const signIn = async (header: (own: string[]) => string) => {
        const agent = new UserAgent(insole.issuer);
        const request = await buildAuthorization(config);
        const form = readForm(await (await agent.get(request.url)).res.text());
        const own = [...agent.cookies].map(([name, value]) => `${name}=${value}`);
        const posted = await fetch(new URL(form.action, insole.issuer).href, {
          method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header(own) },
          body: new URLSearchParams({ ...shopper, _csrf: form.csrf }).toString(),
        });
        return { posted, request };
      };
      for (const [what, header] of Object.entries(oddities)) {
        const { posted, request } = await signIn(header);
        const callback = posted.headers.get('location') ?? '';
        assert.ok(callback.startsWith(STOREFRONT.redirect_uri) && new URL(callback).searchParams.has('code'), `${what}: ${posted.status} ${callback}`);
        assert.equal((await exchangeCode(config, callback, request)).claims()?.email, shopper.email, what);
      }
      const { posted } = await signIn((own) => [...stale, ...own.filter((pair) => !pair.startsWith('_interaction='))].join('; '));
      assert.ok(posted.status >= 400 && posted.status < 500, `no interaction cookie: ${posted.status}`);
    });

    test('a code is bound to the redirect_uri it was issued for', async () => {
      const { agent, config } = await signedInShopper(insole.issuer);
      const { request, code } = await authorizeAgain(insole.issuer, config, agent);
      const answer = await redeem(insole.issuer, code, request, { redirect_uri: `${STOREFRONT.redirect_uri}/other` });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'invalid_grant');
    });

    test('the code lifetime cannot be configured above 10 minutes', () => {
      assert.throws(
        () => loadConfig({ env: { NODE_ENV: 'test' }, overrides: { ttl: { authorization_code: 601 } } }),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('ttl.authorization_code')),
      );
    });
  });

  describe('PKCE (S256) is required', () => {
    test('an authorization request without code_challenge is sent back to the client with invalid_request', async () => {
      const page = await openAuthorize(insole.issuer, { ...validAuthorizeParams(), code_challenge: undefined, code_challenge_method: undefined });
      assert.equal(page.status, 303);
      const error = callbackError(page.location);
      assert.equal(error.get('error'), 'invalid_request');
      assert.match(error.get('error_description') ?? '', /PKCE/);
      assert.equal(error.get('state'), 'state-123');
      assert.equal(error.get('code'), null);
    });

    test('code_challenge_method=plain is refused (no downgrade from S256)', async () => {
      const page = await openAuthorize(insole.issuer, {
        ...validAuthorizeParams(), code_challenge_method: 'plain', code_challenge: 'plain-verifier-plain-verifier-plain-verifier-0123',
      });
      const error = callbackError(page.location);
      assert.equal(error.get('error'), 'invalid_request');
      assert.match(error.get('error_description') ?? '', /code_challenge_method/);
      assert.equal(error.get('code'), null);
    });

    test('a wrong code_verifier, or none, at the token endpoint gets invalid_grant and spends the code', async () => {
      const { agent, config } = await signedInShopper(insole.issuer);
      const { request, code } = await authorizeAgain(insole.issuer, config, agent);

      const wrong = await redeem(insole.issuer, code, request, { code_verifier: oidc.randomPKCECodeVerifier() });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'invalid_grant');
      // One attempt per code: whoever intercepted it cannot go on guessing verifiers.
      const right = await redeem(insole.issuer, code, request);
      assert.equal(right.status, 400, 'the code was redeemed after a refused attempt');
      assert.equal(right.body.error, 'invalid_grant');

      const next = await authorizeAgain(insole.issuer, config, agent);
      const missing = await tokenRequest(insole.issuer, { grant_type: 'authorization_code', code: next.code, redirect_uri: STOREFRONT.redirect_uri });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error, 'invalid_grant');
      assert.equal(missing.body.access_token, undefined);
    });
  });

  describe('state and nonce', () => {
    test('state comes back in the callback and nonce in the ID token, exactly as sent, odd characters included', async () => {
      const state = `a b+c/d?e=f&g#h%20i;j\\k"l'm<n>é😀 ${'z'.repeat(100)}`;
      const nonce = 'n+/=ü? "x"';
      const config = await discoverStorefront(insole.issuer);
      const request = { ...(await buildAuthorization(config, { state, nonce })), state, nonce };
      const { callback } = await completeAuthorization(insole.issuer, request, newShopper(), 'signup');
      assert.equal(new URL(callback).searchParams.get('state'), state);
      const tokens = await exchangeCode(config, callback, request); // openid-client checks both as well
      assert.equal(tokens.claims()!.nonce, nonce);
      assert.equal(decodeJwt(tokens.id_token!).nonce, nonce);
    });
  });

  describe('refresh tokens', () => {
    test('a rotated refresh token used again fails and revokes the whole family, the newest token included', async () => {
      const { config, tokens } = await signInForTokens(insole.issuer, newShopper(), 'signup');
      const first = tokens.refresh_token!;
      const rotated = await oidc.refreshTokenGrant(config, first);
      const second = rotated.refresh_token!;
      assert.notEqual(second, first);
      assert.equal((await introspect(insole.issuer, second)).active, true, 'the new token works before the replay');

      const replay = await tokenRequest(insole.issuer, { grant_type: 'refresh_token', refresh_token: first });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');

      assert.equal((await introspect(insole.issuer, second)).active, false, 'the newest refresh token is revoked too');
      const withSecond = await tokenRequest(insole.issuer, { grant_type: 'refresh_token', refresh_token: second });
      assert.equal(withSecond.body.error, 'invalid_grant');
      assert.equal(await userinfoStatus(insole.issuer, rotated.access_token), 401, 'and so is the access token it came with');
    });

    test('signing out revokes the sign-in\'s refresh token; one granted offline_access (asked with prompt=consent) outlives the session', async () => {
      const { agent, config } = await signedInShopper(insole.issuer);
      const plain = await authorizeAgain(insole.issuer, config, agent);
      const sessionBound = await exchangeCode(config, plain.callback, plain.request);
      // offline_access stays only with prompt=consent, which shows the consent page even to a first-party store.
      const request = await buildAuthorization(config, { prompt: 'consent' });
      const consent = readForm(await (await agent.get(request.url)).res.text());
      const { left } = await agent.postForm(new URL(consent.action, insole.issuer).href, { _csrf: consent.csrf });
      const offline = await exchangeCode(config, left!, request);
      assert.equal(sessionBound.scope?.includes('offline_access'), false);
      assert.equal(offline.scope?.includes('offline_access'), true);

      const confirm = await (await agent.get(oidc.buildEndSessionUrl(config, { id_token_hint: offline.id_token! }).href)).res.text();
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm)![1]!;
      await agent.postForm(new URL('/oidc/logout/confirm', insole.issuer).href, { xsrf, logout: 'yes' });

      const refresh = (token: string) => tokenRequest(insole.issuer, { grant_type: 'refresh_token', refresh_token: token });
      assert.equal((await refresh(sessionBound.refresh_token!)).body.error, 'invalid_grant', 'bound to the session that ended');
      assert.equal((await refresh(offline.refresh_token!)).status, 200, 'offline access (OpenID Connect Core §11)');
    });

    test('when one refresh token is used twice at the same moment, the rotated family ends up revoked', async () => {
      const { agent, config } = await signedInShopper(insole.issuer);
      for (let round = 0; round < 8; round++) {
        const { request, callback } = await authorizeAgain(insole.issuer, config, agent);
        const { refresh_token } = await exchangeCode(config, callback, request);
        const refresh = () => tokenRequest(insole.issuer, { grant_type: 'refresh_token', refresh_token: refresh_token! });
        const answers = await Promise.all([refresh(), refresh()]);
        const issued = answers.filter((a) => a.status === 200);
        assert.ok(issued.length <= 1, `round ${round}: one refresh token was rotated twice`);
        for (const { body } of issued) {
          assert.equal((await introspect(insole.issuer, String(body.refresh_token))).active, false, `round ${round}: the rotated token survived the replay`);
        }
      }
    });
  });

  describe('only the authorization code flow', () => {
    for (const responseType of ['token', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']) {
      test(`response_type=${responseType} is refused with unsupported_response_type and no token`, async () => {
        const page = await openAuthorize(insole.issuer, { ...validAuthorizeParams(), response_type: responseType });
        const error = callbackError(page.location);
        assert.equal(error.get('error'), 'unsupported_response_type');
        for (const leaked of ['code', 'access_token', 'id_token']) assert.equal(error.get(leaked), null, `${leaked} in the redirect`);
      });
    }

    test('grant_type=password is refused at /oauth/token', async () => {
      const { email } = newShopper();
      const answer = await tokenRequest(insole.issuer, { grant_type: 'password', username: email, password: PASSWORD, scope: 'openid' });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'unsupported_grant_type');
      assert.equal(answer.body.access_token, undefined);
    });

    test('discovery advertises only the code flow, S256 and no password or implicit grant', async () => {
      const metadata = await (await fetch(new URL('/.well-known/openid-configuration', insole.issuer))).json() as Record<string, string[]>;
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      for (const grant of ['password', 'implicit']) assert.ok(!metadata.grant_types_supported.includes(grant), grant);
    });
  });

  describe('signed tokens and discovery', () => {
    test("discovery advertises Auth0's endpoint paths", async () => {
      const metadata = await (await fetch(new URL('/.well-known/openid-configuration', insole.issuer))).json() as Record<string, unknown>;
      const at = (path: string) => `${insole.issuer}${path}`;
      assert.equal(metadata.issuer, insole.issuer);
      assert.equal(metadata.authorization_endpoint, at('/authorize'));
      assert.equal(metadata.token_endpoint, at('/oauth/token'));
      assert.equal(metadata.userinfo_endpoint, at('/userinfo'));
      assert.equal(metadata.jwks_uri, at('/.well-known/jwks.json'));
      assert.equal(metadata.revocation_endpoint, at('/oauth/revoke'));
      assert.equal(metadata.introspection_endpoint, at('/oauth/introspect'));
      assert.equal(metadata.end_session_endpoint, at('/oidc/logout'));
    });

    test('the ID token is RS256, its kid is in the JWKS, and the JWKS holds no private key material', async () => {
      const { tokens } = await signInForTokens(insole.issuer, newShopper(), 'signup');
      const header = decodeProtectedHeader(tokens.id_token!);
      assert.equal(header.alg, 'RS256');
      assert.ok(header.kid);
      const jwks = await (await fetch(new URL('/.well-known/jwks.json', insole.issuer))).json() as { keys: JWK[] };
      const key = jwks.keys.find((k) => k.kid === header.kid);
      assert.ok(key, 'the signing key is published');
      for (const published of jwks.keys) {
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(published[secret as keyof JWK], undefined, `JWKS exposes ${secret}`);
      }
      const { payload } = await jwtVerify(tokens.id_token!, await importJWK(key, 'RS256'), {
        algorithms: ['RS256'], issuer: insole.issuer, audience: STOREFRONT.client_id,
      });
      assert.equal(payload.sub, tokens.claims()!.sub);
    });
  });

  describe('JWT access tokens for an API, verified offline as we document', () => {
    let accessToken: string;
    let jwks: ReturnType<typeof createRemoteJWKSet>;
    const verifyAsDocumented = (token: string) => jwtVerify(token, jwks, { algorithms: ['RS256'], issuer: insole.issuer, audience: TEST_API });

    before(async () => {
      const { tokens } = await signInForTokens(insole.issuer, newShopper(), 'signup', {
        audience: TEST_API, scope: 'openid email offline_access read:orders',
      });
      accessToken = tokens.access_token;
      jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', insole.issuer));
    });

    test('audience=<API> gives an RS256 JWT access token with that audience, and the API scope after the OpenID ones (as Auth0\'s)', async () => {
      assert.equal(accessToken.split('.').length, 3, 'a JWT, not an opaque token');
      const { payload, protectedHeader } = await verifyAsDocumented(accessToken);
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload.aud, TEST_API);
      assert.equal(payload.iss, insole.issuer);
      assert.match(String(payload.sub), /^auth0\|[0-9a-f]{24}$/);
      assert.deepEqual(String(payload.scope).split(' '), ['openid', 'email', 'read:orders']);
    });

    test('the same token is refused for another audience or issuer', async () => {
      await assert.rejects(jwtVerify(accessToken, jwks, { algorithms: ['RS256'], issuer: insole.issuer, audience: 'https://other.example/' }));
      await assert.rejects(jwtVerify(accessToken, jwks, { algorithms: ['RS256'], issuer: 'https://evil.example', audience: TEST_API }));
    });

    test('a token with alg "none" is refused', async () => {
      const [, payload] = accessToken.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: decodeProtectedHeader(accessToken).kid })).toString('base64url');
      await assert.rejects(verifyAsDocumented(`${header}.${payload}.`));
    });

    test('a token signed HS256 with the public key as the HMAC secret is refused (RS/HS confusion)', async () => {
      const { kid } = decodeProtectedHeader(accessToken);
      const published = (await (await fetch(new URL('/.well-known/jwks.json', insole.issuer))).json() as { keys: JWK[] }).keys.find((k) => k.kid === kid)!;
      const publicPem = createPublicKey({ key: published as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const forged = await new SignJWT({ ...decodeJwt(accessToken), scope: 'read:orders write:orders' })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
        .sign(new TextEncoder().encode(String(publicPem)));
      await assert.rejects(verifyAsDocumented(forged));
      // Also with the key pinned rather than fetched.
      await assert.rejects(jwtVerify(forged, await importJWK(published, 'RS256'), { algorithms: ['RS256'] }));
    });

    test('a token whose payload was changed after signing is refused', async () => {
      const [header, , signature] = accessToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...decodeJwt(accessToken), scope: 'read:orders write:orders' })).toString('base64url');
      await assert.rejects(verifyAsDocumented(`${header}.${payload}.${signature}`));
    });

    test('insole itself refuses an id_token_hint signed with alg "none" or HS256 with the public key', async () => {
      const { tokens } = await signInForTokens(insole.issuer, newShopper(), 'signup');
      const real = decodeJwt(tokens.id_token!);
      const { kid } = decodeProtectedHeader(tokens.id_token!);
      const published = (await (await fetch(new URL('/.well-known/jwks.json', insole.issuer))).json() as { keys: JWK[] }).keys.find((k) => k.kid === kid)!;
      const publicPem = createPublicKey({ key: published as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${tokens.id_token!.split('.')[1]}.`;
      const hs256 = await new SignJWT(real).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(String(publicPem)));
      for (const hint of [unsigned, hs256]) {
        const url = new URL('/oidc/logout', insole.issuer);
        url.searchParams.set('id_token_hint', hint);
        url.searchParams.set('post_logout_redirect_uri', STOREFRONT.post_logout_redirect_uri);
        const page = await fetchManual(url.href, { headers: { accept: BROWSER_ACCEPT } });
        assert.equal(page.status, 400);
        assert.equal(page.location, null);
        assert.match(alertText(page.html) ?? '', /id_token_hint/);
      }
    });
  });

  describe('revocation', () => {
    test('a revoked access token is inactive at introspection and refused at /userinfo', async () => {
      const { tokens } = await signInForTokens(insole.issuer, newShopper(), 'signup');
      assert.equal((await introspect(insole.issuer, tokens.access_token)).active, true);
      const revoked = await postBackChannel(insole.issuer, '/oauth/revoke', { token: tokens.access_token, token_type_hint: 'access_token' });
      assert.equal(revoked.status, 200);
      assert.equal((await introspect(insole.issuer, tokens.access_token)).active, false);
      assert.equal(await userinfoStatus(insole.issuer, tokens.access_token), 401);
    });

    test('a revoked refresh token is inactive and can no longer be used', async () => {
      const { tokens } = await signInForTokens(insole.issuer, newShopper(), 'signup');
      const revoked = await postBackChannel(insole.issuer, '/oauth/revoke', { token: tokens.refresh_token!, token_type_hint: 'refresh_token' });
      assert.equal(revoked.status, 200);
      assert.equal((await introspect(insole.issuer, tokens.refresh_token!)).active, false);
      const refresh = await tokenRequest(insole.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      assert.equal(refresh.body.error, 'invalid_grant');
    });
  });

  describe("Auth0's /v2/logout and RP-initiated logout", () => {
    const v2Logout = (query: Record<string, string>) => {
      const url = new URL('/v2/logout', insole.issuer);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      return fetchManual(url.href, { headers: { accept: BROWSER_ACCEPT } });
    };

    test('a registered returnTo is passed on to /oidc/logout as post_logout_redirect_uri (303)', async () => {
      const answer = await v2Logout({ client_id: STOREFRONT.client_id, returnTo: STOREFRONT.post_logout_redirect_uri });
      assert.equal(answer.status, 303);
      const next = new URL(answer.location!, insole.issuer);
      assert.equal(next.origin, insole.issuer);
      assert.equal(next.pathname, '/oidc/logout');
      assert.equal(next.searchParams.get('post_logout_redirect_uri'), STOREFRONT.post_logout_redirect_uri);
      assert.equal(next.searchParams.get('client_id'), STOREFRONT.client_id);
    });

    test('client_id without returnTo returns to the client\'s first logout URL, as Auth0 does (auth0-spa-js\'s logout() sends no returnTo)', async () => {
      const answer = await v2Logout({ client_id: STOREFRONT.client_id });
      assert.equal(answer.status, 303);
      const next = new URL(answer.location!, insole.issuer);
      assert.equal(next.pathname, '/oidc/logout');
      assert.equal(next.searchParams.get('post_logout_redirect_uri'), STOREFRONT.post_logout_redirect_uri);
      assert.equal(next.searchParams.get('client_id'), STOREFRONT.client_id);
      const neither = new URL((await v2Logout({})).location!, insole.issuer);
      assert.equal(neither.search, '', 'without client_id: insole\'s own signed-out page');
    });

    const unregistered = [
      '//evil.example',
      '//evil.example/',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      `${STOREFRONT.post_logout_redirect_uri}evil`,
      `${STOREFRONT.post_logout_redirect_uri}?next=https://evil.example/`,
      `${STOREFRONT.post_logout_redirect_uri}/`,
      STOREFRONT.post_logout_redirect_uri.replace(/\/$/, '?'),
      STOREFRONT.post_logout_redirect_uri.replace(':4999', ':5000'),
      STOREFRONT.post_logout_redirect_uri.replace(':4999/', ':5000'),
      STOREFRONT.post_logout_redirect_uri.replace('127.0.0.1', '127.0.0.1.evil.example'),
      STOREFRONT.redirect_uri, // registered, but as a redirect_uri, not for logout
    ];
    for (const returnTo of unregistered) {
      test(`returnTo=${returnTo} gets a 400 error page, not a redirect`, async () => {
        const answer = await v2Logout({ client_id: STOREFRONT.client_id, returnTo });
        assert.equal(answer.status, 400);
        assert.equal(answer.location, null);
        assert.match(alertText(answer.html) ?? '', /returnTo/);
      });
    }

    test('returnTo without client_id, or with an unknown one, gets a 400 page, not a redirect', async () => {
      const queries: Record<string, string>[] = [{ returnTo: STOREFRONT.post_logout_redirect_uri }, { client_id: 'no-such-client', returnTo: STOREFRONT.post_logout_redirect_uri }];
      for (const query of queries) {
        const answer = await v2Logout(query);
        assert.equal(answer.status, 400);
        assert.equal(answer.location, null);
        assert.ok(alertText(answer.html));
      }
    });

    // The config registers the home page with its slash; the client is registered with both
    // spellings (express-openid-connect sends its baseURL without it). src/config/post-logout-uris.ts
    test('the home page registered with its trailing slash is accepted without it by /v2/logout and /oidc/logout, and logout returns there', async () => {
      const home = STOREFRONT.post_logout_redirect_uri.replace(/\/$/, '');
      const answer = await v2Logout({ client_id: STOREFRONT.client_id, returnTo: home });
      assert.equal(answer.status, 303);
      assert.equal(new URL(answer.location!, insole.issuer).searchParams.get('post_logout_redirect_uri'), home);

      const agent = new UserAgent(insole.issuer);
      const url = new URL('/oidc/logout', insole.issuer);
      url.searchParams.set('client_id', STOREFRONT.client_id);
      url.searchParams.set('post_logout_redirect_uri', home);
      const page = await agent.get(url.href);
      assert.equal(page.res.status, 200);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.res.text())?.[1];
      assert.ok(xsrf, 'the logout form');
      const done = await agent.postForm(new URL('/oidc/logout/confirm', insole.issuer).href, { xsrf, logout: 'yes' });
      assert.equal(done.left, STOREFRONT.post_logout_redirect_uri, 'the home page (the agent reads the Location as a URL: with its "/")');
    });

    test('a client stored with one spelling of its home page (before both were registered) is read with both; other URLs still match exactly, with no redirect', async () => {
      const client_id = `one-spelling-${Date.now()}`;
      await insole.db.collection('oidc_client').insertOne({ _id: client_id as never, payload: {
        client_id, redirect_uris: ['https://legacy.example/callback'], post_logout_redirect_uris: ['https://legacy.example/', 'https://legacy.example/bye'],
        grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none',
      } });
      assert.equal((await v2Logout({ client_id, returnTo: 'https://legacy.example/' })).status, 303, 'the registered spelling');
      assert.equal((await v2Logout({ client_id, returnTo: 'https://legacy.example' })).status, 303, 'the home page\'s other spelling');
      const refused = await v2Logout({ client_id, returnTo: 'https://legacy.example/bye/' });
      assert.equal(refused.status, 400);
      assert.equal(refused.location, null);
      assert.match(alertText(refused.html) ?? '', /match exactly/);

      const url = new URL('/oidc/logout', insole.issuer);
      url.searchParams.set('client_id', client_id);
      url.searchParams.set('post_logout_redirect_uri', 'https://legacy.example/bye/');
      const page = await fetchManual(url.href, { headers: { accept: BROWSER_ACCEPT } });
      assert.equal(page.status, 400);
      assert.equal(page.location, null);
      assert.match(alertText(page.html) ?? '', /post_logout_redirect_uri/);
    });

    test('/oidc/logout itself refuses an unregistered post_logout_redirect_uri without redirecting', async () => {
      const url = new URL('/oidc/logout', insole.issuer);
      url.searchParams.set('client_id', STOREFRONT.client_id);
      for (const target of ['https://evil.example/', `${STOREFRONT.post_logout_redirect_uri}/`, STOREFRONT.post_logout_redirect_uri.replace(':4999/', ':5000')]) {
        url.searchParams.set('post_logout_redirect_uri', target);
        const page = await fetchManual(url.href, { headers: { accept: BROWSER_ACCEPT } });
        assert.equal(page.status, 400, target);
        assert.equal(page.location, null);
        assert.match(alertText(page.html) ?? '', /post_logout_redirect_uri/);
      }
    });
  });
});

describe('an authorization code that has expired', () => {
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole({ ttl: { authorization_code: 1 } }); });
  after(async () => { await insole.stop(); });

  test('is refused with invalid_grant once its (1 s) lifetime has passed', async () => {
    const { request, callback } = await signedInShopper(insole.issuer);
    const code = new URL(callback).searchParams.get('code')!;
    await sleep(2_000);
    const answer = await redeem(insole.issuer, code, request);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_grant');
    assert.equal(answer.body.access_token, undefined);
  });
});

describe('OIDC storage while the database is away', () => {
  test('a model first used while the database is away causes no unhandled rejection (it would end the process); its writes fail, then work once it is back', async () => {
    const connection = await mongoose.createConnection(testDatabaseUri(), { serverSelectionTimeoutMS: 1_000 }).asPromise();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    try {
      const { Adapter } = createMongoStorage(connection, createSealedBox('a test secret of at least 32 characters', 'test'));
      await connection.close(); // the index build of the first use below cannot succeed
      const sessions = new Adapter('Session');
      await assert.rejects(sessions.upsert('s1', { uid: 'u1' } as never, 60));
      await sleep(100); // let a stray rejection surface
      assert.deepEqual(unhandled, []);

      await connection.openUri(testDatabaseUri());
      await sessions.upsert('s2', { uid: 'u2' } as never, 60);
      assert.equal((await sessions.findByUid('u2'))?.uid, 'u2');
      const indexes = await connection.collection('oidc_flow').indexes();
      assert.ok(indexes.some((index) => index.key['payload.uid'] === 1 && index.unique), 'the index build was retried');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await connection.close();
    }
  });
});
