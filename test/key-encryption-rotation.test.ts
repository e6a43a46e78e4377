// Changing INSOLE_KEY_ENCRYPTION_KEY: instances open with the previous keys too, `keys reseal` moves
// every sealed record to the current key, and then the previous key can go.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { loadConfig } from '../src/config/load-config.ts';
import { createDownloadLinks } from '../src/admin/jobs/download-link.ts';
import { createKeyring, createSealedBox, type Sealed } from '../src/lib/sealed-box.ts';
import { replaceSealed, sealedPlaces } from '../src/cli/sealed-records.ts';
import { cli, cliWithEnv } from './support/cli-run.ts';
import { freePort, startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const OLD = 'development-key-encryption-key-change-me-00'; // config/default.json's, which the first instance starts with
const NEW = 'the-new-key-encryption-key-after-rotation-0123456789';
const UNKNOWN = 'a-key-encryption-key-nobody-was-given-0123456789';
const DURING = { INSOLE_KEY_ENCRYPTION_KEY: NEW, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: OLD };
const AFTER = { INSOLE_KEY_ENCRYPTION_KEY: NEW };
const PROVIDER_TOKENS = '{"access_token":"ya29.a-google-access-token-kept-sealed"}';

/** Whether the server accepted the client's secret: a made-up code then fails as invalid_grant, a wrong secret as invalid_client. */
async function clientAuthentication(issuer: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: 'https://outlet.example/cb' }),
  });
  return ((await response.json()) as { error: string }).error;
}

