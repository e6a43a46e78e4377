import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { loadConfig } from '../src/config/load-config.ts';
import { loadRuleFiles, RuleLoadError } from '../src/hooks/rules/rule-files.ts';
import { CRITICAL_RULE_MESSAGE } from '../src/hooks/rules/rules.step.ts';
import { STOREFRONT, TEST_API, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc, signInForTokens } from './support/relying-party.ts';
import { newShopper, rulesFolder, startRecordingApi, startWithRules, type RecordingApi } from './support/rules-fixtures.ts';
import { UserAgent } from './support/user-agent.ts';
import { socialSignIn, startSocialWorld, tokensFor, type SocialWorld } from './support/social.ts';
import { freshTwitter } from './support/social-steps.ts';

const userByEmail = (insole: TestInsole, email: string) => insole.db.collection('users').findOne({ email });
const lines = (logged: string[]) => logged.map((line) => JSON.parse(line) as Record<string, unknown>);

/** Signs in (or up) through the hosted page and returns where insole sent the browser back to the storefront. */
async function signInAt(insole: TestInsole, shopper: { email: string; password: string }, screen: 'login' | 'signup' = 'signup') {
  const rp = await discoverStorefront(insole.issuer);
  const request = await buildAuthorization(rp);
  const { callback } = await completeAuthorization(insole.issuer, request, shopper, screen);
  return new URL(callback);
}

describe('Auth0 rules from the user-analytics article run unchanged', () => {
  let fullcontact: RecordingApi;
  let sentiment: RecordingApi;
  let insole: TestInsole;
  const person = {
    fullName: 'Sam Trails', ageRange: '30-39', gender: 'Male', location: 'Boulder, Colorado, United States',
    details: { profiles: { twitter: { username: 'samtrails', service: 'twitter' } }, interests: [{ name: 'Running', affinity: 'HIGH' }] },
  };

  before(async () => {
    fullcontact = await startRecordingApi((call) => (call.query.get('email') ?? call.body).includes('known') ? { json: person } : { status: 404, json: { message: 'Profile not found' } });
    sentiment = await startRecordingApi(() => ({ json: { score: -3, tweets_analyzed: 4 } }));
    insole = await startWithRules(
      { '01-fullcontact.js': { example: '01-fullcontact-enrichment.js' }, '02-sentiment.js': { example: '02-twitter-sentiment.js' } },
      { configuration: { FULLCONTACT_KEY: 'fc-key', FULLCONTACT_URL: `${fullcontact.url}/v3/person.enrich`, SENTIMENT_URL: `${sentiment.url}/sentiment`, SENTIMENT_SECRET: 's3cret' } },
    );
  });
  after(async () => {
    await insole.stop();
    await Promise.all([fullcontact.close(), sentiment.close()]);
  });

  test('the FullContact rule stores the enrichment in user_metadata, the sentiment rule its answer in app_metadata', async () => {
    const shopper = newShopper('known');
    const { tokens } = await signInForTokens(insole.issuer, shopper, 'signup');
    assert.equal(tokens.claims()?.email, shopper.email, 'the sign-in completed');

    const [enrich] = fullcontact.callsTo('/v3/person.enrich');
    assert.equal(enrich.method, 'POST');
    assert.equal(enrich.headers.authorization, 'Bearer fc-key');
    assert.deepEqual(JSON.parse(enrich.body), { email: shopper.email });
    const [analyse] = sentiment.callsTo('/sentiment');
    assert.deepEqual(JSON.parse(analyse.body), { twitterHandle: 'samtrails', secret: 's3cret' }, 'the handle FullContact found, from the previous rule');
    assert.equal(analyse.headers['content-type'], 'application/json');

    const user = await userByEmail(insole, shopper.email);
    assert.deepEqual(user?.user_metadata, { fullcontact: person });
    assert.deepEqual(user?.app_metadata, { sentiment_initialized: true, sentiment: { score: -3, tweets_analyzed: 4 } });

    // Next sign-in: both rules see what they stored and do not call again (once per user).
    await signInForTokens(insole.issuer, shopper, 'login');
    assert.equal(fullcontact.callsTo('/v3/person.enrich').length, 1);
    assert.equal(sentiment.callsTo('/sentiment').length, 1);
  });

  test('when FullContact does not know the shopper, both rules let the sign-in through and store nothing', async () => {
    const shopper = newShopper('stranger');
    const before = sentiment.calls.length;
    const { tokens } = await signInForTokens(insole.issuer, shopper, 'signup');
    assert.ok(tokens.id_token);
    const user = await userByEmail(insole, shopper.email);
    assert.deepEqual(user?.user_metadata, {});
    assert.deepEqual(user?.app_metadata, {});
    assert.equal(sentiment.calls.length, before, 'no handle, no sentiment call');
  });
});

