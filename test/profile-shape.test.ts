// DESIGN "Contracts": the `users` and `logs` documents are read by teams migrating from Auth0 and by
// BI tools, so their shape in MongoDB (field names, BSON types, nothing extra) is the contract.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verify as argon2Verify } from '@node-rs/argon2';
import { decodeJwt } from 'jose';
import type { mongo } from 'mongoose';
import { startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { BROWSER_HEADERS, CheckedAgent } from './support/checked-agent.ts';
import { alertText } from './support/oauth-wire.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc } from './support/relying-party.ts';
import { readForm } from './support/user-agent.ts';

const EMAIL = 'shape.runner@innovashoes.example';
const PASSWORD = 'forefoot strike cadence';
const CONNECTION = 'Username-Password-Authentication';

// DESIGN's profile fields that a password sign-up fills (given_name, family_name: only from social
// providers), plus `blocked` (Auth0's admin block) and the password hash, which never leaves MongoDB.
const USER_KEYS = [
  '_id', 'user_id', 'email', 'email_verified', 'name', 'nickname', 'picture', 'identities',
  'created_at', 'updated_at', 'last_login', 'last_ip', 'logins_count', 'blocked', 'blocked_for',
  'user_metadata', 'app_metadata', 'password_hash',
];

// Auth0's log event fields (GET /api/v2/logs), plus our stable log_id for consumers to de-duplicate on.
const LOG_KEYS = [
  '_id', 'date', 'type', 'description', 'client_id', 'client_name', 'ip', 'user_agent', 'user_id', 'user_name',
  'connection', 'strategy', 'strategy_type', 'details', 'log_id',
];

const sorted = (keys: Iterable<string>) => [...keys].sort();
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$/;

describe('the Auth0-shaped documents in MongoDB after a sign-up, a sign-in and a wrong password', () => {
  let insole: TestInsole;
  let signupTokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let userinfo: oidc.UserInfoResponse;
  let user: mongo.WithId<mongo.Document>;
  let logs: mongo.WithId<mongo.Document>[];

  before(async () => {
    insole = await startTestInsole();
    const config = await discoverStorefront(insole.issuer);

    const signupRequest = await buildAuthorization(config);
    const signup = await completeAuthorization(insole.issuer, signupRequest, { email: EMAIL, password: PASSWORD }, 'signup', new CheckedAgent(insole.issuer));
    signupTokens = await exchangeCode(config, signup.callback, signupRequest);
    userinfo = await oidc.fetchUserInfo(config, signupTokens.access_token, signupTokens.claims()!.sub);

    // A second sign-in, in another browser (no session to reuse).
    const loginRequest = await buildAuthorization(config);
    const login = await completeAuthorization(insole.issuer, loginRequest, { email: EMAIL, password: PASSWORD }, 'login', new CheckedAgent(insole.issuer));
    await exchangeCode(config, login.callback, loginRequest);

    // And a wrong password.
    const browser = new CheckedAgent(insole.issuer);
    const page = await browser.get((await buildAuthorization(config)).url);
    const form = readForm(await page.res.text());
    const wrong = await browser.postForm(new URL(form.action, insole.issuer).href, { email: EMAIL, password: 'not the right password', _csrf: form.csrf });
    assert.equal(wrong.res.status, 401);
    assert.equal(alertText(await wrong.res.text()), 'Wrong email or password.');

    const found = await insole.db.collection('users').findOne({ email: EMAIL });
    assert.ok(found, 'the user is stored');
    user = found;
    // A log carries `outbox_pending` until its event is moved to event_outbox (within events.gather_ms);
    // at rest it is exactly Auth0's event.
    for (const deadline = Date.now() + 5000; await insole.db.collection('logs').countDocuments({ outbox_pending: true });) {
      assert.ok(Date.now() < deadline, 'log events still waiting to be moved to the outbox after 5 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    logs = await insole.db.collection('logs').find({ user_name: EMAIL }).sort({ date: 1, log_id: 1 }).toArray();
  });
  after(async () => { await insole.stop(); });

  describe('the users document', () => {
    test("has exactly DESIGN's profile fields, plus insole's derived facts (and insight events and login logs waiting for their move)", () => {
      const derived = ['facts', 'pending_events', 'pending_logs'];
      assert.deepEqual(sorted(Object.keys(user).filter((key) => !derived.includes(key))), sorted(USER_KEYS));
      assert.equal(typeof user.facts, 'object', 'facts are kept with the profile');
    });

    test('user_id is auth0|<24 hex> and matches the one identity, which is the password connection', () => {
      const hex = /^auth0\|([0-9a-f]{24})$/.exec(user.user_id)?.[1];
      assert.ok(hex, `user_id ${user.user_id}`);
      assert.deepEqual(user.identities, [{ provider: 'auth0', user_id: hex, connection: CONNECTION, isSocial: false }]);
      assert.equal(signupTokens.claims()!.sub, user.user_id, 'sub is the Auth0 user_id');
    });

    test('dates are BSON dates, in order, and the second sign-in moved last_login and updated_at', async () => {
      for (const field of ['created_at', 'updated_at', 'last_login']) {
        assert.ok(user[field] instanceof Date, `${field} is ${typeof user[field]}`);
        // Asked of the server too, so a string that merely looks like a date cannot pass.
        assert.equal(await insole.db.collection('users').countDocuments({ _id: user._id, [field]: { $type: 'date' } }), 1, `${field} is not a BSON date`);
      }
      assert.equal(await insole.db.collection('users').countDocuments({ _id: user._id, email: { $type: 'date' } }), 0, 'the $type check itself works');
      assert.ok(user.last_login.getTime() >= user.created_at.getTime());
      assert.equal(user.updated_at.getTime(), user.last_login.getTime());
    });

    test('the counters and the rest of the profile', () => {
      assert.equal(user.logins_count, 2, 'sign-up and one sign-in; the wrong password does not count');
      assert.match(user.last_ip, LOOPBACK);
      assert.equal(user.email, EMAIL);
      assert.equal(user.email_verified, false);
      assert.equal(user.name, EMAIL);
      assert.equal(user.nickname, 'shape.runner');
      assert.match(user.picture, /^https:\/\/s\.gravatar\.com\/avatar\/[0-9a-f]{32}\?/);
      assert.equal(user.blocked, false);
      assert.deepEqual(user.blocked_for, []);
      assert.deepEqual(user.user_metadata, {});
      assert.deepEqual(user.app_metadata, {});
    });

    test('password_hash is Argon2id with m=19456, t=2, p=1 and verifies the password', async () => {
      assert.match(user.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$/);
      assert.equal(await argon2Verify(user.password_hash, PASSWORD), true);
      assert.equal(await argon2Verify(user.password_hash, `${PASSWORD}x`), false);
    });

    test('the password hash is not in the ID token nor in /userinfo', () => {
      const idToken = decodeJwt(signupTokens.id_token!);
      for (const [where, claims] of [['ID token', idToken], ['userinfo', userinfo]] as const) {
        const json = JSON.stringify(claims);
        assert.ok(!json.includes(user.password_hash), `${where} carries the hash`);
        assert.ok(!/argon2|password/i.test(json), `${where} mentions the password: ${json}`);
      }
      assert.equal(idToken.sub, user.user_id);
      assert.equal(userinfo.email, EMAIL);
    });
  });

  describe('the logs documents', () => {
    const expected = {
      ss: { description: 'Success Signup', details: {} },
      s: { description: 'Success Login', details: {} },
      fp: { description: 'Failed Login (Incorrect Password)', details: { error: 'wrong password' } },
    };

    test('sign-up, sign-in and the wrong password wrote ss, s and fp, in that order', () => {
      assert.deepEqual(logs.map((l) => l.type), ['ss', 's', 'fp']);
    });

    for (const [type, { description, details }] of Object.entries(expected)) {
      test(`the ${type} event has exactly Auth0's fields with the right values and types`, async () => {
        const log = logs.find((l) => l.type === type);
        assert.ok(log, `no ${type} event`);
        assert.deepEqual(sorted(Object.keys(log)), sorted(LOG_KEYS));
        assert.ok(log.date instanceof Date);
        assert.equal(await insole.db.collection('logs').countDocuments({ _id: log._id, date: { $type: 'date' } }), 1, 'date is not a BSON date');
        assert.equal(log.description, description);
        assert.equal(log.client_id, STOREFRONT.client_id);
        assert.equal(log.client_name, 'Test Storefront');
        assert.match(log.ip, LOOPBACK);
        assert.equal(log.user_agent, BROWSER_HEADERS['user-agent']);
        assert.equal(log.user_id, user.user_id);
        assert.equal(log.user_name, EMAIL);
        assert.equal(log.connection, CONNECTION);
        assert.equal(log.strategy, 'auth0');
        assert.equal(log.strategy_type, 'database');
        assert.deepEqual(log.details, details);
        assert.equal(typeof log.log_id, 'string');
        assert.match(log.log_id, /^[0-9a-f]{32}$/);
      });
    }

    test('every event has its own log_id', () => {
      assert.equal(new Set(logs.map((l) => l.log_id)).size, logs.length);
    });
  });
});
