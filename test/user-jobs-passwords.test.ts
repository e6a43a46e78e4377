import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { signInForTokens } from './support/relying-party.ts';
import { finishedJob, postImport, JOBS_SETTINGS } from './support/user-jobs.ts';

const ADMIN = { client_id: 'import-admin', client_secret: 'import-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users'] };
const CURRENT_HASH = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

describe('imported password hashes (Auth0 password_hash and custom_password_hash)', () => {
  let insole: TestInsole;
  let admin: string;
  before(async () => {
    const storefront = { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] };
    insole = await startTestInsole({ clients: [storefront, m2mClientConfig(ADMIN)], admin_api: JOBS_SETTINGS() });
    admin = (await managementToken(insole, ADMIN)).access_token;
  });
  after(() => insole.stop());
  const storedHash = async (email: string) => (await insole.db.collection('users').findOne({ email }))?.password_hash as string | undefined;

  test('bcrypt and Argon2 hashes sign in through the hosted page and are replaced by Argon2id at that sign-in; others are refused per record', async () => {
    const users = [
      { email: 'bcrypt.plain@innovashoes.example', password: 'bcrypt from auth0 export', hash: (pw: string) => ({ password_hash: bcrypt.hashSync(pw, 10) }) },
      { email: 'bcrypt.custom@innovashoes.example', password: 'bcrypt 2a custom hash', hash: (pw: string) => ({ custom_password_hash: { algorithm: 'bcrypt', hash: { value: bcrypt.hashSync(pw, 8).replace(/^\$2b\$/, '$2a$') } } }) },
      { email: 'argon2id@innovashoes.example', password: 'argon2id from the old shop', hash: async (pw: string) => ({ custom_password_hash: { algorithm: 'argon2', hash: { value: await argon2Hash(pw, { algorithm: 2, memoryCost: 4096, timeCost: 3, parallelism: 1 }), encoding: 'utf8' } } }) },
      { email: 'argon2i@innovashoes.example', password: 'argon2i from a php app', hash: async (pw: string) => ({ custom_password_hash: { algorithm: 'argon2', hash: { value: await argon2Hash(pw, { algorithm: 1, memoryCost: 8192, timeCost: 2, parallelism: 2 }) } } }) },
    ];
    const refused = [
      { email: 'md5@innovashoes.example', custom_password_hash: { algorithm: 'md5', hash: { value: '5f4dcc3b5aa765d61d8327deb882cf99', encoding: 'hex' } } },
      { email: 'huge.argon2@innovashoes.example', custom_password_hash: { algorithm: 'argon2', hash: { value: await argon2Hash('x', { algorithm: 2, memoryCost: 131_072, timeCost: 1, parallelism: 1 }) } } },
      { email: 'slow.bcrypt@innovashoes.example', password_hash: '$2b$20$' + 'a'.repeat(53) },
      { email: 'both@innovashoes.example', password_hash: bcrypt.hashSync('x', 4), custom_password_hash: { algorithm: 'bcrypt', hash: { value: bcrypt.hashSync('x', 4) } } },
    ];
    const records = [...await Promise.all(users.map(async (u) => ({ email: u.email, email_verified: true, ...(await u.hash(u.password)) }))), ...refused];
    const created = await postImport(insole, admin, JSON.stringify(records));
    const done = await finishedJob(insole, admin, created.body.id);
    assert.deepEqual(done.summary, { failed: 4, updated: 0, inserted: 4, total: 8 });
    const errors = (await api(insole, admin, 'GET', `/jobs/${created.body.id}/errors`)).body as { index: number; errors: { code: string; path?: string }[] }[];
    assert.deepEqual(errors.map((e) => [e.index, e.errors[0].code, e.errors[0].path]), [
      [4, 'ENUM_MISMATCH', 'custom_password_hash.algorithm'],
      [5, 'NOT_PASSED', 'custom_password_hash.hash.value'],
      [6, 'NOT_PASSED', 'password_hash'],
      [7, 'NOT_PASSED', 'custom_password_hash'],
    ]);
    for (const { email } of refused) assert.equal(await insole.db.collection('users').countDocuments({ email }), 0, email);

    for (const { email, password } of users) {
      const imported = (await storedHash(email))!;
      assert.doesNotMatch(imported, CURRENT_HASH, `${email} is stored as imported until the user signs in`);
      await assert.rejects(signInForTokens(insole.issuer, { email, password: `${password}!` }), /sign-in did not complete/, `${email}: a wrong password fails`);
      assert.equal(await storedHash(email), imported, 'a failed sign-in leaves the hash alone');

      const { tokens } = await signInForTokens(insole.issuer, { email, password });
      assert.equal(tokens.claims()!.email, email);
      const upgraded = (await storedHash(email))!;
      assert.match(upgraded, CURRENT_HASH, `${email}: replaced by Argon2id at that sign-in`);
      assert.equal(await argon2Verify(upgraded, password), true);
    }
  });
});