describe('changing the key encryption key', () => {
  const databaseUri = testDatabaseUri();
  let oldInstance: TestInsole;
  let connection: mongoose.Connection;
  let db: mongoose.mongo.Db;
  let client: { client_id: string; client_secret: string };
  const sealedUnder = (key: string, purpose: string) => createSealedBox(key, purpose);
  const opensWith = (key: string, purpose: string, sealed: Sealed) => { try { sealedUnder(key, purpose).open(sealed); return true; } catch { return false; } };

  before(async () => {
    oldInstance = await startTestInsole({}, databaseUri); // makes the signing key, sealed with OLD
    connection = await mongoose.createConnection(databaseUri).asPromise();
    db = connection.db!;
    const created = await cli(databaseUri, 'clients', 'create', '--name', 'Outlet', '--redirect-uri', 'https://outlet.example/cb');
    client = JSON.parse(created.out.slice(0, created.out.lastIndexOf('}') + 1)) as typeof client;
    const tokens = sealedUnder(OLD, 'idp-tokens');
    await db.collection('users').insertOne({
      user_id: 'google-oauth2|rotation', email: 'rotation@innovashoes.example',
      identities: [
        { provider: 'google-oauth2', user_id: 'rotation', connection: 'google-oauth2', isSocial: true, sealed_tokens: tokens.seal(PROVIDER_TOKENS) },
        { provider: 'facebook', user_id: 'rotation', connection: 'facebook', isSocial: true, sealed_tokens: tokens.seal(PROVIDER_TOKENS) },
      ],
    });
    await db.collection('social_handshakes').insertOne({ _id: 'rotation-handshake' as never, kind: 'pending_email', data: { sealed: tokens.seal(PROVIDER_TOKENS) }, expiresAt: new Date(Date.now() + 600_000) });
  });
  after(async () => { await oldInstance.stop(); await connection.close(); });

  async function sealedValues() {
    const user = await db.collection('users').findOne({ user_id: 'google-oauth2|rotation' });
    return {
      'signing-keys': (await db.collection('signing_keys').find().toArray()).map((key) => key.private_jwk as Sealed),
      'client-secrets': [(await db.collection('oidc_client').findOne({ _id: client.client_id as never }))!.payload.client_secret_sealed as Sealed],
      'idp-tokens': [...(user!.identities as { sealed_tokens: Sealed }[]).map((identity) => identity.sealed_tokens),
        (await db.collection('social_handshakes').findOne({ _id: 'rotation-handshake' as never }))!.data.sealed as Sealed],
    };
  }

  test('deploy with the new key and the old as previous, keys reseal, drop the old: every record opens with the new key alone, and no secret is printed', async () => {
    const during = await startTestInsole({ secrets: { key_encryption_key: NEW, previous_key_encryption_keys: [OLD] } }, databaseUri);
    try {
      assert.equal(await clientAuthentication(during.issuer, client.client_id, client.client_secret), 'invalid_grant', 'the client secret sealed with the old key opens');
      assert.equal(await clientAuthentication(during.issuer, client.client_id, 'a wrong secret'), 'invalid_client');

      // The roll is not finished: an instance still seals with the old key.
      const before = await sealedValues();
      await assert.rejects(cliWithEnv(DURING, databaseUri, 'keys', 'reseal'),
        /^CliError: 1 instance\(s\) seen in the last 180 s seal with another INSOLE_KEY_ENCRYPTION_KEY than this one: finish the roll/);
      assert.deepEqual(await sealedValues(), before, 'nothing written');
      await oldInstance.stop();
      // Minutes later its last note is older than three refresh intervals.
      await db.collection('sealing_instances').updateMany({ key_id: createKeyring([OLD], 'any').keyId }, { $set: { seen_at: new Date(Date.now() - 181_000) } });

      const run = await cliWithEnv(DURING, databaseUri, 'keys', 'reseal');
      assert.equal(run.code, 0, run.out);
      assert.match(run.out, /^signing keys: 1 of 1 with the current key \(1 sealed again now\)$/m);
      assert.match(run.out, /^client secrets: 1 of 1 with the current key \(1 sealed again now\)$/m);
      assert.match(run.out, /^social provider tokens: 2 of 2 with the current key \(2 sealed again now\)$/m);
      assert.match(run.out, /^social sign-ins in progress: 1 of 1 with the current key \(1 sealed again now\)$/m);
      assert.match(run.out, /INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS is no longer needed/);
      for (const secret of [OLD, NEW, client.client_secret, 'ya29.a-google-access-token-kept-sealed']) {
        assert.ok(!run.out.includes(secret) && !run.err.includes(secret), 'a secret was printed');
      }
      for (const [purpose, values] of Object.entries(await sealedValues())) {
        for (const sealed of values) assert.ok(opensWith(NEW, purpose, sealed) && !opensWith(OLD, purpose, sealed), `${purpose}: still sealed with the old key`);
      }
      assert.equal(await clientAuthentication(during.issuer, client.client_id, client.client_secret), 'invalid_grant', 'serving on, the client still authenticates');
    } finally {
      await during.stop();
    }

    const afterwards = await startTestInsole({ secrets: { key_encryption_key: NEW } }, databaseUri); // starts: the signing key opens with NEW alone
    try {
      assert.equal(await clientAuthentication(afterwards.issuer, client.client_id, client.client_secret), 'invalid_grant');
      const jwks = (await (await fetch(`${afterwards.issuer}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
      assert.equal(jwks.keys.length, 1);
    } finally {
      await afterwards.stop();
    }
  });

  test('keys reseal run again changes nothing and says so', async () => {
    const before = await sealedValues();
    const again = await cliWithEnv(AFTER, databaseUri, 'keys', 'reseal');
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /^signing keys: 1 of 1 with the current key \(0 sealed again now\)$/m);
    assert.match(again.out, /^social provider tokens: 2 of 2 with the current key \(0 sealed again now\)$/m);
    assert.deepEqual(await sealedValues(), before, 'a record was written again');
  });

  test('a record written meanwhile by an instance still on the old key is sealed again by the next run', async () => {
    await db.collection('social_handshakes').insertOne({ _id: 'late-handshake' as never, kind: 'pending_email', data: { sealed: sealedUnder(OLD, 'idp-tokens').seal(PROVIDER_TOKENS) }, expiresAt: new Date(Date.now() + 600_000) });
    const run = await cliWithEnv(DURING, databaseUri, 'keys', 'reseal');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^social sign-ins in progress: 2 of 2 with the current key \(1 sealed again now\)$/m);
    const late = await db.collection('social_handshakes').findOne({ _id: 'late-handshake' as never });
    assert.ok(opensWith(NEW, 'idp-tokens', late!.data.sealed as Sealed));
  });

  test('a record no key given opens: keys reseal names it by count and exits 1; all other records stay as they are', async () => {
    await db.collection('social_handshakes').insertOne({ _id: 'unknown-key' as never, kind: 'pending_email', data: { sealed: sealedUnder(UNKNOWN, 'idp-tokens').seal(PROVIDER_TOKENS) }, expiresAt: new Date(Date.now() + 600_000) });
    try {
      const run = await cliWithEnv(DURING, databaseUri, 'keys', 'reseal');
      assert.equal(run.code, 1);
      assert.match(run.out, /^social sign-ins in progress: 2 of 3 with the current key \(0 sealed again now\); 1 open with none of the keys given$/m);
      assert.match(run.out, /1 sealed value\(s\) open with none of the keys given: list the key they were sealed with in INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS/);
      assert.doesNotMatch(run.out, /no longer needed/);
    } finally {
      await db.collection('social_handshakes').deleteOne({ _id: 'unknown-key' as never });
    }
  });

  test('with keys that open none of the signing keys, keys reseal and npm start refuse in one line naming what to do, and nothing is written', async () => {
    const before = await sealedValues();
    await assert.rejects(cliWithEnv({ INSOLE_KEY_ENCRYPTION_KEY: UNKNOWN, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: OLD }, databaseUri, 'keys', 'reseal'),
      /^KeyEncryptionKeyMismatch: The signing key \S+ in the database cannot be opened with this INSOLE_KEY_ENCRYPTION_KEY \(secrets.key_encryption_key\) nor any of INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: .* list it in INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS and run keys reseal/);
    const port = await freePort();
    const env = { ...process.env, INSOLE_KEY_ENCRYPTION_KEY: UNKNOWN, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: OLD, MONGODB_URI: databaseUri, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, NODE_ENV: 'development', LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 1);
    assert.match(stderr, /^The signing key \S+ in the database cannot be opened with this INSOLE_KEY_ENCRYPTION_KEY .* nor any of INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS/);
    assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
    assert.ok(!stderr.includes(UNKNOWN) && !stderr.includes(OLD), 'a key was printed');
    assert.equal(await db.collection('sealing_instances').countDocuments({ key_id: createKeyring([UNKNOWN], 'any').keyId }), 0, 'an instance refused at start is not taken as serving');
    assert.deepEqual(await sealedValues(), before);
  });

  test('a client secret no key opens fails its token request as a server error, not as a wrong secret', async () => {
    const stranger = await startTestInsole({ secrets: { key_encryption_key: NEW } }, databaseUri);
    try {
      await db.collection('oidc_client').updateOne({ _id: client.client_id as never }, { $set: { 'payload.client_secret_sealed': sealedUnder(UNKNOWN, 'client-secrets').seal(client.client_secret) } });
      assert.equal(await clientAuthentication(stranger.issuer, client.client_id, client.client_secret), 'server_error');
    } finally {
      await db.collection('oidc_client').updateOne({ _id: client.client_id as never }, { $set: { 'payload.client_secret_sealed': sealedUnder(NEW, 'client-secrets').seal(client.client_secret) } });
      await stranger.stop();
    }
  });

  test('a sealed value that changed after it was read is not overwritten (the write is conditional on what was read)', async () => {
    const place = sealedPlaces(loadConfig({ env: DURING })).find((candidate) => candidate.array === 'identities')!;
    const user = await db.collection('users').findOne({ user_id: 'google-oauth2|rotation' });
    const stale = sealedUnder(OLD, 'idp-tokens').seal(PROVIDER_TOKENS); // what an earlier read saw; an instance has written since
    assert.equal(await replaceSealed(connection, place, user!._id, stale, sealedUnder(NEW, 'idp-tokens').seal('overwritten')), false);
    const current = (user!.identities as { sealed_tokens: Sealed }[])[0]!.sealed_tokens;
    assert.equal(await replaceSealed(connection, place, user!._id, current, sealedUnder(NEW, 'idp-tokens').seal(PROVIDER_TOKENS)), true);
    const [first, second] = ((await db.collection('users').findOne({ _id: user!._id }))!.identities as { sealed_tokens: Sealed }[]);
    assert.notDeepEqual(first!.sealed_tokens, current, 'the value read was replaced');
    assert.deepEqual(second!.sealed_tokens, (user!.identities as { sealed_tokens: Sealed }[])[1]!.sealed_tokens, 'only the identity whose value was read');

    const handshakes = sealedPlaces(loadConfig({ env: DURING })).find((candidate) => candidate.collection === 'social_handshakes')!;
    const held = (await db.collection('social_handshakes').findOne({ _id: 'rotation-handshake' as never }))!.data.sealed as Sealed;
    assert.equal(await replaceSealed(connection, handshakes, 'rotation-handshake' as never, stale, sealedUnder(NEW, 'idp-tokens').seal('overwritten')), false);
    assert.deepEqual((await db.collection('social_handshakes').findOne({ _id: 'rotation-handshake' as never }))!.data.sealed, held);
  });

  test('an export download link made by an instance on the old key verifies on one with the new key and the old as previous, not on the new alone', () => {
    const url = new URL(createDownloadLinks([OLD], 60).create('https://id.innovashoes.example', 'job-1'));
    const [expires, signature] = [url.searchParams.get('expires')!, url.searchParams.get('signature')!];
    assert.equal(createDownloadLinks([NEW, OLD], 60).verify('job-1', expires, signature), true);
    assert.equal(createDownloadLinks([NEW], 60).verify('job-1', expires, signature), false);
    assert.equal(createDownloadLinks([NEW, OLD], 60).verify('job-2', expires, signature), false, 'for its own job only');
  });

  test('in production, keys reseal refuses a previous key equal to the current one or too short, before it connects, without repeating either', async () => {
    const before = await sealedValues();
    for (const [previous, problem] of [[NEW, /equals INSOLE_KEY_ENCRYPTION_KEY/], ['too-short-a-key', /previous_key_encryption_keys\.0: Too small/]] as const) {
      const refused = await cliWithEnv({ NODE_ENV: 'production', ...DURING, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: previous }, databaseUri, 'keys', 'reseal').then(() => undefined, (err: Error) => err);
      assert.ok(refused?.name === 'ConfigError' && problem.test(refused.message), String(refused));
      assert.ok(!refused.message.includes(NEW) && !refused.message.includes('too-short-a-key'), 'a key was repeated');
    }
    assert.deepEqual(await sealedValues(), before);
  });

  test('a keyring seals with the first key and opens with any', () => {
    const ring = createKeyring([NEW, OLD], 'idp-tokens');
    const sealed = ring.seal('x');
    assert.ok(opensWith(NEW, 'idp-tokens', sealed) && !opensWith(OLD, 'idp-tokens', sealed));
    assert.deepEqual(ring.openedBy(sealedUnder(OLD, 'idp-tokens').seal('y')), { plaintext: 'y', current: false });
    assert.equal(ring.openedBy(sealedUnder(UNKNOWN, 'idp-tokens').seal('z')), undefined);
    assert.throws(() => ring.open(sealedUnder(UNKNOWN, 'idp-tokens').seal('z')), /none of the 2 key\(s\)/);
  });

});