describe('the sentiment rule after a Twitter sign-in', () => {
  let sentiment: RecordingApi;
  let world: SocialWorld;

  before(async () => {
    sentiment = await startRecordingApi(() => ({ json: { score: 2, tweets_analyzed: 7 } }));
    world = await startSocialWorld({
      rules: {
        folder: await rulesFolder({
          '01-sentiment.js': { example: '02-twitter-sentiment.js' },
          '02-connection.js': `function (user, context, callback) {
  context.idToken['https://innovashoes.example/via'] = context.connection + '/' + context.connectionStrategy;
  callback(null, user, context);
}`,
        }),
        configuration: { SENTIMENT_URL: `${sentiment.url}/sentiment`, SENTIMENT_SECRET: 's3cret' },
      },
    });
  });
  after(async () => {
    await world.close();
    await sentiment.close();
  });

  test('sends the X (Twitter) screen name once, and the connection is twitter', async () => {
    const account = freshTwitter(world);
    const tokens = await tokensFor(await socialSignIn(world.insole, 'twitter'));
    assert.equal(decodeJwt(tokens.id_token!)['https://innovashoes.example/via'], 'twitter/twitter');
    assert.deepEqual(sentiment.calls.map((c) => JSON.parse(c.body)), [{ twitterHandle: account.screen_name, secret: 's3cret' }]);
    const user = await world.insole.db.collection('users').findOne({ user_id: `twitter|${account.id_str}` });
    assert.deepEqual(user?.app_metadata, { sentiment_initialized: true, sentiment: { score: 2, tweets_analyzed: 7 } });
  });
});