describe('an import cannot replace the password of an existing user (Auth0: a hash is imported with a new user only)', () => {
  // create:users alone is the import's scope: with upsert it must not become a way into someone's account.
  const IMPORTER = { client_id: 'import-only', client_secret: 'import-only-secret-0123456789abcdef', scopes: ['create:users', 'read:users'] };
  let insole: TestInsole;
  let importer: string;
  before(async () => {
    const storefront = { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] };
    insole = await startTestInsole({ clients: [storefront, m2mClientConfig(IMPORTER)], admin_api: JOBS_SETTINGS() });
    importer = (await managementToken(insole, IMPORTER)).access_token;
  });
  after(() => insole.stop());

  test('upsert with password_hash or custom_password_hash for an existing user fails that record; the old password still signs in, the new one does not', async () => {
    const victim = { email: 'victim.shopper@innovashoes.example', password: 'the victim own passphrase' };
    const created = await api(insole, importer, 'POST', '/users', { connection: 'Username-Password-Authentication', ...victim, email_verified: true });
    assert.equal(created.status, 201);
    const before = (await insole.db.collection('users').findOne({ email: victim.email }))!;

    const attacker = 'the attacker chosen password';
    // Two records for one email would be "already provided": each goes in a job of its own.
    const files = [
      [{ email: victim.email, email_verified: true, password_hash: bcrypt.hashSync(attacker, 4) }, { email: 'new.import@innovashoes.example', password_hash: bcrypt.hashSync(attacker, 4) }],
      [{ email: victim.email.toUpperCase(), custom_password_hash: { algorithm: 'bcrypt', hash: { value: bcrypt.hashSync(attacker, 4) } } }],
    ];
    const jobs = [];
    for (const records of files) {
      const posted = await postImport(insole, importer, JSON.stringify(records), { connection_id: 'Username-Password-Authentication', upsert: 'true' });
      assert.equal(posted.status, 202);
      jobs.push(await finishedJob(insole, importer, posted.body.id));
    }
    assert.deepEqual(jobs[0].summary, { failed: 1, updated: 0, inserted: 1, total: 2 }, 'a new user still gets its hash');
    assert.deepEqual(jobs[1].summary, { failed: 1, updated: 0, inserted: 0, total: 1 });
    const errors = [(await api(insole, importer, 'GET', `/jobs/${jobs[0].id}/errors`)).body[0], (await api(insole, importer, 'GET', `/jobs/${jobs[1].id}/errors`)).body[0]];
    assert.deepEqual(errors.map((e: { errors: { code: string; path: string }[] }) => [e.errors[0].code, e.errors[0].path]), [['CONFLICT', 'password_hash'], ['CONFLICT', 'custom_password_hash']]);
    assert.match(errors[0].errors[0].message, /user already exists/);

    const after = (await insole.db.collection('users').findOne({ email: victim.email }))!;
    assert.equal(after.password_hash, before.password_hash, 'the stored hash is untouched');
    assert.deepEqual(after.updated_at, before.updated_at, 'nothing of the record was written');
    await assert.rejects(signInForTokens(insole.issuer, { email: victim.email, password: attacker }), /sign-in did not complete/);
    assert.ok((await signInForTokens(insole.issuer, victim)).tokens.id_token);
  });
});
