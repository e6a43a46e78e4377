import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { dashboardClient } from '../src/oidc/dashboard-client.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { oidc, signInForTokens } from './support/relying-party.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const ADMIN = { client_id: 'dash-admin', client_secret: 'dash-admin-secret-0123456789abcdef', scopes: ['create:users', 'update:users', 'read:users', 'create:role_members'] };

/**
 * The dashboard signs admins in through insole itself and calls the Management API with the
 * admin's own token: only its built-in client may ask for one, and the scopes are the user's roles'.
 */
describe('Management API tokens on behalf of a signed-in user (the dashboard)', () => {
  let insole: TestInsole;
  let m2m: string;
  before(async () => {
    insole = await startTestInsole({
      clients: [m2mClientConfig(ADMIN), { client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'] }],
      dashboard: { admins: ['boss@innovashoes.example'] },
    });
    m2m = (await managementToken(insole, ADMIN)).access_token;
  });
  after(() => insole.stop());

  /** The dashboard's code flow, up to its callback (which insole itself will serve). */
  async function dashboardSignIn(email: string, password: string, scope = 'read:users update:users read:reports') {
    const client = dashboardClient(insole.config);
    const config = await oidc.discovery(new URL(insole.issuer), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: client.redirect_uris[0], scope: `openid email profile ${scope}`, audience: `${insole.issuer}/api/v2/`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'dash-state',
    });
    const agent = new UserAgent(insole.issuer);
    const page = await agent.get(url.href);
    const form = readForm(await page.res.text());
    let res = await agent.request(new URL(form.action, insole.issuer).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email, password, _csrf: form.csrf }).toString() });
    let location = res.headers.get('location')!;
    while (!location.startsWith(client.redirect_uris[0])) {
      res = await agent.request(new URL(location, insole.issuer).href);
      location = res.headers.get('location')!;
      assert.ok(location, `HTTP ${res.status} on the way back`);
    }
    const tokens = await oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedState: 'dash-state' });
    return tokens;
  }

  const createUser = (email: string, extra: object = {}) => api(insole, m2m, 'POST', '/users', {
    connection: 'Username-Password-Authentication', email, password: 'dashboard secret words', email_verified: true, verify_email: false, ...extra,
  });

  test('a user without a role gets a token without scopes: the Management API refuses it', async () => {
    await createUser('shopper.dash@innovashoes.example');
    const tokens = await dashboardSignIn('shopper.dash@innovashoes.example', 'dashboard secret words');
    assert.equal(decodeJwt(tokens.access_token).scope, undefined);
    assert.equal((await api(insole, tokens.access_token, 'GET', '/users')).status, 403);
  });

  test('an admin (app_metadata.roles) gets the admin role\'s scopes it asked for, and uses them', async () => {
    await createUser('admin.dash@innovashoes.example', { app_metadata: { roles: ['admin'] } });
    const tokens = await dashboardSignIn('admin.dash@innovashoes.example', 'dashboard secret words');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, `${insole.issuer}/api/v2/`);
    assert.deepEqual(String(claims.scope).split(' ').sort(), ['read:reports', 'read:users', 'update:users']);
    assert.equal((await api(insole, tokens.access_token, 'GET', '/users?per_page=1')).status, 200);
    assert.equal((await api(insole, tokens.access_token, 'GET', '/logs')).status, 403, 'read:logs was not asked for');
  });

  test('the marketing role reads but does not update users; an email in dashboard.admins is admin once verified', async () => {
    await createUser('marketer.dash@innovashoes.example', { app_metadata: { roles: ['marketing'] } });
    const marketer = decodeJwt((await dashboardSignIn('marketer.dash@innovashoes.example', 'dashboard secret words')).access_token);
    assert.deepEqual(String(marketer.scope).split(' ').sort(), ['read:reports', 'read:users']);
    await createUser('boss@innovashoes.example');
    const boss = decodeJwt((await dashboardSignIn('boss@innovashoes.example', 'dashboard secret words')).access_token);
    assert.ok(String(boss.scope).includes('update:users'));
  });

  test('the default admin role reads the roles and who holds them (read:roles, read:role_members), but gives and takes none; marketing reads neither', async () => {
    const admin = await dashboardSignIn('admin.dash@innovashoes.example', 'dashboard secret words', 'read:users read:roles read:role_members create:role_members');
    assert.deepEqual(String(decodeJwt(admin.access_token).scope).split(' ').sort(), ['read:role_members', 'read:roles', 'read:users']);
    const holders = await api(insole, admin.access_token, 'GET', '/roles/admin/users');
    assert.equal(holders.status, 200);
    assert.ok(holders.body.some((u: { email: string }) => u.email === 'admin.dash@innovashoes.example'));
    const self = holders.body.find((u: { email: string }) => u.email === 'admin.dash@innovashoes.example');
    assert.deepEqual((await api(insole, admin.access_token, 'GET', `/users/${encodeURIComponent(self.user_id)}/roles`)).body.map((r: { id: string }) => r.id), ['admin']);
    assert.equal((await api(insole, admin.access_token, 'DELETE', `/users/${encodeURIComponent(self.user_id)}/roles`, { roles: ['admin'] })).status, 403);
    const marketer = await dashboardSignIn('marketer.dash@innovashoes.example', 'dashboard secret words', 'read:users read:roles read:role_members');
    assert.deepEqual(String(decodeJwt(marketer.access_token).scope).split(' '), ['read:users']);
  });

  test('no other client may ask for the Management API on behalf of a user', async () => {
    await assert.rejects(
      signInForTokens(insole.issuer, { email: 'admin.dash@innovashoes.example', password: 'dashboard secret words' }, 'login', { audience: `${insole.issuer}/api/v2/` }),
      (err: { error?: string; error_description?: string }) => err.error === 'invalid_target' && /not allowed to call the Management API/.test(err.error_description ?? ''),
    );
  });
});