describe('the request shapes of the original rules (FullContact v2, request(options, cb), a helper after the rule)', () => {
  let api: RecordingApi;
  let insole: TestInsole;
  const v2 = { status: 200, likelihood: 0.95, socialProfiles: [{ type: 'facebook', username: 'sam.t' }, { type: 'twitter', username: 'samtrails' }] };

  before(async () => {
    api = await startRecordingApi((call) => call.path === '/v2/person.json' ? { text: JSON.stringify(v2), contentType: 'application/json; charset=utf-8' } : { json: { queued: true } });
    insole = await startWithRules({
      '10-fullcontact-v2.js': `function (user, context, callback) {
  var apiKey = configuration.FULLCONTACT_KEY;
  if (!user.email) return callback(null, user, context);
  if (user.user_metadata && user.user_metadata.fullContactInfo) return callback(null, user, context);
  request({
    url: '${api.url}/v2/person.json',
    qs: { email: user.email, apiKey: apiKey }
  }, function (error, response, body) {
    if (error || (response && response.statusCode !== 200)) return callback(null, user, context);
    user.user_metadata = user.user_metadata || {};
    user.user_metadata.fullContactInfo = JSON.parse(body);
    auth0.users.updateUserMetadata(user.user_id, user.user_metadata);
    return callback(null, user, context);
  });
}`,
      '20-sentiment.js': `function (user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  if (user.app_metadata.sentiment_initialized) return callback(null, user, context);
  var handle = twitterHandleOf(user);
  if (!handle) return callback(null, user, context);
  request.post({
    url: '${api.url}/twittersentiment',
    json: { twitterHandle: handle, secretToken: configuration.SENTIMENT_SECRET },
    timeout: 15000
  }, function (err, response, body) {
    if (err) return callback(new Error(err));
    user.app_metadata.sentiment_initialized = true;
    auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
      .then(function () { callback(null, user, context); })
      .catch(function (err) { callback(err); });
  });
}

function twitterHandleOf(user) {
  var info = user.user_metadata.fullContactInfo || user.app_metadata.fullContactInfo;
  if (info && info.socialProfiles) {
    for (var key in info.socialProfiles) {
      if (info.socialProfiles[key].type === 'twitter') return info.socialProfiles[key].username;
    }
  }
  return null;
}`,
    }, { configuration: { FULLCONTACT_KEY: 'v2-key', SENTIMENT_SECRET: 'token' } });
  });
  after(async () => {
    await insole.stop();
    await api.close();
  });

  test('query string, a string body parsed by the rule, a JSON post, and a promise from updateAppMetadata', async () => {
    const shopper = newShopper('v2');
    await signInForTokens(insole.issuer, shopper, 'signup');
    const [lookup] = api.callsTo('/v2/person.json');
    assert.equal(lookup.method, 'GET');
    assert.equal(lookup.query.get('email'), shopper.email);
    assert.equal(lookup.query.get('apiKey'), 'v2-key');
    const [post] = api.callsTo('/twittersentiment');
    assert.deepEqual(JSON.parse(post.body), { twitterHandle: 'samtrails', secretToken: 'token' });
    const user = await userByEmail(insole, shopper.email);
    assert.deepEqual(user?.user_metadata, { fullContactInfo: v2 });
    assert.deepEqual(user?.app_metadata, { sentiment_initialized: true });
  });
});

describe("the `request` library's options", () => {
  let api: RecordingApi;
  let insole: TestInsole;

  before(async () => {
    api = await startRecordingApi((call) => {
      if (call.path === '/slow') return { never: true };
      if (call.path === '/form') return { text: 'ok', contentType: 'text/plain' };
      return { json: { path: call.path, query: [...call.query], body: call.body } };
    });
    insole = await startWithRules({
      '01-requests.js': `function (user, context, callback) {
  var seen = {};
  request.get('${api.url}/echo?x=1', { qs: { tags: ['a', 'b'] }, json: true, headers: { 'X-Rule': 'yes' } }, function (err, res, body) {
    seen.get = { status: res.statusCode, type: res.headers['content-type'], query: body.query };
    request.post({ url: '${api.url}/form', form: { a: '1', b: 'two words' } }, function (err, res, body) {
      seen.form = body;
      request.put({ uri: '${api.url}/json', json: true, body: { n: 1 }, auth: { bearer: 'tok' } }, function (err, res, body) {
        seen.put = body.body;
        request({ url: '${api.url}/slow', timeout: 50 }, function (err) {
          seen.timeout = err && err.code;
          request.get({ url: 'file:///etc/passwd' }, function (err) {
            seen.file = err && err.message;
            request.get({ url: '${api.url.replace('http://', 'http://crm:p%40ss@')}/basic', json: true }, function (err, res) {
              seen.basic = err ? err.message : res.statusCode;
              auth0.users.updateAppMetadata(user.user_id, seen).then(function () { callback(null, user, context); });
            });
          });
        });
      });
    });
  });
}`,
    });
  });
  after(async () => {
    await insole.stop();
    await api.close();
  });

  test('qs, json, form, body, headers, auth, credentials in the URL, timeout and the callback shape work as in `request`', async () => {
    const shopper = newShopper('requests');
    await signInForTokens(insole.issuer, shopper, 'signup');
    const seen = (await userByEmail(insole, shopper.email))?.app_metadata;
    assert.deepEqual(seen?.get, { status: 200, type: 'application/json', query: [['x', '1'], ['tags', 'a'], ['tags', 'b']] });
    assert.equal(seen?.form, 'ok');
    assert.equal(seen?.put, '{"n":1}');
    assert.equal(seen?.timeout, 'ETIMEDOUT');
    assert.match(seen?.file, /Invalid protocol/);

    const [get] = api.callsTo('/echo');
    assert.equal(get.headers['x-rule'], 'yes');
    assert.equal(get.headers.accept, 'application/json');
    const [form] = api.callsTo('/form');
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(form.body, 'a=1&b=two+words');
    const [put] = api.callsTo('/json');
    assert.equal(put.method, 'PUT');
    assert.equal(put.headers['content-type'], 'application/json');
    assert.equal(put.headers.authorization, 'Bearer tok');
    // fetch refuses user:password@ and its error repeats the URL, password included, to the rule and the logs.
    assert.equal(seen?.basic, 200);
    const [basic] = api.callsTo('/basic');
    assert.equal(basic.headers.authorization, `Basic ${Buffer.from('crm:p@ss').toString('base64')}`, 'sent as Basic auth, decoded, as `request` did');
  });
});

