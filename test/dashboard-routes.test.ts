import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Request, Response } from 'express';
import request from 'supertest';
import { createDashboardCsrf } from '../src/http/middleware/csrf.ts';
import { createSessionCookies, type DashboardSession } from '../src/dashboard/session/session-cookie.ts';
import { composeTestInsole, startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';

/** Whom the sessions below name: a dashboard admin (each page reads where its user stands now). */
const BOSS = { user_id: 'auth0|boss', email: 'boss@innovashoes.example', email_verified: true, blocked: false, app_metadata: { roles: ['admin'] }, created_at: new Date('2026-01-05T00:00:00Z') };

/** An unsigned JWT-shaped token: the dashboard only reads claims from tokens it sealed itself. */
const token = (claims: object) => ['{"alg":"none"}', JSON.stringify(claims)].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.';

/** The cookie a response would set, as `name=value`. */
function captureCookies(run: (res: Response) => void): string[] {
  const set: string[] = [];
  run({ cookie: (name: string, value: string) => { set.push(`${name}=${value}`); } } as unknown as Response);
  return set;
}

/**
 * The BFF's refusals at route level (supertest on the composed app, nothing listening): no session,
 * an expired one, a forged one, a post without its CSRF token, a sign-in callback this browser did not start.
 */
describe('dashboard routes refuse what they must', () => {
  let composed: Awaited<ReturnType<typeof composeTestInsole>>;
  let cookies: ReturnType<typeof createSessionCookies>;
  const session = (over: Partial<DashboardSession> = {}): DashboardSession => ({
    sid: 'test-sid-0123456789', access_token: token({ sub: 'auth0|boss', scope: 'read:reports read:logs' }), who: { sub: 'auth0|boss', email: 'boss@innovashoes.example' },
    expires_at: Math.floor(Date.now() / 1000) + 600, ...over,
  });
  const cookieOf = (s: DashboardSession) => captureCookies((res) => cookies.writeSession(res, s, 600))[0];
  /** A genuine CSRF token and cookie for the session `sid`. */
  function csrfFor(sid: string) {
    const csrf = createDashboardCsrf(composed.config, () => sid);
    let value = '';
    const set = captureCookies((res) => { value = csrf.generateCsrfToken({ cookies: {}, headers: {} } as unknown as Request, res); });
    return { value, cookie: set[0] };
  }

  before(async () => {
    composed = await composeTestInsole();
    cookies = createSessionCookies(composed.config);
    await composed.db.collection('users').insertOne(BOSS); // the pages follow the session's user as they stand now
  });
  after(() => composed.close());

  test('no session: a page sends the browser to sign in and back; a script, the live stream and a post are told 401 or 403', async () => {
    const page = await request(composed.app).get('/admin/segments?start=pre-order').set('accept', 'text/html');
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, `/admin/login?return_to=${encodeURIComponent('/admin/segments?start=pre-order')}`);
    const live = await request(composed.app).get('/admin/live').set('accept', 'text/event-stream');
    assert.equal(live.status, 401);
    assert.equal(live.body.error, 'login_required');
    const post = await request(composed.app).post('/admin/segments/preview').set('accept', 'application/json').send({ gender: 'male' });
    assert.equal(post.status, 403, 'the CSRF check comes first');
    assert.equal(post.body.error, 'invalid_csrf_token');
  });

  test('an expired session without a refresh token is over: cleared, and the browser sent to sign in; a post with a genuine CSRF token is a 401', async () => {
    const expired = session({ expires_at: Math.floor(Date.now() / 1000) - 5 });
    const res = await request(composed.app).get('/admin').set('accept', 'text/html').set('cookie', cookieOf(expired));
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /^\/admin\/login\?return_to=%2Fadmin$/);
    assert.ok((res.headers['set-cookie'] as unknown as string[]).some((line) => /^insole\.dashboard=;/.test(line)), 'the session cookie is cleared');
    const csrf = csrfFor(expired.sid);
    const post = await request(composed.app).post('/admin/segments/pre-order').set('accept', 'text/html')
      .set('cookie', [cookieOf(expired), csrf.cookie].join('; ')).type('form').send({ _csrf: csrf.value });
    assert.equal(post.status, 401);
    assert.match(post.text, /session has ended/);
  });

  test('CSRF: a live session posting without a token, with another session\'s token, or with a made-up one is refused and nothing is called', async () => {
    const live = session();
    const other = csrfFor('another-session-sid');
    const own = csrfFor(live.sid);
    for (const [label, field, cookie] of [['no token', undefined, own.cookie], ['another session\'s', other.value, other.cookie], ['made up', 'x'.repeat(64), own.cookie]] as const) {
      const res = await request(composed.app).post('/admin/users/auth0%7C1/block').set('accept', 'text/html')
        .set('cookie', [cookieOf(live), cookie].join('; ')).type('form').send(field ? { _csrf: field } : {});
      assert.equal(res.status, 403, label);
      assert.match(res.text, /This form has expired/, label);
    }
    // With its own token the post gets past CSRF and the session check, to the Management API (which is not listening here).
    const res = await request(composed.app).post('/admin/users/auth0%7C1/block').set('accept', 'text/html').set('cookie', [cookieOf(live), own.cookie].join('; ')).type('form').send({ _csrf: own.value });
    assert.equal(res.status, 502);
    assert.match(res.text, /Management API did not answer/);
  });

  test('a tampered session cookie, one with a truncated tag, or a sign-in cookie passed off as a session, is no session', async () => {
    const genuine = cookieOf(session()).split('=')[1];
    const flipped = `${genuine.slice(0, -3)}${genuine.at(-3) === 'A' ? 'B' : 'A'}${genuine.slice(-2)}`;
    // iv.tag.data: the genuine cookie with its 16-byte GCM tag cut to 4 bytes (which Node would accept unless told the length).
    const [iv, tag, data] = genuine.split('.');
    const truncated = [iv, Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url'), data].join('.');
    const flow = captureCookies((res) => cookies.writeFlows(res, [{ state: 's', nonce: 'n', verifier: 'v', return_to: '/admin', started_at: Date.now() }]))[0].split('=')[1];
    for (const value of [flipped, truncated, flow, 'garbage']) {
      const res = await request(composed.app).get('/admin').set('accept', 'text/html').set('cookie', `insole.dashboard=${value}`);
      assert.equal(res.status, 303, value.slice(0, 20));
      assert.match(res.headers.location, /^\/admin\/login/);
    }
  });

  test('a user whose token carries no scope gets the 403 page naming them and how to get access', async () => {
    const res = await request(composed.app).get('/admin').set('accept', 'text/html').set('cookie', cookieOf(session({ access_token: token({ sub: 'auth0|nobody' }) })));
    assert.equal(res.status, 403);
    assert.match(res.text, /signed in as <strong>boss@innovashoes\.example<\/strong>, which has no dashboard role/);
    assert.match(res.text, /users grant-admin --email boss@innovashoes\.example/);
    assert.match(res.text, /one of these roles: admin, marketing \(in/, 'the configured roles, not the user\'s own (none)');
    assert.match(res.text, /# or add --role marketing/);
  });

  test('the callback refuses a state this browser did not start, and an error from insole is shown, not followed', async () => {
    const none = await request(composed.app).get('/admin/callback?code=abc&state=xyz').set('accept', 'text/html');
    assert.equal(none.status, 400);
    assert.match(none.text, /started too long ago, or not in this browser/);
    const flow = captureCookies((res) => cookies.writeFlows(res, [{ state: 'good', nonce: 'n', verifier: 'v', return_to: '/admin/users', started_at: Date.now() }]))[0];
    const wrong = await request(composed.app).get('/admin/callback?code=abc&state=evil').set('cookie', flow);
    assert.equal(wrong.status, 400);
    const denied = await request(composed.app).get('/admin/callback?state=good&error=access_denied&error_description=No+way').set('cookie', flow);
    assert.equal(denied.status, 400);
    assert.match(denied.text, /No way/);
  });

  test('sign-ins in flight: the newest four are kept, none older than ten minutes, each found by its state', () => {
    const flow = (state: string, startedAt = Date.now()) => ({ state, nonce: 'n', verifier: 'v', return_to: '/admin', started_at: startedAt });
    const read = (flows: ReturnType<typeof flow>[]) => {
      const [cookie] = captureCookies((res) => cookies.writeFlows(res, flows));
      return cookies.readFlows({ cookies: { [cookies.names.flow]: cookie.slice(cookie.indexOf('=') + 1) } } as unknown as Request).map((f) => f.state);
    };
    assert.deepEqual(read(['f', 'e', 'd', 'c', 'b', 'a'].map((state) => flow(state))), ['f', 'e', 'd', 'c']);
    assert.deepEqual(read([flow('new'), flow('old', Date.now() - 601_000)]), ['new']);
  });

  test('Back to the callback right after signing in (its flow cookie spent) goes to the dashboard, not to "Sign-in expired"', async () => {
    const res = await request(composed.app).get('/admin/callback?code=abc&state=xyz').set('accept', 'text/html').set('cookie', cookieOf(session()));
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin');
  });

  test('a session too large for a browser cookie is refused rather than silently dropped; an ID token too large to keep is left out', async () => {
    assert.throws(() => cookieOf(session({ access_token: token({ sub: 'auth0|boss', scope: 'x'.repeat(4000) }) })), /over the 4000 browsers keep/);
    // Long names, a long picture URL or rules' claims make an ID token this big: the session works without it.
    const kept = cookieOf(session({ id_token: 'x'.repeat(4000) }));
    const res = await request(composed.app).get('/admin/users').set('accept', 'text/html').set('cookie', kept);
    assert.equal(res.status, 200);
    assert.match(res.text, /Signed in as <strong>boss@innovashoes\.example<\/strong>/);
    const read = cookies.readSession({ cookies: { [cookies.names.session]: kept.slice(kept.indexOf('=') + 1) } } as unknown as Request);
    assert.deepEqual([read?.who, read?.id_token], [{ sub: 'auth0|boss', email: 'boss@innovashoes.example' }, undefined]);
  });
});

/** Against a running insole, so what the dashboard's calls reach is seen, not assumed. */
describe('the dashboard and a running insole: bad ids and bad callbacks are 400s', () => {
  // The session's token has delete:users (a role an operator may configure); the dashboard offers no delete.
  const TOKEN_SOURCE = { client_id: 'dots-admin', client_secret: 'dots-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'delete:users'] };
  let insole: TestInsole;
  let admin: string;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(TOKEN_SOURCE)] });
    admin = (await managementToken(insole, TOKEN_SOURCE)).access_token;
    await insole.db.collection('users').insertOne({ ...BOSS });
  });
  after(() => insole.stop());

  // Ids from the browser go into Management API paths. encodeURIComponent leaves "." and ".." as they
  // are, and the URL resolves them: the unlink form could aim its DELETE at /users/{id} itself.
  test('unlinking "provider ..", "identity ." is a 400 and the user is still there', async () => {
    const created = await api(insole, admin, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'dots@innovashoes.example', password: 'a long enough secret', verify_email: false });
    assert.equal(created.status, 201);
    const id = created.body.user_id as string;

    const session: DashboardSession = { sid: 'dots-sid-0123456789', access_token: admin, who: { sub: 'auth0|boss', email: 'boss@innovashoes.example' }, expires_at: Math.floor(Date.now() / 1000) + 600 };
    const sessionCookie = captureCookies((res) => createSessionCookies(insole.config).writeSession(res, session, 600))[0];
    const csrf = createDashboardCsrf(insole.config, () => session.sid);
    let csrfValue = '';
    const csrfCookie = captureCookies((res) => { csrfValue = csrf.generateCsrfToken({ cookies: {}, headers: {} } as unknown as Request, res); })[0];

    const res = await fetch(`${insole.issuer}/admin/users/${encodeURIComponent(id)}/unlink`, {
      method: 'POST', redirect: 'manual',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: `${sessionCookie}; ${csrfCookie}` },
      body: new URLSearchParams({ provider: '..', identity_user_id: '.', _csrf: csrfValue }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /An id cannot be/);
    assert.equal((await api(insole, admin, 'GET', `/users/${encodeURIComponent(id)}`)).status, 200, 'not deleted');
  });

  test('a callback with a code insole never issued, or without one, is a 400 page offering to sign in again, not a 500', async () => {
    const flow = captureCookies((res) => createSessionCookies(insole.config).writeFlows(res, [{ state: 'good', nonce: 'n', verifier: 'v'.repeat(43), return_to: '/admin/users', started_at: Date.now() }]))[0];
    for (const query of [`code=made-up&state=good&iss=${encodeURIComponent(insole.issuer)}`, 'code=made-up&state=good&iss=https%3A%2F%2Fevil.example', 'state=good']) {
      const res = await fetch(`${insole.issuer}/admin/callback?${query}`, { headers: { accept: 'text/html', cookie: flow }, redirect: 'manual' });
      assert.equal(res.status, 400, query);
      const page = await res.text();
      assert.match(page, /This sign-in could not be completed/, query);
      assert.match(page, /href="\/admin\/login\?return_to=%2Fadmin%2Fusers"/, query);
    }
  });
});
