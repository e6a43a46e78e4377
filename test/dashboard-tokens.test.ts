import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { dashboardClientOf } from './support/dashboard.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { STANDING_TTL_MS } from '../src/users/role-standing.ts';
import { until } from './support/hooks.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { oidc, signInForTokens } from './support/relying-party.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const ADMIN = { client_id: 'dash-admin', client_secret: 'dash-admin-secret-0123456789abcdef', scopes: ['create:users', 'update:users', 'read:users', 'delete:users', 'create:role_members', 'delete:role_members'] };

/**
 * The dashboard signs admins in through insole itself and calls the Management API with the
 * admin's own token: only its built-in client may ask for one, and the scopes are the user's roles'.
 */
describe('Management API tokens on behalf of a signed-in user (the dashboard)', () => {
  let insole: TestInsole;
  let m2m: string;
  before(async () => {
    const uri = new URL(testDatabaseUri());
    uri.searchParams.set('monitorCommands', 'true'); // the burst test counts the reads of a user
    insole = await startTestInsole({
      clients: [m2mClientConfig(ADMIN), { client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'] }],
      dashboard: { admins: ['boss@innovashoes.example'] },
    }, uri.href);
    m2m = (await managementToken(insole, ADMIN)).access_token;
  });
  after(() => insole.stop());

  /** The dashboard's code flow, up to its callback (which insole itself will serve). */
  async function dashboardSignIn(email: string, password: string, scope = 'read:users update:users read:reports') {
    const client = await dashboardClientOf(insole);
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

  test('a burst of requests with one user token reads its user once', async () => {
    const { body: user } = await createUser('burst.dash@innovashoes.example', { app_metadata: { roles: ['admin'] } });
    const token = (await dashboardSignIn('burst.dash@innovashoes.example', 'dashboard secret words')).access_token;
    const reads: unknown[] = [];
    const count = (event: { commandName: string; command: Record<string, unknown> }) => {
      if (event.commandName === 'find' && event.command.find === 'users' && (event.command.filter as { user_id?: unknown })?.user_id === user.user_id) reads.push(event.command);
    };
    insole.connection.getClient().on('commandStarted', count);
    try {
      const answers = await Promise.all(Array.from({ length: 9 }, () => api(insole, token, 'GET', '/users?per_page=1')));
      assert.deepEqual(answers.map((a) => a.status), Array(9).fill(200));
    } finally {
      insole.connection.getClient().off('commandStarted', count);
    }
    assert.equal(reads.length, 1, 'the dashboard asks up to nine things at once for a page: one read of its user');
  });

  test('a user blocked, deleted, stripped of a role, or whose dashboard.admins address is no longer verified loses the token within seconds, not at its expiry', async () => {
    const cases = [
      { email: 'blocked.dash@innovashoes.example', change: (id: string) => api(insole, m2m, 'PATCH', `/users/${encodeURIComponent(id)}`, { blocked: true }), status: 401, message: 'The user this token was issued to is blocked.' },
      { email: 'deleted.dash@innovashoes.example', change: (id: string) => api(insole, m2m, 'DELETE', `/users/${encodeURIComponent(id)}`), status: 401, message: 'The user this token was issued to no longer exists.' },
      { email: 'demoted.dash@innovashoes.example', change: (id: string) => api(insole, m2m, 'PATCH', `/users/${encodeURIComponent(id)}`, { app_metadata: { roles: ['marketing'] } }), status: 403, message: /^Insufficient scope, expected any of: update:users\. The token carries it, but its user no longer holds a dashboard role that gives it/, remains: 200 },
      { email: 'boss@innovashoes.example', change: (id: string) => api(insole, m2m, 'PATCH', `/users/${encodeURIComponent(id)}`, { email_verified: false }), status: 403, message: /^Insufficient scope, expected any of: update:users\. The token carries it/, remains: 403 },
    ];
    const { body: target } = await createUser('target.dash@innovashoes.example');
    await Promise.all(cases.map(async ({ email, change, status, message, remains }) => {
      const { body: user } = email.startsWith('boss') ? await api(insole, m2m, 'GET', `/users-by-email?email=${email}`).then((r) => ({ body: r.body[0] }))
        : await createUser(email, { app_metadata: { roles: ['admin'] } });
      const token = (await dashboardSignIn(email, 'dashboard secret words')).access_token;
      // A write the token's scopes allow, to another user, as the dashboard's "Block" would send it.
      const write = () => api(insole, token, 'PATCH', `/users/${encodeURIComponent(target.user_id)}`, { user_metadata: { [email.split('@')[0].replace('.', '_')]: true } });
      assert.equal((await write()).status, 200, email);
      assert.ok([200, 204].includes((await change(user.user_id)).status), email);
      const changed = Date.now();
      const refused = await until(`${email} refused`, async () => { const res = await write(); return res.status !== 200 && res; }, STANDING_TTL_MS + 5000);
      assert.ok(Date.now() - changed <= STANDING_TTL_MS + 1000, `${email}: refused ${Date.now() - changed} ms after the change`);
      assert.equal(refused.status, status, email);
      assert.equal(refused.body.errorCode, status === 401 ? 'invalid_token' : 'insufficient_scope', email);
      if (typeof message === 'string') assert.equal(refused.body.message, message, email);
      else assert.match(refused.body.message, message, email);
      // Marketing still reads users; the unverified boss holds no role at all any more.
      if (remains) assert.equal((await api(insole, token, 'GET', '/users?per_page=1')).status, remains, `${email}: what the remaining role gives, and only that`);
    }));
    assert.equal((await api(insole, m2m, 'GET', '/users?per_page=1')).status, 200, 'a client_credentials token is its client\'s, not a user\'s: untouched');
  });
});