describe('a rule that hangs, loops or throws is skipped; the sign-in completes', () => {
  let slow: RecordingApi;
  let insole: TestInsole;
  const logged = captureLogs('info');

  before(async () => {
    slow = await startRecordingApi(() => ({ never: true }));
    insole = await startWithRules({
      '01-never-calls-back.js': 'function (user, context, callback) { user.app_metadata.hung = true; }',
      '02-loops.js': 'function (user, context, callback) { while (true) {} }',
      '03-waits-on-a-silent-api.js': `function (user, context, callback) {
  // Only an answer would let it go on; a dropped pooled connection must not end the wait early.
  request.get({ url: '${slow.url}/never', json: true }, function (err) { if (!err) callback(null, user, context); });
}`,
      '04-throws.js': 'function (user, context, callback) { throw new Error("enrichment exploded"); }',
      '05-throws-in-a-callback.js': `function (user, context, callback) {
  setTimeout(function () { null.boom; }, 1);
}`,
      '06-forgets-catch.js': `function (user, context, callback) {
  auth0.users.updateUserMetadata(user.user_id, { kept: 'from a rule that failed later' })
    .then(function () { throw new Error('lost in a promise'); });
}`,
      '07-callback-error.js': 'function (user, context, callback) { callback(new Error("sentiment service is down")); }',
      '075-async-throws.js': 'async function (user, context, callback) { await null; throw new Error("async boom"); }',
      '08-runs-after.js': `function (user, context, callback) {
  user.app_metadata.after = true;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata).then(function () { callback(null, user, context); });
}`,
    }, { timeout_ms: 1_000 }, logged.logger); // roomy: the rules that should finish must, even on a loaded machine
  });
  after(async () => {
    await insole.stop();
    await slow.close();
  });

  test('each failing rule is cut at its budget or skipped, logged by name, and the later rule still runs', async () => {
    const shopper = newShopper('patient');
    const { tokens } = await signInForTokens(insole.issuer, shopper, 'signup');
    assert.ok(tokens.id_token, 'signed in');

    const user = await userByEmail(insole, shopper.email);
    assert.deepEqual(user?.app_metadata, { after: true }, 'the last rule ran; the hung rule\'s change to `user` was dropped with it');
    assert.deepEqual(user?.user_metadata, { kept: 'from a rule that failed later' }, 'an update a rule asked for is written even if the rule fails afterwards');

    const skipped = new Map(lines(logged.lines).filter((l) => l.msg && String(l.msg).startsWith('rule ') && l.reason).map((l) => [l.rule, l]));
    assert.equal(skipped.get('01-never-calls-back.js')?.timed_out, true);
    assert.match(String(skipped.get('01-never-calls-back.js')?.reason), /did not call back within 1000 ms/);
    assert.equal(skipped.get('02-loops.js')?.timed_out, true, 'a synchronous loop is cut by the vm timeout');
    assert.equal(skipped.get('03-waits-on-a-silent-api.js')?.timed_out, true);
    assert.match(String(skipped.get('04-throws.js')?.reason), /enrichment exploded/);
    assert.match(String(skipped.get('05-throws-in-a-callback.js')?.reason), /Cannot read properties of null/);
    assert.equal(skipped.get('06-forgets-catch.js')?.timed_out, true, 'an error lost in a promise chain ends as a timeout, not a crash');
    assert.match(String(skipped.get('07-callback-error.js')?.reason), /sentiment service is down/);
    assert.match(String(skipped.get('075-async-throws.js')?.reason), /async boom/, 'an async rule that rejects');
    assert.equal(skipped.has('08-runs-after.js'), false);
    assert.equal(slow.callsTo('/never').length, 1);
  });
});

