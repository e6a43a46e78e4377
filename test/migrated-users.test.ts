import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { signInForTokens } from './support/relying-party.ts';
import { readForm, UserAgent } from './support/user-agent.ts';
import { exportThroughApi, finishedJob, JOBS_SETTINGS } from './support/user-jobs.ts';
import { assertMatchesOpenApi } from './support/openapi-check.ts';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';

const ADMIN = { client_id: 'backoffice', client_secret: 'backoffice-secret-0123456789abcdef', scopes: ['read:users', 'update:users', 'read:reports'] };
const PASSWORD = 'migrated-shopper-2026';

/**
 * What a store's own migration script writes (DESIGN: the Auth0-shaped profile in MongoDB): the
 * required user_id and created_at, an email and a bcrypt hash, and none of the optional arrays,
 * objects and counters (identities, blocked_for, user_metadata, app_metadata, logins_count, updated_at).
 */
const bare = (id: string, email: string) => ({
  user_id: `auth0|${id}`, email, created_at: new Date('2025-03-01T10:00:00Z'),
  password_hash: bcrypt.hashSync(PASSWORD, 4),
});

describe('users written straight into MongoDB without the optional fields', () => {
  let insole: TestInsole;
  let token: string;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN), {
      client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'],
    }], admin_api: JOBS_SETTINGS() });
    await insole.db.collection('users').insertMany([bare('mig1', 'mig1@innovashoes.example'), bare('mig2', 'mig2@innovashoes.example')]);
    token = (await managementToken(insole, ADMIN)).access_token;
  });
  after(() => insole.stop());

  test('GET /users/{id} reads missing arrays and objects as empty, logins_count as 0, updated_at as created_at', async () => {
    const res = await api(insole, token, 'GET', `/users/${encodeURIComponent('auth0|mig1')}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      { identities: res.body.identities, blocked_for: res.body.blocked_for, user_metadata: res.body.user_metadata, app_metadata: res.body.app_metadata },
      { identities: [], blocked_for: [], user_metadata: {}, app_metadata: {} },
    );
    assert.equal(res.body.logins_count, 0);
    assert.equal(res.body.email_verified, false);
    assert.equal(res.body.updated_at, '2025-03-01T10:00:00.000Z');
    const doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    assertMatchesOpenApi(doc, 'GET', '/users/auth0%7Cmig1', res.status, res.body);
  });

  test('listing and searching show them', async () => {
    const res = await api(insole, token, 'GET', `/users?q=${encodeURIComponent('email.domain:innovashoes.example')}&sort=user_id:1`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.map((u: { user_id: string }) => u.user_id), ['auth0|mig1', 'auth0|mig2']);
    assert.deepEqual(res.body[1].blocked_for, []);
  });

  test('the segment preview shows them in its sample, as profiles', async () => {
    const res = await api(insole, token, 'POST', '/reports/segments/preview', { q: 'email.domain:innovashoes.example' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.count, 2);
    assert.deepEqual(res.body.sample.map((u: { identities: unknown }) => u.identities), [[], []]);
  });

  test('PATCH merges metadata into the missing object', async () => {
    const res = await api(insole, token, 'PATCH', `/users/${encodeURIComponent('auth0|mig2')}`, { user_metadata: { shoe_size: 44 } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.user_metadata, { shoe_size: 44 });
    assert.deepEqual(res.body.identities, []);
  });

  test('an NDJSON export with the default fields carries them, with blocked_for named too', async () => {
    const named = await exportThroughApi(insole, token, { format: 'json', fields: [{ name: 'user_id' }, { name: 'blocked_for' }] });
    assert.match(named.text, /"user_id":"auth0\|mig1","blocked_for":\[\]/);
    const { text } = await exportThroughApi(insole, token, { format: 'json' });
    const rows = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(rows.map((row) => row.user_id).sort(), ['auth0|mig1', 'auth0|mig2']);
    const mig1 = rows.find((row) => row.user_id === 'auth0|mig1')!;
    assert.deepEqual([mig1.identities, mig1.app_metadata, mig1.logins_count], [[], {}, 0]);
  });

  test('the migrated user signs in with its password, and the login is counted', async () => {
    const { tokens } = await signInForTokens(insole.issuer, { email: 'mig1@innovashoes.example', password: PASSWORD });
    assert.equal(tokens.claims()?.sub, 'auth0|mig1');
    const res = await api(insole, token, 'GET', `/users/${encodeURIComponent('auth0|mig1')}`);
    assert.equal(res.body.logins_count, 1);
  });

  test('a user without created_at is refused with a message naming it and the field, not a bare server error; an export fails saying so', async () => {
    await insole.db.collection('users').insertOne({ user_id: 'auth0|undated', email: 'undated@outlet.example' });
    const res = await api(insole, token, 'GET', `/users/${encodeURIComponent('auth0|undated')}`);
    assert.equal(res.status, 500);
    assert.equal(res.body.errorCode, 'invalid_stored_user');
    assert.match(res.body.message, /auth0\|undated has no created_at \(a BSON date\)/);
    const doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    assertMatchesOpenApi(doc, 'GET', '/users/auth0%7Cundated', res.status, res.body);
    // An export meeting it fails at once, saying so, rather than retrying or leaving the user out.
    const created = await api(insole, token, 'POST', '/jobs/users-exports', { format: 'json' });
    const job = await finishedJob(insole, token, created.body.id);
    assert.equal(job.status, 'failed');
    assert.match(String(job.status_details), /auth0\|undated has no created_at/);
  });

  test('a user stored without created_at signs in: it is dated by its ObjectId _id, and that date stored for every reader', async () => {
    const email = 'undated.signin@outlet.example';
    const { insertedId } = await insole.db.collection('users').insertOne({ user_id: 'auth0|undated-signin', email, password_hash: bcrypt.hashSync(PASSWORD, 4) });
    const { tokens } = await signInForTokens(insole.issuer, { email, password: PASSWORD });
    assert.equal(tokens.claims()?.sub, 'auth0|undated-signin');
    const stored = await insole.db.collection('users').findOne({ _id: insertedId });
    assert.deepEqual(stored?.created_at, insertedId.getTimestamp());
    assert.equal(stored?.logins_count, 1);
    const res = await api(insole, token, 'GET', `/users/${encodeURIComponent('auth0|undated-signin')}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.created_at, insertedId.getTimestamp().toISOString());
  });

  test('a password reset for a user stored without created_at gets the page any address gets, not a server error', async () => {
    const email = 'undated.reset@outlet.example';
    await insole.db.collection('users').insertOne({
      user_id: 'auth0|undated-reset', email, password_hash: bcrypt.hashSync(PASSWORD, 4),
      identities: [{ provider: 'auth0', user_id: 'undated-reset', connection: 'Username-Password-Authentication', isSocial: false }],
    });
    const reset = async (address: string) => {
      const agent = new UserAgent(insole.issuer);
      const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
      const answer = await agent.postForm(`${insole.issuer}/password/reset`, { email: address, _csrf: csrf });
      return { status: answer.res.status, text: (await answer.res.text()).replaceAll(address, 'ADDRESS') };
    };
    const [known, unknown] = [await reset(email), await reset('nobody.here@outlet.example')];
    assert.equal(known.status, 200, known.text.slice(0, 400));
    assert.deepEqual(known, unknown);
    assert.ok((await insole.db.collection('users').findOne({ email }))?.created_at instanceof Date);
  });

  test('a user whose created_at is no date gets the wrong-password answer, as an unknown email does; the Management API still names it', async () => {
    const email = 'unreadable@outlet.example';
    await insole.db.collection('users').insertOne({ user_id: 'auth0|unreadable', email, created_at: 'last Tuesday', password_hash: bcrypt.hashSync(PASSWORD, 4) });
    const signIn = (address: string) => signInForTokens(insole.issuer, { email: address, password: PASSWORD }).then(() => 'signed in', (err: Error) => err.message);
    const [answer, unknown] = [await signIn(email), await signIn('nobody.here@outlet.example')];
    // The sign-in page again, with the status an unknown email gets (the helper shows its first 400 characters).
    assert.match(unknown, /^sign-in did not complete \(HTTP 401\): .*<title>Sign in/s);
    assert.equal(answer, unknown);
    assert.doesNotMatch(answer, /unreadable|invalid_stored_user|created_at/);
    const res = await api(insole, token, 'GET', `/users/${encodeURIComponent('auth0|unreadable')}`);
    assert.equal(res.body.errorCode, 'invalid_stored_user');
  });

  test('a token whose user became unreadable is refused as any unknown account\'s: oidc-provider does not send the stored-user message as the OAuth error', async () => {
    const email = 'spoiled@outlet.example';
    await insole.db.collection('users').insertOne(bare('spoiled', email));
    const { tokens } = await signInForTokens(insole.issuer, { email, password: PASSWORD });
    // A write through insole forgets the profile the sign-in kept for its code flow (recent-signins.ts).
    await api(insole, token, 'PATCH', `/users/${encodeURIComponent('auth0|spoiled')}`, { user_metadata: { spoiled: true } });
    await insole.db.collection('users').updateOne({ email }, { $set: { created_at: 'last Tuesday' } });
    const res = await fetch(`${insole.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const answer = `${res.headers.get('www-authenticate')} ${await res.text()}`;
    assert.equal(res.status, 401, answer);
    assert.match(answer, /invalid_token/);
    assert.doesNotMatch(answer, /spoiled|invalid_stored_user|created_at/);
  });
});
