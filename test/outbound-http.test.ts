import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';
import { outboundHttpSchema } from '../src/config/outbound-http-schema.ts';
import { createOutboundHttp, type OutboundHttp } from '../src/integrations/http-dispatcher.ts';
import { ApiError, callJsonApi } from '../src/integrations/json-api.ts';
import { createRequest } from '../src/hooks/rules/request-shim.ts';
import { createRuleScope } from '../src/hooks/rules/rule-scope.ts';
import { fullContactPerson, startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { startFakeXApi, type FakeXApi } from './fakes/fake-x-api.ts';
import { startEgressProxy, type EgressProxy } from './support/egress-proxy.ts';
import { hookSettings, until, userByEmail } from './support/hooks.ts';
import { rulesFolder, startRecordingApi, type RecordingApi } from './support/rules-fixtures.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshGoogle, freshTwitter, socialTrip, storefrontTokens } from './support/social-steps.ts';
import { startTrickleServer, type TrickleServer } from './support/trickle-server.ts';

/** Every call insole makes goes out through one undici dispatcher: the store's egress proxy, pools, timeouts, a size cap. */

const settings = (values: Record<string, unknown> = {}) => outboundHttpSchema.parse(values);
const hostOf = (url: string) => new URL(url).host;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const withCredentials = (proxyUrl: string) => proxyUrl.replace('http://', 'http://egress:s3cret@');
const longSignal = () => AbortSignal.timeout(60_000);

/** A rule that asks the store's own API about every shopper, with the `request` library's call shape. */
const ASK_RULE = (api: string) => `function (user, context, callback) {
  request.get({ url: '${api}/crm/lookup', qs: { email: user.email }, json: true }, function (err, response) {
    if (err) return callback(err);
    context.idToken['https://innovashoes.example/crm'] = response.statusCode;
    callback(null, user, context);
  });
}`;

describe("insole's outbound calls go through the store's egress proxy", () => {
  let proxy: EgressProxy;
  let fullcontact: FakeFullContact;
  let x: FakeXApi;
  let crm: RecordingApi;
  let world: SocialWorld;
  before(async () => {
    proxy = await startEgressProxy();
    [fullcontact, x, crm] = await Promise.all([startFakeFullContact(), startFakeXApi(), startRecordingApi(() => ({ json: { ok: true } }))]);
    world = await startSocialWorld({
      ...hookSettings({ fullcontact, x }),
      rules: { folder: await rulesFolder({ '01-crm.js': ASK_RULE(crm.url) }) },
      outbound_http: { proxy: { http_proxy: withCredentials(proxy.url) } },
    });
  });
  after(async () => {
    await world.close();
    await Promise.all([fullcontact.close(), x.close(), crm.close(), proxy.close()]);
  });
  beforeEach(() => proxy.reset());

  test("a Google sign-in's token and profile calls, its FullContact and X jobs and a rule's request are all proxied, with the proxy's credentials", async () => {
    const account = freshGoogle(world);
    fullcontact.know(account.email, fullContactPerson({ email: account.email, twitter: 'trail_ada' }));
    const trip = await socialTrip(world.insole, 'google-oauth2');
    const tokens = await storefrontTokens(trip, trip.landing);
    assert.equal(tokens.claims()!['https://innovashoes.example/crm'], 200, "the rule's request was answered");
    const user = await userByEmail(world.insole, account.email);
    await until('FullContact found an X handle and sentiment ran', async () => x.searchCalls().length === 1 && fullcontact.enrichCalls().length === 1);

    const google = hostOf(world.google.url);
    assert.deepEqual(proxy.forwards.filter((f) => f.includes(google)).map((f) => f.replace(/\?.*/, '')).sort(),
      [`GET http://${google}/v3/userinfo`, `POST http://${google}/token`], 'passport-oauth2 calls Google through our agent');
    for (const api of [fullcontact.url, x.url, crm.url]) {
      assert.ok(proxy.tunnels.includes(hostOf(api)), `a CONNECT tunnel to ${hostOf(api)}`);
    }
    assert.ok(proxy.authorizations.length >= 5);
    assert.ok(proxy.authorizations.every((value) => value === basic('egress', 's3cret')), 'the credentials of the proxy URL, on every call');
    assert.ok(user, 'the shopper exists');
  });

  test("X sign-in's OAuth 1.0a calls cannot be given an agent and go direct (README: Outbound HTTP)", async () => {
    freshTwitter(world);
    const trip = await socialTrip(world.insole, 'twitter');
    await storefrontTokens(trip, trip.landing);
    const twitter = hostOf(world.twitter.url);
    assert.ok(world.twitter.requests.some((r) => r.path === '/oauth/access_token'), 'the sign-in reached X');
    assert.deepEqual([...proxy.forwards, ...proxy.tunnels].filter((entry) => entry.includes(twitter)), []);
  });
});

describe('the dispatcher on its own', () => {
  let proxy: EgressProxy;
  let near: FakeFullContact;
  let far: FakeFullContact;
  before(async () => {
    proxy = await startEgressProxy();
    [near, far] = await Promise.all([startFakeFullContact(), startFakeFullContact()]);
  });
  after(() => Promise.all([proxy.close(), near.close(), far.close()]));
  beforeEach(() => { proxy.reset(); near.reset(); far.reset(); });

  const enrich = (http: OutboundHttp, api: FakeFullContact) => callJsonApi({
    http, service: 'FullContact', url: `${api.url}/v3/person.enrich`, method: 'POST', signal: longSignal(),
    headers: { authorization: `Bearer ${api.apiKey}` }, body: { email: 'nobody@example.com' }, expect: [404],
  });

  test('NO_PROXY hosts are reached directly, the others through the proxy — for fetch and for the Node agents', async () => {
    const http = createOutboundHttp(settings({ proxy: { http_proxy: proxy.url, no_proxy: `example.com, ${hostOf(near.url)}` } }));
    try {
      await enrich(http, near);
      await enrich(http, far);
      await new Promise<void>((resolve, reject) => {
        httpRequest(`${near.url}/v3/person.enrich`, { agent: http.nodeAgent('http:'), method: 'POST' }, (res) => res.resume().on('end', resolve)).on('error', reject).end('{}');
      });
      assert.deepEqual(proxy.tunnels, [hostOf(far.url)]);
      assert.deepEqual(proxy.forwards, [], "the Node agent went straight to the NO_PROXY host too");
      assert.equal(near.enrichCalls().length, 2);
    } finally {
      await http.close(0);
    }
  });

  test('a call the proxy refuses fails, and never goes around it', async () => {
    const http = createOutboundHttp(settings({ proxy: { http_proxy: proxy.url } }));
    proxy.refuse = true;
    try {
      await assert.rejects(enrich(http, far), (err: ApiError) => err.failure === 'network');
      assert.equal(far.calls.length, 0, 'the API never heard of it');
      assert.equal(proxy.tunnels.length, 1);
    } finally {
      await http.close(0);
    }
  });

  test('connections are pooled per origin and kept alive between calls, and close() ends them', async () => {
    const http = createOutboundHttp(settings({ proxy: { http_proxy: proxy.url } }));
    for (let i = 0; i < 10; i++) await enrich(http, near);
    for (let i = 0; i < 10; i++) await enrich(http, far);
    const tunnelsTo = (api: FakeFullContact) => proxy.tunnels.filter((t) => t === hostOf(api.url)).length;
    assert.equal(near.enrichCalls().length + far.enrichCalls().length, 20);
    assert.ok(tunnelsTo(near) >= 1 && tunnelsTo(near) <= 3, `10 calls to one origin used ${tunnelsTo(near)} tunnels`);
    assert.ok(tunnelsTo(far) >= 1 && tunnelsTo(far) <= 3, `10 calls to another used ${tunnelsTo(far)} tunnels`);
    assert.ok(proxy.openTunnels() >= 2, 'idle connections stay open for the next call');
    await http.close(0);
    await until('the pooled connections are closed', () => proxy.openTunnels() === 0);
  });

  test('the proxy settings come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower case wins), and only through the config loader', () => {
    const config = loadConfig({ env: { HTTP_PROXY: 'http://upper:3128', http_proxy: 'http://lower:3128', HTTPS_PROXY: 'http://tls-egress:3128', NO_PROXY: 'localhost,.internal' } });
    assert.deepEqual(config.outbound_http.proxy, { http_proxy: 'http://lower:3128', https_proxy: 'http://tls-egress:3128', no_proxy: 'localhost,.internal', tunnel_http: true });
    assert.deepEqual(loadConfig({ env: { HTTPS_PROXY: '' } }).outbound_http.proxy, { tunnel_http: true }, 'empty means unset');
    assert.throws(() => loadConfig({ env: { HTTPS_PROXY: 'proxy.internal:3128' } }), (err: ConfigError) => err.problems.some((p) => p.startsWith('outbound_http.proxy.https_proxy')));
  });
});

describe('a server that trickles bytes, floods, or says nothing', () => {
  let server: TrickleServer;
  let http: OutboundHttp;
  before(async () => {
    server = await startTrickleServer();
    http = createOutboundHttp(settings({ body_timeout_ms: 300, headers_timeout_ms: 300, max_response_bytes: 256 * 1024 }));
  });
  after(async () => { await http.close(0); await server.close(); });

  const call = (path: string, signal = longSignal()) => callJsonApi({ http, service: 'FullContact', url: `${server.url}${path}`, signal, expect: [200] });
  const lastSent = () => server.sent.at(-1)!;

  test('a pause between two body chunks longer than body_timeout_ms cuts the answer off (a timeout, retried later)', async () => {
    const signal = longSignal();
    await assert.rejects(call('/trickle?every=1500&bytes=5', signal), (err: ApiError) => err.failure === 'timeout' && /UND_ERR_BODY_TIMEOUT/.test(err.message));
    assert.equal(signal.aborted, false, "the dispatcher's body timeout fired, not the caller's deadline");
    await until('the server sees the connection closed', () => lastSent().clientClosed);
    assert.equal(lastSent().finished, false);
  });

  test('a steady trickle within body_timeout_ms is bounded by the caller\'s deadline', async () => {
    const signal = AbortSignal.timeout(1_500);
    await assert.rejects(call('/trickle?every=50&bytes=100000', signal), (err: ApiError) => err.failure === 'timeout');
    assert.equal(signal.aborted, true);
    await until('the server sees the connection closed', () => lastSent().clientClosed);
    assert.ok(lastSent().bytes < 100_000, `it stopped sending after ${lastSent().bytes} bytes`);
  });

  test('no headers within headers_timeout_ms is a timeout', async () => {
    await assert.rejects(call('/silent'), (err: ApiError) => err.failure === 'timeout' && /UND_ERR_HEADERS_TIMEOUT/.test(err.message));
  });

  test('an answer over max_response_bytes fails as it arrives, without reading it all', async () => {
    await assert.rejects(call('/flood?chunk=65536&total=20971520'), (err: ApiError) => err.failure === 'bad_response' && err.message.includes('larger than 262144 bytes'));
    await until('the server sees the connection closed', () => lastSent().clientClosed);
    assert.equal(lastSent().finished, false, 'the 20 MiB answer was not read to its end');
  });

  test('a declared Content-Length over the cap fails before any body is read', async () => {
    await assert.rejects(call('/declared?length=10485760'), (err: ApiError) => err.failure === 'bad_response');
  });

  test('an error status is the answer even when its body stalls or floods: a 429 keeps its Retry-After', async () => {
    await assert.rejects(call('/declared?length=100&status=429&retry_after=3600'),
      (err: ApiError) => err.failure === 'status' && err.status === 429 && err.retryAfterMs === 3_600_000);
    await assert.rejects(call('/flood?chunk=65536&total=20971520&status=503'), (err: ApiError) => err.failure === 'status' && err.status === 503);
    await until('the server sees the connection closed', () => lastSent().clientClosed);
    assert.equal(lastSent().finished, false, 'the error body was not read');
  });

  test("the rules' `request` gets the `request` library's codes: ERESPONSETOOLARGE and ETIMEDOUT", async () => {
    const outcome = (path: string) => new Promise<{ code?: string }>((resolve) => {
      const run = createRuleScope('probe.js', 10_000, (err) => resolve(err as { code?: string }));
      createRequest(run.scope, http)(`${server.url}${path}`, (err: { code?: string } | null) => resolve(err ?? {}));
    });
    assert.equal((await outcome('/flood?chunk=65536&total=20971520')).code, 'ERESPONSETOOLARGE');
    assert.equal((await outcome('/trickle?every=1500&bytes=5')).code, 'ETIMEDOUT');
  });
});