describe('critical rules and UnauthorizedError deny the sign-in', () => {
  let insole: TestInsole;

  before(async () => {
    insole = await startWithRules({
      '01-guard.js': `function (user, context, callback) {
  if (user.email.indexOf('hangs-') === 0) return;
  if (user.email.indexOf('throws-') === 0) throw new Error('fraud check unavailable');
  callback(null, user, context);
}`,
      '02-on-hold.js': `function (user, context, callback) {
  if (user.email.indexOf('held-') === 0) return callback(new UnauthorizedError('Your account is on hold. Please contact support.'));
  callback(null, user, context);
}`,
    }, { timeout_ms: 300, critical: ['01-guard.js'] });
  });
  after(() => insole.stop());

  async function failedLogin(email: string) {
    return insole.db.collection('logs').findOne({ type: 'f', user_name: email });
  }

  test('a critical rule that throws denies: the storefront gets access_denied, the log says which rule and why', async () => {
    const shopper = newShopper('throws');
    const back = await signInAt(insole, shopper);
    assert.equal(back.origin + back.pathname, STOREFRONT.redirect_uri);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('error_description'), CRITICAL_RULE_MESSAGE);
    assert.equal(back.searchParams.get('code'), null);
    const log = await failedLogin(shopper.email);
    assert.deepEqual(log?.details, { rule: '01-guard.js', error: 'fraud check unavailable' });
    assert.equal(log?.client_id, STOREFRONT.client_id);
  });

  test('a critical rule that runs out of time denies', async () => {
    const shopper = newShopper('hangs');
    const back = await signInAt(insole, shopper);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.match(String((await failedLogin(shopper.email))?.details.error), /did not call back within 300 ms/);
  });

  test('callback(new UnauthorizedError(message)) denies with that message', async () => {
    const shopper = newShopper('held');
    const back = await signInAt(insole, shopper);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('error_description'), 'Your account is on hold. Please contact support.');
    const log = await failedLogin(shopper.email);
    assert.equal(log?.description, 'Your account is on hold. Please contact support.');
    assert.equal(log?.details.rule, '02-on-hold.js');
  });

  test('everyone else signs in', async () => {
    const { tokens } = await signInForTokens(insole.issuer, newShopper('fine'), 'signup');
    assert.ok(tokens.id_token);
  });
});

