// /userinfo with a JWT access token for an API (a sign-in with Auth0's `audience`), as Auth0 accepts
// it when its scope has `openid`; every other token is refused as before. A real insole on loopback,
// openid-client as the storefront.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWTPayload } from 'jose';
import { loadSigningKeys, signingKeysBox } from '../src/oidc/signing-keys.ts';
import { startTestInsole, STOREFRONT, TEST_API, type TestInsole } from './support/insole.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, oidc, signInForTokens } from './support/relying-party.ts';

const shopper = { email: 'api.userinfo@innovashoes.example', password: 'tempo run along the river' };

/** /userinfo as a browser page or a server would call it: status, headers, body. */
async function userinfo(issuer: string, accessToken: string, origin?: string) {
  const res = await fetch(new URL('/userinfo', issuer), { headers: { authorization: `Bearer ${accessToken}`, ...(origin ? { origin } : {}) } });
  return { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) as Record<string, unknown> | undefined };
}

describe('/userinfo with a JWT access token for an API', () => {
  let insole: TestInsole;
  let config: Awaited<ReturnType<typeof discoverStorefront>>;
  let apiToken: string;
  let refreshToken: string;
  let sub: string;

  before(async () => {
    insole = await startTestInsole();
    const signedUp = await signInForTokens(insole.issuer, shopper, 'signup', { audience: TEST_API, scope: 'openid profile email offline_access read:orders' });
    ({ config } = signedUp);
    apiToken = signedUp.tokens.access_token;
    refreshToken = signedUp.tokens.refresh_token!;
    sub = signedUp.tokens.claims()!.sub;
  });
  after(async () => { await insole.stop(); });

  test("openid-client's fetchUserInfo with it gets the same profile claims as with an opaque token", async () => {
    assert.equal(apiToken.split('.').length, 3, 'a JWT, for the API');
    const withApiToken = await oidc.fetchUserInfo(config, apiToken, sub);
    assert.equal(withApiToken.email, shopper.email);
    assert.equal(withApiToken.nickname, 'api.userinfo');
    assert.equal(typeof withApiToken.updated_at, 'number');

    // A sign-in without audience: an opaque token (and the profile's updated_at moves, so both are asked after it).
    const { tokens } = await signInForTokens(insole.issuer, shopper);
    assert.equal(tokens.access_token.split('.').length, 1);
    assert.deepEqual(await oidc.fetchUserInfo(config, apiToken, sub), await oidc.fetchUserInfo(config, tokens.access_token, sub));
  });

  test("its scope names the sign-in's OpenID scopes before the API's, as Auth0's does; its audience is the API's alone", () => {
    const payload = decodeJwt(apiToken);
    assert.equal(payload.aud, TEST_API);
    assert.deepEqual(String(payload.scope).split(' ').sort(), ['email', 'openid', 'profile', 'read:orders']);
  });

  test('a token for the API from the refresh token is accepted too', async () => {
    const refreshed = await oidc.refreshTokenGrant(config, refreshToken);
    assert.equal(decodeJwt(refreshed.access_token).aud, TEST_API);
    assert.equal((await oidc.fetchUserInfo(config, refreshed.access_token, sub)).email, shopper.email);
  });

  test('only the claims of the scopes the sign-in asked for, and nothing without openid', async () => {
    const { tokens } = await signInForTokens(insole.issuer, shopper, 'login', { audience: TEST_API, scope: 'openid read:orders' });
    assert.deepEqual(await oidc.fetchUserInfo(config, tokens.access_token, sub), { sub });

    // The store's grant already has openid from the sign-ins above: the token alone says what this one asked for.
    const request = await buildAuthorization(config, { audience: TEST_API, scope: 'read:orders' });
    const url = new URL(request.url);
    url.searchParams.delete('nonce'); // plain OAuth 2.0, no ID token: a nonce needs openid
    const { callback } = await completeAuthorization(insole.issuer, { ...request, url: url.href }, shopper);
    const apiOnly = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state });
    assert.equal(decodeJwt(apiOnly.access_token).scope, 'read:orders');
    const refused = await userinfo(insole.issuer, apiOnly.access_token);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate')!, /error="invalid_token"/);
  });

  test('a token for another audience, expired, tampered with, without openid, or not an access token is refused as before', async () => {
    const [key] = await loadSigningKeys(insole.connection, signingKeysBox(insole.config));
    const privateKey = await importJWK(key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const valid = { iss: insole.issuer, aud: TEST_API, sub, client_id: STOREFRONT.client_id, scope: 'openid email read:orders', iat: now, exp: now + 300, jti: 'made-here' };
    const sign = (payload: JWTPayload, typ = 'at+jwt') => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ, kid: key.kid }).sign(privateKey);

    const control = await userinfo(insole.issuer, await sign(valid));
    assert.equal(control.status, 200, 'made with our key and right in every way, it is accepted');
    assert.deepEqual(control.body, { sub, email: shopper.email, email_verified: false });

    const [header, , signature] = apiToken.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(apiToken), sub: 'auth0|someone-else' })).toString('base64url')}.${signature}`;
    const refused = {
      'another audience': await sign({ ...valid, aud: 'https://other.example/' }),
      'the Management API': await sign({ ...valid, aud: `${insole.issuer}/api/v2/` }),
      expired: await sign({ ...valid, iat: now - 600, exp: now - 300 }),
      'another issuer': await sign({ ...valid, iss: 'https://evil.example' }),
      'no openid': await sign({ ...valid, scope: 'email read:orders' }),
      'an unknown client': await sign({ ...valid, client_id: 'nobody' }),
      'an unknown user': await sign({ ...valid, sub: 'auth0|000000000000000000000000' }),
      'an ID token (typ JWT)': await sign(valid, 'JWT'),
      tampered,
    };
    assert.equal(decodeProtectedHeader(tampered).kid, key.kid);
    for (const [what, token] of Object.entries(refused)) {
      const answer = await userinfo(insole.issuer, token);
      assert.equal(answer.status, 401, what);
      assert.match(answer.headers.get('www-authenticate')!, /^Bearer realm=".*", error="invalid_token"/, what);
    }
  });

  test("CORS as oidc-provider's userinfo: the storefront's origin is allowed, another site's is not", async () => {
    const storefront = new URL(STOREFRONT.redirect_uri).origin;
    const allowed = await userinfo(insole.issuer, apiToken, storefront);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), storefront);
    assert.equal(allowed.headers.get('cache-control'), 'no-store');

    const other = await userinfo(insole.issuer, apiToken, 'https://evil.example');
    assert.notEqual(other.status, 200);
    assert.equal(other.body?.sub, undefined);
  });
});
