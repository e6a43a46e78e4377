import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { runCli } from '../src/cli/insole.ts';
import { freePort, startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { buildAuthorization, completeAuthorization, exchangeCode, oidc } from './support/relying-party.ts';

/** Runs the CLI in-process against `databaseUri` and returns what it printed. */
async function cli(databaseUri: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const saved = { uri: process.env.MONGODB_URI, log: console.log };
  const lines: string[] = [];
  process.env.MONGODB_URI = databaseUri;
  console.log = (...parts: unknown[]) => { lines.push(parts.join(' ')); };
  try {
    return { code: await runCli(args), out: lines.join('\n') };
  } finally {
    process.env.MONGODB_URI = saved.uri;
    console.log = saved.log;
  }
}

describe('the insole command line', () => {
  const databaseUri = testDatabaseUri();
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole({}, databaseUri); });
  after(async () => { await insole.stop(); });

  test('clients create registers a relying party that can sign users in at once', async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/cb`;
    const { code, out } = await cli(databaseUri, 'clients', 'create', '--name', 'Outlet shop', '--redirect-uri', redirect);
    assert.equal(code, 0);
    const created = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { client_id: string; client_secret: string };
    assert.match(created.client_secret, /^[\w-]{43}$/);

    const config = await oidc.discovery(new URL(insole.issuer), created.client_id, created.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const request = await buildAuthorization(config, { redirect_uri: redirect });
    const { callback } = await completeAuthorization(insole.issuer, request, { email: 'outlet@innovashoes.example', password: 'a long outlet password' }, 'signup');
    assert.ok(callback.startsWith(redirect));
    const tokens = await exchangeCode(config, callback, request);
    assert.equal(tokens.claims()!.aud, created.client_id);

    const listed = await cli(databaseUri, 'clients', 'list');
    assert.match(listed.out, new RegExp(`${created.client_id}\\tOutlet shop`));
  });

  test('clients create refuses a redirect URI that is not a URL, and writes nothing', async () => {
    const before = await insole.db.collection('oidc_client').countDocuments();
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--name', 'Bad', '--redirect-uri', 'not a url'), /redirect_uris/);
    assert.equal(await insole.db.collection('oidc_client').countDocuments(), before);
  });

  test('keys rotate: after a restart the new key signs and the old one stays published', async () => {
    const jwks = async () => (await (await fetch(`${insole.issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    const signIn = async (email: string, screen: 'login' | 'signup') => {
      const config = await oidc.discovery(new URL(insole.issuer), 'test-storefront', 'test-storefront-secret-0123456789', undefined, { execute: [oidc.allowInsecureRequests] });
      const request = await buildAuthorization(config);
      const { callback } = await completeAuthorization(insole.issuer, request, { email, password: 'rotating keys safely' }, screen);
      return (await exchangeCode(config, callback, request)).id_token!;
    };
    const oldToken = await signIn('keys@innovashoes.example', 'signup');
    const oldKid = decodeProtectedHeader(oldToken).kid!;

    const { code, out } = await cli(databaseUri, 'keys', 'rotate');
    assert.equal(code, 0);
    const newKid = /New signing key (\S+)\./.exec(out)![1];
    assert.notEqual(newKid, oldKid);

    await insole.stop();
    insole = await startTestInsole({ port: insole.config.port, issuer: insole.issuer }, databaseUri);
    const kids = (await jwks()).keys.map((k) => k.kid);
    assert.deepEqual(kids, [newKid, oldKid], 'new key first, old key still published');

    const newToken = await signIn('keys@innovashoes.example', 'login');
    assert.equal(decodeProtectedHeader(newToken).kid, newKid);
    const keySet = createRemoteJWKSet(new URL(`${insole.issuer}/.well-known/jwks.json`));
    for (const token of [oldToken, newToken]) {
      const { payload } = await jwtVerify(token, keySet, { issuer: insole.issuer, algorithms: ['RS256'] });
      assert.equal(payload.email, 'keys@innovashoes.example');
    }
  });

  test('private signing keys are stored encrypted', async () => {
    const stored = await insole.db.collection('signing_keys').findOne({});
    assert.ok(stored);
    assert.deepEqual(Object.keys(stored.private_jwk).sort(), ['data', 'iv', 'tag']);
    assert.doesNotMatch(JSON.stringify(stored), /"d":/);
  });
});