describe('custom claims from rules', () => {
  let insole: TestInsole;

  before(async () => {
    insole = await startWithRules({
      '01-claims.js': `function (user, context, callback) {
  var ns = 'https://innovashoes.example/';
  context.idToken[ns + 'segment'] = { gender: 'male', age_range: '30-39' };
  context.idToken[ns + 'logins'] = context.stats.loginsCount;
  context.idToken.plain_claim = 'left out';
  context.accessToken[ns + 'plan'] = 'gold';
  callback(null, user, context);
}`,
      '02-example.js': { example: '03-custom-claims.js' },
    });
  });
  after(() => insole.stop());

  test('namespaced claims are in the ID token and the JWT access token of the sign-in; plain names are not', async () => {
    const shopper = newShopper('claims');
    const { tokens, config } = await signInForTokens(insole.issuer, shopper, 'signup', { audience: TEST_API, scope: 'openid email profile offline_access read:orders' });
    const idToken = decodeJwt(tokens.id_token!);
    assert.deepEqual(idToken['https://innovashoes.example/segment'], { gender: 'male', age_range: '30-39' });
    assert.equal(idToken['https://innovashoes.example/logins'], 1);
    assert.equal(idToken['https://innovashoes.example/member_since'], new Date().toISOString().slice(0, 10), "the example rule's moment date");
    assert.equal(idToken.plain_claim, undefined);
    assert.equal(idToken.email, shopper.email, 'the standard claims are still there');

    const accessToken = decodeJwt(tokens.access_token);
    assert.equal(accessToken.aud, TEST_API);
    assert.equal(accessToken['https://innovashoes.example/plan'], 'gold');
    assert.equal(accessToken['https://innovashoes.example/email'], shopper.email);
    assert.equal(accessToken['https://innovashoes.example/segment'], undefined, 'ID token claims stay in the ID token');

    // Tokens refreshed later in the session carry what the rules set at sign-in.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(decodeJwt(refreshed.id_token!)['https://innovashoes.example/logins'], 1);
    assert.equal(decodeJwt(refreshed.access_token)['https://innovashoes.example/plan'], 'gold');
  });
});

describe("the rule's user and context", () => {
  let insole: TestInsole;

  before(async () => {
    insole = await startWithRules({
      '01-record.js': `function (user, context, callback) {
  var moment = require('moment');
  var fsError;
  try { require('fs'); } catch (err) { fsError = err.message; }
  auth0.users.updateAppMetadata(user.user_id, {
    context: {
      clientID: context.clientID, clientName: context.clientName, connection: context.connection,
      connectionStrategy: context.connectionStrategy, protocol: context.protocol,
      ip: context.request.ip, userAgent: context.request.userAgent, loginsCount: context.stats.loginsCount,
      query: { prompt: context.request.query.prompt, ui_locales: context.request.query.ui_locales, scope: context.request.query.scope }
    },
    user: { user_id: user.user_id, email: user.email, provider: user.identities[0].provider, has_password_hash: 'password_hash' in user },
    moment: moment('2024-02-29').add(1, 'year').format('YYYY-MM-DD'),
    fs: fsError,
    configuration: configuration.GREETING
  }).then(function () { callback(null, user, context); });
}`,
    }, { configuration: { GREETING: 'hello' } });
  });
  after(() => insole.stop());

  test("carries Auth0's fields; require offers moment but not fs", async () => {
    const shopper = newShopper('context');
    const agent = new UserAgent(insole.issuer, { 'user-agent': 'InnovaShoesTest/1.0' });
    const rp = await discoverStorefront(insole.issuer);
    const request = await buildAuthorization(rp, { prompt: 'login', ui_locales: 'de' });
    const { callback } = await completeAuthorization(insole.issuer, request, shopper, 'signup', agent);
    await exchangeCode(rp, callback, request);

    const recorded = (await userByEmail(insole, shopper.email))?.app_metadata;
    assert.equal(recorded?.context.clientID, STOREFRONT.client_id);
    assert.equal(recorded?.context.clientName, 'Test Storefront');
    assert.equal(recorded?.context.connection, 'Username-Password-Authentication');
    assert.equal(recorded?.context.connectionStrategy, 'auth0');
    assert.equal(recorded?.context.protocol, 'oidc-basic-profile');
    assert.match(recorded?.context.ip, /127\.0\.0\.1/);
    assert.equal(recorded?.context.userAgent, 'InnovaShoesTest/1.0');
    assert.equal(recorded?.context.loginsCount, 1);
    const { scope, ...query } = recorded?.context.query;
    assert.deepEqual(query, { prompt: 'login', ui_locales: 'de' }, 'the authorization request, as context.request.query');
    assert.match(scope, /^openid email profile/);
    assert.deepEqual(recorded?.user, { user_id: recorded?.user.user_id, email: shopper.email, provider: 'auth0', has_password_hash: false });
    assert.match(recorded?.user.user_id, /^auth0\|/);
    assert.equal(recorded?.moment, '2025-02-28');
    assert.match(recorded?.fs, /Cannot find module 'fs'/);
    assert.equal(recorded?.configuration, 'hello');

    await signInAt(insole, shopper, 'login');
    assert.equal((await userByEmail(insole, shopper.email))?.app_metadata.context.loginsCount, 2, 'stats.loginsCount counts this sign-in');
  });
});

