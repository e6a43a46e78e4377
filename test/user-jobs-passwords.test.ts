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
