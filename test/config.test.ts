import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import express from 'express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';

const PRODUCTION_SECRETS = {
  INSOLE_COOKIE_SECRETS: 'a-real-production-cookie-key-0123456789abcdef',
  INSOLE_KEY_ENCRYPTION_KEY: 'a-real-production-key-encryption-key-012345',
};

describe('configuration', () => {
  test('defaults serve on 3000 with the issuer derived from the port', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.port, 3000);
    assert.equal(config.issuer, 'http://localhost:3000');
    assert.deepEqual(config.argon2, { memory_cost_kib: 19456, time_cost: 2, parallelism: 1 });
  });

  test('PORT=0 (any free port) is refused without ISSUER, which would name port 0; with ISSUER it is taken', () => {
    assert.throws(() => loadConfig({ env: { PORT: '0' } }), (err) => err instanceof ConfigError
      && err.problems.join('\n') === 'port: 0 (any free port) needs ISSUER: the default issuer, http://localhost:$PORT, would name port 0, not the one the system picks');
    const config = loadConfig({ env: { PORT: '0', ISSUER: 'https://id.innovashoes.example' } });
    assert.equal(config.port, 0);
    assert.equal(config.issuer, 'https://id.innovashoes.example');
  });

  test('environment variables override files, and secrets come from the environment', () => {
    const config = loadConfig({ env: { PORT: '8080', ISSUER: 'https://id.innovashoes.example/', ...PRODUCTION_SECRETS } });
    assert.equal(config.port, 8080);
    assert.equal(config.issuer, 'https://id.innovashoes.example');
    assert.deepEqual(config.secrets.cookie_keys, [PRODUCTION_SECRETS.INSOLE_COOKIE_SECRETS]);
  });

  test('production refuses the development secrets, http issuers and the embedded database, all at once', () => {
    const err = (() => { try { loadConfig({ env: { NODE_ENV: 'production' } }); } catch (e) { return e; } })();
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /cookie_keys/);
    assert.match(text, /key_encryption_key/);
    assert.match(text, /clients\.storefront\.client_secret/);
    assert.match(text, /issuer/);
    assert.match(text, /mongodb_uri/);
    assert.match(text, /mail\.smtp_url: [^\n]*set SMTP_URL/);
  });

  test('production behind https without a trusted proxy is refused (cookies would not be Secure)', () => {
    assert.throws(() => loadConfig({
      env: { NODE_ENV: 'production', ISSUER: 'https://id.innovashoes.example', MONGODB_URI: 'mongodb://db:27017/insole', ...PRODUCTION_SECRETS },
      overrides: { clients: [] },
    }), /trust_proxy/);
  });

  test('production starts with real secrets, an https issuer and a database', () => {
    const config = loadConfig({
      env: { NODE_ENV: 'production', ISSUER: 'https://id.innovashoes.example', MONGODB_URI: 'mongodb://db:27017/insole', TRUST_PROXY: '1', SMTP_URL: 'smtp://mail-relay:25', ...PRODUCTION_SECRETS },
      overrides: { clients: [] },
    });
    assert.equal(config.env, 'production');
  });

  test('MAIL_REPLY_TO sets mail.reply_to next to SMTP_URL; anything but a plain address is refused at start, naming the key', () => {
    const config = loadConfig({ env: { SMTP_URL: 'smtp://mail-relay:25', MAIL_REPLY_TO: 'support@innovashoes.example' } });
    assert.deepEqual([config.mail.smtp_url, config.mail.reply_to], ['smtp://mail-relay:25', 'support@innovashoes.example']);
    assert.equal(loadConfig({ env: {} }).mail.reply_to, undefined, 'unset by default: no Reply-To');
    for (const value of ['support', 'Support <support@innovashoes.example>', 'a@b.example, c@d.example']) {
      assert.throws(() => loadConfig({ env: { MAIL_REPLY_TO: value } }), (err) => err instanceof ConfigError && /mail\.reply_to: /.test(err.message), value);
    }
  });

  test('a malformed AMQP_URL is refused at start, naming the key and never repeating the password', () => {
    const err = (() => { try { loadConfig({ env: { AMQP_URL: 'amqp://insole:s3cret-pw@rabbitmq:notaport/shop' } }); } catch (e) { return e; } })();
    assert.ok(err instanceof ConfigError, 'refused while loading the configuration, not once insole is listening');
    assert.match(err.message, /events\.amqp_url: is not a valid URL/);
    assert.doesNotMatch(err.message, /s3cret-pw/);
    assert.equal(loadConfig({ env: { AMQP_URL: 'amqp://insole:s3cret-pw@rabbitmq:5672/shop' } }).events.amqp_url, 'amqp://insole:s3cret-pw@rabbitmq:5672/shop');
  });

  test('an SMTP_URL nodemailer would take and fail with at the first mail is refused at load; a relay URL with a percent-encoded password is kept as given', () => {
    const refused = (smtpUrl: string) => {
      try { loadConfig({ env: { SMTP_URL: smtpUrl } }); } catch (err) { if (err instanceof ConfigError) return err.problems.join('\n'); }
      return 'accepted';
    };
    assert.match(refused('smtp://insole:pw@relay.example:25x'), /^mail\.smtp_url: is not a valid URL/);
    assert.match(refused('relay.example:25'), /^mail\.smtp_url: must be an smtp:\/\/ or smtps:\/\/ URL/);
    assert.match(refused('smtp:///outbox'), /^mail\.smtp_url: names no host/);
    for (const smtpUrl of ['smtps://insole:p%23ss%40word@smtp.example:465', 'smtp://mail-relay:25?pool=true', 'smtp://[::1]:1025']) {
      assert.equal(loadConfig({ env: { SMTP_URL: smtpUrl } }).mail.smtp_url, smtpUrl);
    }
  });

  test('a MONGODB_URI naming no database is refused in every environment, without repeating it; one naming any database, test included, is kept', () => {
    for (const uri of ['mongodb://db:27017', 'mongodb://db-1:27017,db-2:27017/', 'mongodb://db:27017/?replicaSet=rs0', 'mongodb+srv://insole:db-pw-secret@cluster.example']) {
      for (const NODE_ENV of ['development', 'production']) {
        assert.throws(() => loadConfig({ env: { NODE_ENV, MONGODB_URI: uri } }), (err) => err instanceof ConfigError
          && err.problems.some((problem) => problem.startsWith('mongodb_uri: names no database (the driver would use "test")'))
          && !err.message.includes('db-pw-secret'), `${NODE_ENV} ${uri}`);
      }
    }
    for (const uri of ['mongodb://db:27017/insole', 'mongodb://db:27017/test', 'mongodb://db-1,db-2/insole?replicaSet=rs0', 'mongodb+srv://insole:pw@cluster.example/insole?retryWrites=true']) {
      assert.equal(loadConfig({ env: { MONGODB_URI: uri } }).mongodb_uri, uri);
    }
  });

  test("a first wait or one rule's budget above its ceiling is refused, naming both keys", () => {
    const refused = (overrides: Record<string, unknown>, message: RegExp) => assert.throws(() => loadConfig({ env: {}, overrides }), message);
    refused({ events: { reconnect_min_ms: 60_000 } }, /events\.reconnect_min_ms: must not exceed reconnect_max_ms \(30000\)/);
    refused({ hooks: { worker: { base_delay_ms: 60_000, max_delay_ms: 10_000 } } }, /hooks\.worker\.base_delay_ms: must not exceed max_delay_ms \(10000\)/);
    refused({ rules: { timeout_ms: 30_000 } }, /rules\.timeout_ms: must not exceed pipeline_timeout_ms \(20000\)/);
    assert.equal(loadConfig({ env: {}, overrides: { rules: { timeout_ms: 20_000 } } }).rules.timeout_ms, 20_000, 'equal is fine');
  });

  test('INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: comma-separated, open only; production refuses one equal to the current, listed twice or too short, naming its place and never a value', () => {
    const production = { NODE_ENV: 'production', ISSUER: 'https://id.innovashoes.example', MONGODB_URI: 'mongodb://db:27017/insole', TRUST_PROXY: '1', SMTP_URL: 'smtp://mail-relay:25', ...PRODUCTION_SECRETS };
    const older = 'an-older-production-key-encryption-key-0123';
    const refusal = (previous: string) => {
      try { loadConfig({ env: { ...production, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: previous }, overrides: { clients: [] } }); } catch (e) { return e; }
      return undefined;
    };
    // The development key as a previous one is how a deployment that started with it moves off it.
    const moving = loadConfig({ env: { ...production, INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: ` ${older} , development-key-encryption-key-change-me-00,` }, overrides: { clients: [] } });
    assert.deepEqual(moving.secrets.previous_key_encryption_keys, [older, 'development-key-encryption-key-change-me-00']);
    assert.deepEqual(loadConfig({ env: {} }).secrets.previous_key_encryption_keys, []);

    const same = refusal(`${older},${PRODUCTION_SECRETS.INSOLE_KEY_ENCRYPTION_KEY}`);
    assert.ok(same instanceof ConfigError);
    assert.deepEqual(same.problems, ['secrets.previous_key_encryption_keys.1 (INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS, item 2): equals INSOLE_KEY_ENCRYPTION_KEY; list there only the keys the current one replaced']);
    const twice = refusal(`${older},${older}`);
    assert.ok(twice instanceof ConfigError);
    assert.deepEqual(twice.problems, ['secrets.previous_key_encryption_keys.1 (INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS, item 2): listed twice']);
    const short = refusal(`${older},too-short-a-key`);
    assert.ok(short instanceof ConfigError);
    assert.match(short.problems.join('\n'), /^secrets\.previous_key_encryption_keys\.1: Too small/);
    for (const err of [same, twice, short]) {
      for (const secret of [older, PRODUCTION_SECRETS.INSOLE_KEY_ENCRYPTION_KEY, 'too-short-a-key']) assert.ok(!err.message.includes(secret), 'a key was repeated');
    }
  });

  test('short secrets and unknown keys are refused', () => {
    assert.throws(() => loadConfig({ env: { INSOLE_COOKIE_SECRETS: 'short' } }), /cookie_keys\.0/);
    assert.throws(() => loadConfig({ env: {}, overrides: { colour: 'red' } }), /colour/);
  });

  test('a TRUST_PROXY Express cannot compile is refused at load, naming trust_proxy; what is accepted, Express takes', () => {
    // Before, these passed the schema and stopped the start after the database with proxy-addr's TypeError and stack.
    for (const value of ['yes', '1.5', 'garbage', '10.0.0.1,', '10.0.0.0/33', '10.0.0.0/255.0.255.0', '::/0']) {
      assert.throws(() => loadConfig({ env: { TRUST_PROXY: value } }), (err) => err instanceof ConfigError && /^trust_proxy: must be/.test(err.problems.join()), value);
    }
    assert.throws(() => loadConfig({ env: {}, overrides: { trust_proxy: -1 } }), /trust_proxy/);
    for (const value of ['true', '1', '2', 'loopback', '10.0.0.1, 10.0.0.2', '10.0.0.0/8,uniquelocal', '10.0.0.0/255.255.0.0', 'fd00::/8']) {
      const { trust_proxy } = loadConfig({ env: { TRUST_PROXY: value } });
      assert.doesNotThrow(() => express().set('trust proxy', trust_proxy), value);
    }
  });

  test('TRUST_PROXY=0 trusts no proxy, as false: production behind https still asks for a trusted proxy', () => {
    assert.equal(loadConfig({ env: { TRUST_PROXY: '0' } }).trust_proxy, false);
    assert.throws(() => loadConfig({
      env: { NODE_ENV: 'production', ISSUER: 'https://id.innovashoes.example', MONGODB_URI: 'mongodb://db:27017/insole', TRUST_PROXY: '0', ...PRODUCTION_SECRETS },
      overrides: { clients: [] },
    }), /trust_proxy: the issuer is https/);
  });

  test('production refuses TRUST_PROXY=true: a client would name its own address in X-Forwarded-For and dodge the per-IP limits', () => {
    const production = { NODE_ENV: 'production', ISSUER: 'https://id.innovashoes.example', MONGODB_URI: 'mongodb://db:27017/insole', SMTP_URL: 'smtp://mail-relay:25', ...PRODUCTION_SECRETS };
    assert.throws(() => loadConfig({ env: { ...production, TRUST_PROXY: 'true' }, overrides: { clients: [] } }),
      (err) => err instanceof ConfigError && /^trust_proxy: true believes any X-Forwarded-For a client sends/.test(err.problems.join('\n')));
    assert.equal(loadConfig({ env: { ...production, TRUST_PROXY: '1' }, overrides: { clients: [] } }).trust_proxy, 1);
    assert.equal(loadConfig({ env: { TRUST_PROXY: 'true' } }).trust_proxy, true, 'outside production, as before');
  });

  test('"env" in a config file that NODE_ENV does not say is refused (production ran with config/development.json\'s settings)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'insole-config-'));
    try {
      const file = join(dir, 'insole.json');
      writeFileSync(file, JSON.stringify({ env: 'production' }));
      assert.throws(() => loadConfig({ env: { INSOLE_CONFIG: file } }), (err) => err instanceof ConfigError
        && err.problems.join() === 'env: "production" in a config file, but NODE_ENV is unset (development): name the environment with NODE_ENV, not in a file (it also picks config/<NODE_ENV>.json)');
      assert.throws(() => loadConfig({ env: { INSOLE_CONFIG: file, NODE_ENV: 'test' } }), /NODE_ENV is "test"/);
      assert.throws(() => loadConfig({ env: { INSOLE_CONFIG: file, NODE_ENV: 'production' } }), (err) => err instanceof ConfigError && !/^env:/m.test(err.problems.join('\n')), 'agreeing: only production\'s own checks');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('half of a social connection\'s credentials is refused, naming the missing variable (it left the button off silently)', () => {
    const refused = (env: Record<string, string>) => {
      try { loadConfig({ env }); } catch (err) { if (err instanceof ConfigError) return err.problems.join('\n'); }
      return 'accepted';
    };
    assert.match(refused({ GOOGLE_CLIENT_ID: '123.apps.googleusercontent.com' }), /^connections\.google-oauth2\.client_secret: required with client_id \(set GOOGLE_CLIENT_SECRET\)/);
    assert.match(refused({ FACEBOOK_APP_SECRET: 'fb-secret-value' }), /^connections\.facebook\.client_id: .*set FACEBOOK_APP_ID/);
    assert.match(refused({ TWITTER_CONSUMER_KEY: 'x-key' }), /^connections\.twitter\.consumer_secret: .*set TWITTER_CONSUMER_SECRET/);
    assert.doesNotMatch(refused({ FACEBOOK_APP_SECRET: 'fb-secret-value' }), /fb-secret-value/, 'no secret in the message');
    const both = loadConfig({ env: { GOOGLE_CLIENT_ID: '123.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'google-secret' } });
    assert.equal(both.connections['google-oauth2'].client_id, '123.apps.googleusercontent.com');
  });

  test('connections.email_step.send_again_after_seconds: a minute by default; whole seconds from 1 to 600, anything else refused naming the key', () => {
    const wait = (value?: unknown) => loadConfig({ env: {}, overrides: value === undefined ? {} : { connections: { email_step: { send_again_after_seconds: value } } } })
      .connections.email_step.send_again_after_seconds;
    assert.equal(wait(), 60);
    assert.deepEqual([wait(1), wait(300), wait(600)], [1, 300, 600]);
    for (const value of [0, -60, 1.5, 601, 3600, '60', null]) {
      assert.throws(() => wait(value), (err) => err instanceof ConfigError && /^connections\.email_step\.send_again_after_seconds: /m.test(err.problems.join('\n')), String(value));
    }
  });

  test('a config file that is not JSON is refused with its line, without quoting the text around the mistake (a secret)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'insole-config-'));
    try {
      const file = join(dir, 'insole.json');
      // The secret left unquoted: V8's message quoted ten characters either side of it.
      writeFileSync(file, '{\n  "secrets": {\n    "key_encryption_key": prod-kek-abcdefghijklmnopqrstuvwxyz0123\n  }\n}\n');
      const err = (() => { try { loadConfig({ env: { INSOLE_CONFIG: file } }); } catch (e) { return e; } })();
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.join(), `${file}: Unexpected token 'p' in JSON near line 3`);
      assert.doesNotMatch(err.message, /kek-abc|prod-kek/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an ISSUER oidc-provider cannot take (no http scheme, a query, a fragment) is refused at load, naming issuer', () => {
    // Before, these passed the schema and stopped the start later, after the database, with oidc-provider's AssertionError and stack.
    for (const issuer of ['localhost:3000', 'ftp://id.innovashoes.example', 'https://id.innovashoes.example/?tenant=1', 'https://id.innovashoes.example/#top']) {
      assert.throws(() => loadConfig({ env: { ISSUER: issuer } }), (err) => err instanceof ConfigError && /^issuer: must/.test(err.problems.join()), issuer);
    }
    assert.equal(loadConfig({ env: { ISSUER: 'https://shop.example/identity/' } }).issuer, 'https://shop.example/identity');
  });
});