describe('metadata updates from rules', () => {
  let insole: TestInsole;

  before(async () => {
    insole = await startWithRules({
      '01-edit.js': `function (user, context, callback) {
  if (!user.app_metadata.seeded) return callback(null, user, context);
  delete user.app_metadata.drop;
  user.app_metadata.added = 2;
  user.user_metadata.color = null;
  user.user_metadata.size = 44;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata);
  auth0.users.updateUserMetadata(user.user_id, user.user_metadata).then(function () { callback(null, user, context); });
}`,
    });
  });
  after(() => insole.stop());

  test('replace the object as Auth0 does (a removed key is gone, null deletes); untouched values keep their type', async () => {
    const shopper = newShopper('metadata');
    await signInAt(insole, shopper, 'signup');
    const since = new Date('2024-05-01T00:00:00Z');
    await insole.db.collection('users').updateOne({ email: shopper.email }, { $set: { app_metadata: { seeded: true, since, drop: 1 }, user_metadata: { color: 'blue' } } });

    await signInAt(insole, shopper, 'login');
    const user = await userByEmail(insole, shopper.email);
    assert.deepEqual(user?.app_metadata, { seeded: true, since, added: 2 });
    assert.ok(user?.app_metadata.since instanceof Date, 'still a BSON date: the rule only saw its ISO string');
    assert.deepEqual(user?.user_metadata, { size: 44 });
  });
});

describe('rule files', () => {
  test('run in name order, .js only; one that does not compile is logged and left out', async () => {
    const folder = await rulesFolder({ 'b.js': 'function (u, c, cb) { cb(null, u, c); }', 'a.js': 'function (u, c, cb) { cb(null, u, c); }', 'broken.js': 'function (u, c, cb) { cb(null, u, c);', 'notes.md': '#' });
    const logged = captureLogs();
    const rules = loadRuleFiles({ folder, critical: [] }, logged.logger);
    assert.deepEqual(rules.map((r) => r.name), ['a.js', 'b.js']);
    assert.ok(lines(logged.lines).some((l) => l.rule === 'broken.js' && l.level === 50), 'an error line names the broken file');
  });

  test('a critical rule that does not compile, or is not there, stops insole from starting', async () => {
    const folder = await rulesFolder({ 'broken.js': 'function (u, c, cb) {' });
    const { logger } = captureLogs();
    assert.throws(() => loadRuleFiles({ folder, critical: ['broken.js'] }, logger), RuleLoadError);
    assert.throws(() => loadRuleFiles({ folder, critical: ['typo.js'] }, logger), /typo\.js, not found/);
  });

  test('no folder, no rules', () => {
    assert.deepEqual(loadRuleFiles({ folder: '/nonexistent/insole-rules', critical: [] }, captureLogs().logger), []);
  });

  test('RULE_CONFIG_<KEY> environment variables become configuration.<KEY>, over the config file', async () => {
    const file = join(await rulesFolder({}), 'insole.json');
    await writeFile(file, JSON.stringify({ rules: { configuration: { FULLCONTACT_KEY: 'from-file', SENTIMENT_URL: 'https://sentiment.example/' } } }));
    const config = loadConfig({ env: { NODE_ENV: 'test', INSOLE_CONFIG: file, RULE_CONFIG_FULLCONTACT_KEY: 'from-env' } });
    assert.deepEqual(config.rules.configuration, { FULLCONTACT_KEY: 'from-env', SENTIMENT_URL: 'https://sentiment.example/' });
    assert.equal(config.rules.timeout_ms, 5000);
    assert.equal(config.rules.pipeline_timeout_ms, 20_000);
  });
});
