// README "Changing the key encryption key": instances on the old and the new key serve side by
// side during the roll, behind one issuer. A dashboard sign-in is a relying party's code flow: the
// callback's instance sends the dashboard's client secret to the token endpoint, which another
// instance may answer. Both must hold the same secret at every step of the roll.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hkdfSync } from 'node:crypto';
import { createKeyring, createSealedBox } from '../src/lib/sealed-box.ts';
import { DASHBOARD_CLIENT_ID } from '../src/oidc/dashboard-client.ts';
import { BrowserAgent } from './support/checked-agent.ts';
import { cliWithEnv } from './support/cli-run.ts';
import { DASHBOARD_PASSWORD, dashboardClientOf, dashboardUser, readerToken, startDashboardInsole } from './support/dashboard.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { startPathBalancer, type PathBalancer } from './support/path-balancer.ts';
import { readForm } from './support/user-agent.ts';

const OLD = 'development-key-encryption-key-change-me-00'; // config/default.json's
const NEW = 'the-new-key-encryption-key-after-rotation-0123456789';
const UNKNOWN = 'a-key-encryption-key-nobody-was-given-0123456789';
const EMAIL = 'roll.admin@innovashoes.example';

/** What the token endpoint says to the dashboard client with this secret: a made-up refresh token is invalid_grant once the secret is accepted. */
async function tokenEndpointSays(insole: TestInsole, secret: string): Promise<string> {
  const res = await fetch(`${insole.issuer}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${DASHBOARD_CLIENT_ID}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' }),
  });
  return ((await res.json()) as { error: string }).error;
}

describe('dashboard sign-in while the key encryption key changes', () => {
  const databaseUri = testDatabaseUri();
  let balancer: PathBalancer;
  let rollSecret: string; // the roll's database's dashboard secret
  const running: TestInsole[] = [];
  const start = async (secrets: Record<string, unknown>) => {
    const instance = await startDashboardInsole({ issuer: balancer.url, secrets }, databaseUri);
    running.push(instance);
    return instance;
  };

  /** The dashboard's pages (and so its callback and token request) on `dashboard`; insole's own endpoints on `provider`. */
  async function signInAcross(dashboard: TestInsole, provider: TestInsole): Promise<{ status: number; path: string }> {
    balancer.route = (path) => ({ port: (path.startsWith('/admin') ? dashboard : provider).config.port });
    const agent = new BrowserAgent(balancer.url);
    const hosted = await agent.get(`${balancer.url}/admin/users`);
    const form = readForm(await hosted.res.text());
    const done = await agent.postForm(new URL(form.action, balancer.url).href, { email: EMAIL, password: DASHBOARD_PASSWORD, _csrf: form.csrf });
    return { status: done.res.status, path: new URL(done.url).pathname };
  }

  async function assertSignInsBothWays(first: TestInsole, second: TestInsole, step: string) {
    assert.deepEqual(await signInAcross(first, second), { status: 200, path: '/admin/users' }, `${step}: dashboard on the first, token endpoint on the second`);
    assert.deepEqual(await signInAcross(second, first), { status: 200, path: '/admin/users' }, `${step}: dashboard on the second, token endpoint on the first`);
  }

  before(async () => {
    balancer = await startPathBalancer();
    const old = await start({ key_encryption_key: OLD });
    balancer.route = () => ({ port: old.config.port });
    await dashboardUser(old, await readerToken(old), EMAIL, ['admin']);
    rollSecret = (await dashboardClientOf(old)).client_secret;
  });
  after(async () => {
    for (const instance of running) await instance.stop();
    await balancer?.close();
  });

  test('a sign-in whose callback and token request meet instances on different keys works at every step of the roll', async () => {
    const [old] = running as [TestInsole];
    // Step 1, the roll: one instance already on the new key (the old as previous), one still on the old.
    const during = await start({ key_encryption_key: NEW, previous_key_encryption_keys: [OLD] });
    await assertSignInsBothWays(old, during, 'step 1');

    // Step 2: the roll is done (the old instance has stopped, minutes ago), keys reseal.
    await old.stop();
    await during.db.collection('sealing_instances').updateMany({ key_id: createKeyring([OLD], 'any').keyId }, { $set: { seen_at: new Date(Date.now() - 181_000) } });
    const reseal = await cliWithEnv({ INSOLE_KEY_ENCRYPTION_KEY: NEW, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: OLD }, databaseUri, 'keys', 'reseal');
    assert.equal(reseal.code, 0, reseal.out);
    assert.match(reseal.out, /^dashboard client secret: 1 of 1 with the current key \(1 sealed again now\)$/m);

    // Step 3, the second roll: one instance without the previous key, one that still lists it.
    const after = await start({ key_encryption_key: NEW });
    await assertSignInsBothWays(during, after, 'step 3');
  });

  test('the secret is random per installation (not derived from the key), the same for instances starting at once, sealed at rest and never logged', async () => {
    const fresh = testDatabaseUri();
    const { logger, lines } = captureLogs();
    const [one, two] = await Promise.all([startTestInsole({}, fresh, logger), startTestInsole({}, fresh)]);
    try {
      const secret = (await dashboardClientOf(one)).client_secret;
      assert.equal((await dashboardClientOf(two)).client_secret, secret, 'one insert won; both hold its secret');
      assert.match(secret, /^[\w-]{43}$/, '32 bytes, base64url');
      assert.notEqual(secret, rollSecret, 'another database, another secret');
      assert.notEqual(secret, Buffer.from(hkdfSync('sha256', OLD, 'insole', 'dashboard-client-secret', 32)).toString('base64url'), 'not what the key alone gives');
      const stored = await one.db.collection('dashboard_client').find().toArray();
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(secret), 'kept sealed');
      assert.equal(createSealedBox(OLD, 'client-secrets').open(stored[0]!.secret_sealed), secret, 'sealed as client secrets are');
      assert.equal(await tokenEndpointSays(two, secret), 'invalid_grant', 'the provider accepts it');
      assert.equal(await tokenEndpointSays(one, `${secret.slice(0, -1)}x`), 'invalid_client');
      assert.ok(lines.length > 0 && !lines.some((line) => line.includes(secret)), 'the secret was logged');
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });

  test('a dashboard secret that no key given opens stops the start, naming it; a mistyped key seals no new one', async () => {
    const fresh = testDatabaseUri();
    await (await startTestInsole({ dashboard: { enabled: false } }, fresh)).stop(); // a signing key, no dashboard secret yet
    await assert.rejects(startTestInsole({ secrets: { key_encryption_key: UNKNOWN } }, fresh), /^KeyEncryptionKeyMismatch: The signing key /);
    await (await startTestInsole({}, fresh)).stop(); // with the right key: the secret is made, sealed with it
    const other = await startTestInsole({ dashboard: { enabled: false } }, fresh); // a way in to the database
    try {
      await other.db.collection('dashboard_client').updateOne({ _id: DASHBOARD_CLIENT_ID as never }, { $set: { secret_sealed: createSealedBox(UNKNOWN, 'client-secrets').seal('x'.repeat(43)) } });
      await assert.rejects(startTestInsole({}, fresh), (err: Error) => err.name === 'KeyEncryptionKeyMismatch' && /^The dashboard's client secret \(dashboard_client\) in the database cannot be opened/.test(err.message));
    } finally {
      await other.stop();
    }
  });
});
