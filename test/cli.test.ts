import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cli, cliWithEnv } from './support/cli-run.ts';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadSigningKeys, signingKeysBox } from '../src/oidc/signing-keys.ts';
import { until } from './support/hooks.ts';
import { freePort, startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, managementToken } from './support/management.ts';
import { buildAuthorization, completeAuthorization, exchangeCode, oidc } from './support/relying-party.ts';

const ROOT = new URL('..', import.meta.url).pathname;

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

    // At rest the secret is sealed: a database dump holds no working credential.
    const stored = JSON.stringify(await insole.db.collection('oidc_client').findOne({ _id: created.client_id as never }));
    assert.ok(!stored.includes(created.client_secret));
    assert.match(stored, /"client_secret_sealed":\{"iv":/);

    const listed = await cli(databaseUri, 'clients', 'list');
    assert.match(listed.out, new RegExp(`${created.client_id}\\tOutlet shop`));
  });

  test('a client stored before secrets were sealed (plain client_secret) still authenticates', async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/cb`;
    const legacy = { client_id: 'legacy-shop', client_secret: 'a-legacy-secret-stored-in-plain-text-0123', client_name: 'Legacy shop', redirect_uris: [redirect], token_endpoint_auth_method: 'client_secret_basic', first_party: true };
    await insole.db.collection('oidc_client').insertOne({ _id: legacy.client_id as never, payload: legacy });
    const config = await oidc.discovery(new URL(insole.issuer), legacy.client_id, legacy.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const request = await buildAuthorization(config, { redirect_uri: redirect });
    const { callback } = await completeAuthorization(insole.issuer, request, { email: 'legacy@innovashoes.example', password: 'a long legacy password' }, 'signup');
    assert.equal((await exchangeCode(config, callback, request)).claims()!.aud, legacy.client_id);
  });

  test('clients create refuses a redirect URI that is not a URL, and writes nothing', async () => {
    const before = await insole.db.collection('oidc_client').countDocuments();
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--name', 'Bad', '--redirect-uri', 'not a url'), /redirect_uris/);
    assert.equal(await insole.db.collection('oidc_client').countDocuments(), before);
  });

  test('clients create --backchannel-logout-uri registers back-channel logout; clients update changes or removes it', async () => {
    const port = await freePort();
    const redirect = `http://127.0.0.1:${port}/cb`;
    const receiver = `http://127.0.0.1:${port}/backchannel-logout`;
    const { code, out } = await cli(databaseUri, 'clients', 'create', '--name', 'Back-channel shop', '--redirect-uri', redirect, '--backchannel-logout-uri', receiver);
    assert.equal(code, 0);
    const created = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { client_id: string; client_secret: string; backchannel_logout_uri: string; backchannel_logout_session_required: boolean };
    assert.equal(created.backchannel_logout_uri, receiver);
    assert.equal(created.backchannel_logout_session_required, true, 'sid required by default, as Auth0 sends it');
    const idTokenOf = async (email: string, screen: 'login' | 'signup') => {
      const config = await oidc.discovery(new URL(insole.issuer), created.client_id, created.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
      const request = await buildAuthorization(config, { redirect_uri: redirect });
      const { callback } = await completeAuthorization(insole.issuer, request, { email, password: 'a long back-channel password' }, screen);
      return (await exchangeCode(config, callback, request)).claims()!;
    };
    assert.equal(typeof (await idTokenOf('bcl.cli@innovashoes.example', 'signup')).sid, 'string');
    assert.match((await cli(databaseUri, 'clients', 'list')).out, new RegExp(`${created.client_id}\\t.*\\tback-channel logout: ${receiver}`));

    // Stopped: the running insole reads the client again on its next use.
    assert.equal((await cli(databaseUri, 'clients', 'update', '--id', created.client_id, '--backchannel-logout-uri', '')).code, 0);
    const stored = await insole.db.collection('oidc_client').findOne({ _id: created.client_id as never });
    assert.equal(stored!.payload.backchannel_logout_uri, undefined);
    assert.equal(stored!.payload.backchannel_logout_session_required, undefined);
    assert.match(JSON.stringify(stored), /"client_secret_sealed":\{"iv":/, 'the secret stays sealed');
    assert.equal(typeof (await idTokenOf('bcl.cli@innovashoes.example', 'login')).sid, 'string', 'ID tokens carry sid whatever the back-channel settings, as at Auth0');

    const updated = await cli(databaseUri, 'clients', 'update', '--id', created.client_id, '--backchannel-logout-uri', receiver, '--backchannel-logout-session-required', 'false');
    assert.equal(updated.code, 0);
    assert.equal(JSON.parse(updated.out).backchannel_logout_session_required, false);
    assert.equal(typeof (await idTokenOf('bcl.cli@innovashoes.example', 'login')).sid, 'string', 'sid in the ID token; only the logout token leaves it out');
  });

  test('clients create and update refuse a bad back-channel logout URI or option with a one-line reason, and write nothing', async () => {
    const before = await insole.db.collection('oidc_client').countDocuments();
    const create = (...extra: string[]) => cli(databaseUri, 'clients', 'create', '--name', 'Bad', '--redirect-uri', 'https://shop.example/cb', ...extra);
    await assert.rejects(create('--backchannel-logout-uri', 'http://shop.example/logout'), /^CliError: --backchannel-logout-uri must be an https:\/\/ URL \(http:\/\/ only for localhost/);
    await assert.rejects(create('--backchannel-logout-uri', 'https://shop.example/logout#x'), /--backchannel-logout-uri must have no fragment/);
    await assert.rejects(create('--backchannel-logout-uri', 'not a url'), /--backchannel-logout-uri must be an absolute https:\/\/ URL/);
    await assert.rejects(create('--backchannel-logout-uri', ''), /--backchannel-logout-uri needs a URL/);
    await assert.rejects(create('--backchannel-logout-uri', 'https://shop.example/logout', '--backchannel-logout-session-required', 'yes'), /is true or false, not "yes"/);
    await assert.rejects(create('--backchannel-logout-session-required', 'false'), /backchannel_logout_session_required: goes with backchannel_logout_uri/);
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--m2m', '--scopes', 'read:users', '--backchannel-logout-uri', 'https://shop.example/logout'), /signs no users in/);
    assert.equal(await insole.db.collection('oidc_client').countDocuments(), before);

    await assert.rejects(cli(databaseUri, 'clients', 'update', '--id', 'no-such-client', '--backchannel-logout-uri', 'https://shop.example/logout'), /No client "no-such-client" in the database/);
    await assert.rejects(cli(databaseUri, 'clients', 'update', '--id', 'storefront', '--backchannel-logout-uri', 'https://shop.example/logout'), /declared in a config file: change it there/);
    await assert.rejects(cli(databaseUri, 'clients', 'update', '--backchannel-logout-uri', 'https://shop.example/logout'), /Say which client/);
    const { out } = await cli(databaseUri, 'clients', 'create', '--name', 'Kept', '--redirect-uri', 'https://kept.example/cb', '--backchannel-logout-uri', 'https://kept.example/logout');
    const { client_id } = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { client_id: string };
    const kept = await insole.db.collection('oidc_client').findOne({ _id: client_id as never });
    await assert.rejects(cli(databaseUri, 'clients', 'update', '--id', client_id), /Say what to change/);
    await assert.rejects(cli(databaseUri, 'clients', 'update', '--id', client_id, '--backchannel-logout-uri', 'ftp://kept.example/logout'), /--backchannel-logout-uri must be an https:\/\/ URL/);
    assert.deepEqual(await insole.db.collection('oidc_client').findOne({ _id: client_id as never }), kept);
  });

  test('clients create --m2m: a Management API client whose token carries exactly its scopes, listed with its grant', async () => {
    const { code, out } = await cli(databaseUri, 'clients', 'create', '--m2m', '--scopes', 'read:logs, read:stats', '--name', 'Back office');
    assert.equal(code, 0);
    const created = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { client_id: string; client_secret: string; grants: unknown };
    assert.deepEqual(created.grants, [{ scope: ['read:logs', 'read:stats'] }]);
    const stored = await insole.db.collection('oidc_client').findOne({ _id: created.client_id as never });
    assert.deepEqual(
      [stored!.payload.grant_types, stored!.payload.token_endpoint_auth_method, stored!.payload.redirect_uris, stored!.payload.response_types],
      [['client_credentials'], 'client_secret_post', [], []],
    );

    // The running server reads it from the database, as Auth0's SDKs ask: secret in the form, no scope.
    const token = await managementToken(insole, created);
    assert.deepEqual(token.scope!.split(' ').sort(), ['read:logs', 'read:stats']);
    const stats = await api(insole, token.access_token, 'GET', '/stats/active-users');
    assert.equal(stats.status, 200);
    assert.equal(typeof stats.body, 'number');
    assert.equal((await api(insole, token.access_token, 'GET', '/logs?per_page=1')).status, 200);
    assert.equal((await api(insole, token.access_token, 'GET', '/users/auth0%7Canyone')).status, 403, 'no read:users');

    const listed = await cli(databaseUri, 'clients', 'list');
    assert.match(listed.out, new RegExp(`${created.client_id}\\tBack office\\t\\tManagement API: read:logs read:stats`));
  });

  test('clients create --m2m grants the role scopes: its token reads the roles and their users, and gives none', async () => {
    const { code, out } = await cli(databaseUri, 'clients', 'create', '--m2m', '--scopes', 'read:roles,read:role_members', '--name', 'Role auditor');
    assert.equal(code, 0, out);
    const created = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { client_id: string; client_secret: string };
    const token = await managementToken(insole, created);
    assert.deepEqual(token.scope!.split(' ').sort(), ['read:role_members', 'read:roles']);
    assert.equal((await api(insole, token.access_token, 'GET', '/roles')).status, 200);
    assert.equal((await api(insole, token.access_token, 'GET', '/roles/admin/users')).status, 200);
    assert.equal((await api(insole, token.access_token, 'POST', '/users/auth0%7Canyone/roles', { roles: ['admin'] })).status, 403);
  });

  test('clients create --m2m refuses an unknown scope (or none, or redirect URIs) in one line, and writes nothing', async () => {
    const before = await insole.db.collection('oidc_client').countDocuments();
    const refused = await cli(databaseUri, 'clients', 'create', '--m2m', '--scopes', 'read:users,read:everything').catch((err: Error) => err);
    assert.ok(refused instanceof Error);
    assert.match(refused.message, /^Unknown Management API scope\(s\): read:everything \(known: read:users, /);
    assert.ok(!refused.message.includes('\n'));
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--m2m'), /^CliError: Say which scopes/);
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--m2m', '--scopes', 'read:users', '--redirect-uri', 'https://shop.example/cb'), /signs no users in/);
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--scopes', 'read:users', '--redirect-uri', 'https://shop.example/cb'), /--scopes goes with --m2m/);
    assert.equal(await insole.db.collection('oidc_client').countDocuments(), before);
  });

  test('clients create --m2m --audience: a grant of an API in config, listed with its audience; another API or another scope is refused', async () => {
    const audience = 'https://api.innovashoes.example/'; // config/default.json's API, which the command reads
    const { code, out } = await cli(databaseUri, 'clients', 'create', '--m2m', '--audience', audience, '--scopes', 'write:orders', '--name', 'Orders worker');
    assert.equal(code, 0);
    const created = JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { client_id: string; grants: unknown };
    assert.deepEqual(created.grants, [{ audience, scope: ['write:orders'] }]);
    const listed = await cli(databaseUri, 'clients', 'list');
    assert.match(listed.out, new RegExp(`${created.client_id}\\tOrders worker\\t\\t${audience}: write:orders`));

    const before = await insole.db.collection('oidc_client').countDocuments();
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--m2m', '--audience', 'https://api.other.example/', '--scopes', 'read:orders'),
      /^CliError: Unknown API: https:\/\/api\.other\.example\/ \(in config: https:\/\/api\.innovashoes\.example\/\)$/);
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--m2m', '--audience', audience, '--scopes', 'read:orders,read:users'),
      /^CliError: Unknown https:\/\/api\.innovashoes\.example\/ scope\(s\): read:users \(known: read:orders, write:orders\)$/);
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--audience', audience, '--redirect-uri', 'https://shop.example/cb'), /--audience goes with --m2m/);
    assert.equal(await insole.db.collection('oidc_client').countDocuments(), before);
  });

  test('keys rotate: published at once on every instance, signs after the delay, old key kept; revoke; no restart', async () => {
    const fast = { signing_keys: { refresh_seconds: 0.2, activate_after_seconds: 0.2 } };
    await insole.stop();
    insole = await startTestInsole({ ...fast, port: insole.config.port, issuer: insole.issuer }, databaseUri);
    const other = await startTestInsole(fast, databaseUri);
    try {
      const kidsAt = async (instance: TestInsole) =>
        ((await (await fetch(`${instance.issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      const signIn = async (instance: TestInsole, email: string, screen: 'login' | 'signup') => {
        const config = await oidc.discovery(new URL(instance.issuer), 'test-storefront', 'test-storefront-secret-0123456789', undefined, { execute: [oidc.allowInsecureRequests] });
        const request = await buildAuthorization(config);
        const { callback } = await completeAuthorization(instance.issuer, request, { email, password: 'rotating keys safely' }, screen);
        return (await exchangeCode(config, callback, request)).id_token!;
      };
      const oldToken = await signIn(insole, 'keys@innovashoes.example', 'signup');
      const oldKid = decodeProtectedHeader(oldToken).kid!;

      const { code, out } = await cli(databaseUri, 'keys', 'rotate', '--activate-in', '4');
      assert.equal(code, 0);
      const newKid = /New signing key (\S+):/.exec(out)![1];
      assert.notEqual(newKid, oldKid);

      // Published first, on both instances, while the old key still signs.
      for (const instance of [insole, other]) {
        await until('the new key is published', async () => (await kidsAt(instance)).join() === [oldKid, newKid].join());
      }
      assert.equal(decodeProtectedHeader(await signIn(other, 'keys@innovashoes.example', 'login')).kid, oldKid);
      assert.match((await cli(databaseUri, 'keys', 'list')).out, new RegExp(`${newKid}\\tRS256\\t\\S+\\tpublished, signs from `));

      // Then it signs, and the old key stays published for what it signed.
      for (const instance of [insole, other]) {
        await until('the new key signs', async () => (await kidsAt(instance)).join() === [newKid, oldKid].join());
      }
      const newToken = await signIn(other, 'keys@innovashoes.example', 'login');
      assert.equal(decodeProtectedHeader(newToken).kid, newKid);
      // The provider built for the new key carries insole's own middleware too: the sign-in page at /authorize.
      const rebuilt = await oidc.discovery(new URL(other.issuer), 'test-storefront', 'test-storefront-secret-0123456789', undefined, { execute: [oidc.allowInsecureRequests] });
      const first = await fetch((await buildAuthorization(rebuilt)).url, { redirect: 'manual' });
      assert.equal(first.status, 200, `/authorize after the rotation answered ${first.status}`);
      assert.match(await first.text(), /action="\/interaction\/[^"]+\/login"/);
      // One key set on every instance: each verifies what the other signed, before and after.
      const keySet = createRemoteJWKSet(new URL(`${other.issuer}/.well-known/jwks.json`));
      for (const [token, issuer] of [[oldToken, insole.issuer], [newToken, other.issuer]]) {
        const { payload } = await jwtVerify(token, keySet, { issuer, algorithms: ['RS256'] });
        assert.equal(payload.email, 'keys@innovashoes.example');
      }
      const listed = (await cli(databaseUri, 'keys', 'list')).out;
      assert.match(listed, new RegExp(`${newKid}\\tRS256\\t\\S+\\tsigning`));
      assert.match(listed, new RegExp(`${oldKid}\\tRS256\\t\\S+\\tretired, published until `));

      // A compromised key leaves at once; the signing one cannot (rotate first).
      await assert.rejects(cli(databaseUri, 'keys', 'revoke', '--kid', newKid), /signs now: rotate first/);
      await assert.rejects(cli(databaseUri, 'keys', 'revoke', '--kid', 'no-such-key'), /No signing key "no-such-key"/);
      assert.equal((await cli(databaseUri, 'keys', 'revoke', '--kid', oldKid)).code, 0);
      for (const instance of [insole, other]) {
        await until('the revoked key leaves the JWKS', async () => (await kidsAt(instance)).join() === newKid);
      }
      const freshKeySet = createRemoteJWKSet(new URL(`${other.issuer}/.well-known/jwks.json`));
      await assert.rejects(jwtVerify(oldToken, freshKeySet, { issuer: insole.issuer, algorithms: ['RS256'] }), /no applicable key found/);
      assert.equal(decodeProtectedHeader(await signIn(insole, 'keys@innovashoes.example', 'login')).kid, newKid);
    } finally {
      await other.stop();
    }
  });

  test('keys rotate refuses a bad --activate-in and writes nothing', async () => {
    const before = await insole.db.collection('signing_keys').countDocuments();
    await assert.rejects(cli(databaseUri, 'keys', 'rotate', '--activate-in', 'soon'), /--activate-in must be a whole number of seconds/);
    await assert.rejects(cli(databaseUri, 'keys', 'rotate', '--activate-in', '-5'), /--activate-in/);
    assert.equal(await insole.db.collection('signing_keys').countDocuments(), before);
  });

  test('every command refuses an option that is not its own, before the database is opened', async () => {
    // parseArgs takes every command's options; each command takes only those its usage shows.
    const cases: [string[], string][] = [
      [['clients', 'create', '--name', 'Shop', '--redirect-uri', 'https://shop.example/cb', '--email', 'a@b.example'], 'clients create has no option --email'],
      [['clients', 'list', '--format', 'csv'], 'clients list has no option --format'],
      [['keys', 'rotate', '--kid', 'k1'], 'keys rotate has no option --kid'],
      [['keys', 'list', '--force'], 'keys list has no option --force'],
      [['keys', 'revoke', '--kid', 'k1', '--activate-in', '0'], 'keys revoke has no option --activate-in'],
      [['users', 'unblock', '--email', 'a@b.example', '--connection', 'google-oauth2'], 'users unblock has no option --connection'],
      [['users', 'grant-admin', '--email', 'a@b.example', '--scopes', 'read:users'], 'users grant-admin has no option --scopes'],
      [['seed', '--users', '10', '--upsert'], 'seed has no option --upsert'],
      [['reindex', '--limit', '5', '--connection', 'twitter'], 'reindex has no option --limit, --connection'],
    ];
    const unreachable = 'mongodb://127.0.0.1:9/unreachable';
    for (const [args, message] of cases) await assert.rejects(cli(unreachable, ...args), { name: 'CliError', message }, args.join(' '));
    // Only a command's own options are looked up: `constructor` is no command, and --help still prints the usage.
    assert.equal((await cli(unreachable, 'constructor')).code, 2);
    assert.equal((await cli(unreachable, 'keys', 'list', '--help', '--force')).code, 0);
  });

  test('an option no command has, or one missing its value, is a one-line usage error (exit 1), not a stack trace', async () => {
    const unreachable = 'mongodb://127.0.0.1:9/unreachable';
    const cases: [string[], RegExp][] = [
      [['clients', 'list', '--nope'], /^Unknown option '--nope' \(npm run insole -- --help lists each command's options\)$/],
      [['users', 'unblock', '--email'], /^Option '--email <value>' argument missing \(npm run insole -- --help/],
      [['clients', 'create', '--m2m=yes'], /^Option '--m2m' does not take an argument/],
    ];
    for (const [args, message] of cases) await assert.rejects(cli(unreachable, ...args), { name: 'CliError', message }, args.join(' '));
    const unknown = await cli(unreachable, 'client', 'list');
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /^insole has no command "client list"\./, 'the usage says which command it did not know');
  });

  test('clients create refuses an id a config file or the dashboard has (oidc-provider would use that one: the printed secret would never work), and writes nothing', async () => {
    const before = await insole.db.collection('oidc_client').countDocuments();
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--id', 'storefront', '--name', 'Shop', '--redirect-uri', 'https://shop.example/cb'),
      /^CliError: The client id "storefront" is taken by a client in a config file: choose another --id\.$/);
    await assert.rejects(cli(databaseUri, 'clients', 'create', '--id', 'insole-dashboard', '--m2m', '--scopes', 'read:users'), /is taken by insole's dashboard/);
    assert.equal(await insole.db.collection('oidc_client').countDocuments(), before);
  });

  const publishedAt = async (at: Date) => (await loadSigningKeys(insole.connection, signingKeysBox(insole.config), at)).map((key) => key.kid);

  test('keys rotate keeps the old key published until the Management API tokens it signed expire (24 h), not only the hour of ID tokens', async () => {
    const created = await cli(databaseUri, 'clients', 'create', '--m2m', '--scopes', 'read:users', '--name', 'Back office');
    const client = JSON.parse(created.out.slice(0, created.out.lastIndexOf('}') + 1)) as { client_id: string; client_secret: string };
    const { access_token } = await managementToken(insole, client);
    const [{ kid }, { exp }] = [decodeProtectedHeader(access_token), decodeJwt(access_token)];
    assert.equal((await cli(databaseUri, 'keys', 'rotate')).code, 0);
    // A back office keeps its token until it expires (Auth0's SDKs cache it): its key must be in the JWKS until then.
    assert.ok((await publishedAt(new Date(exp! * 1000 - 1000))).includes(kid!), 'the key of a Management API token still valid is no longer published');
  });

  test('keys revoke of a rotated-in key that does not sign yet cancels the rotation: the key it was to replace keeps signing, never no key at all', async () => {
    const later = new Date(Date.now() + 90 * 86_400_000); // past every grace period of the rotation below
    const [signerLater] = await publishedAt(later);
    const pending = /New signing key (\S+):/.exec((await cli(databaseUri, 'keys', 'rotate')).out)![1]!;
    assert.equal((await publishedAt(later))[0], pending);
    assert.equal((await cli(databaseUri, 'keys', 'revoke', '--kid', pending)).code, 0);
    assert.deepEqual(await publishedAt(later), [signerLater], 'the keys the revoked one was to replace stay, as before the rotation');
    assert.match((await cli(databaseUri, 'keys', 'list')).out, new RegExp(`^${signerLater}\\tRS256\\t\\S+\\t(signing|published, signs from \\S+)$`, 'm'));
  });

  test('another INSOLE_KEY_ENCRYPTION_KEY than the stored keys were sealed with: keys rotate and clients create refuse and write nothing, npm start stops in one line', async () => {
    const other = { INSOLE_KEY_ENCRYPTION_KEY: 'another-key-encryption-key-0123456789abcdef' };
    const counts = async () => [await insole.db.collection('signing_keys').countDocuments(), await insole.db.collection('oidc_client').countDocuments()];
    const before = await counts();
    const mismatch = /^KeyEncryptionKeyMismatch: The signing key \S+ in the database cannot be opened with this INSOLE_KEY_ENCRYPTION_KEY/;
    await assert.rejects(cliWithEnv(other, databaseUri, 'keys', 'rotate'), mismatch);
    await assert.rejects(cliWithEnv(other, databaseUri, 'clients', 'create', '--name', 'Shop', '--redirect-uri', 'https://shop.example/cb'), mismatch);
    assert.deepEqual(await counts(), before, 'nothing the running instances could not open');

    const port = await freePort();
    const env = { ...process.env, ...other, MONGODB_URI: databaseUri, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, NODE_ENV: 'development', LOG_LEVEL: 'silent' };
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 1);
    assert.match(stderr, /^The signing key \S+ in the database cannot be opened with this INSOLE_KEY_ENCRYPTION_KEY/);
    assert.equal(stderr.trim().split('\n').length, 1, `one line, no stack: ${stderr}`);
  });

  test('private signing keys are stored encrypted', async () => {
    const stored = await insole.db.collection('signing_keys').findOne({});
    assert.ok(stored);
    assert.deepEqual(Object.keys(stored.private_jwk).sort(), ['data', 'iv', 'tag']);
    assert.doesNotMatch(JSON.stringify(stored), /"d":/);
  });
});
