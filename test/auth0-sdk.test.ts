// The official `auth0` SDKs, v4 and v5, unchanged and driven as their READMEs show
// (`new ManagementClient({ domain, clientId, clientSecret })`), against a real insole over TLS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthApiError as AuthApiErrorV4, ManagementApiError, ManagementClient as ManagementClientV4 } from 'auth0-v4';
import { AuthApiError as AuthApiErrorV5, Management, ManagementClient as ManagementClientV5 } from 'auth0-v5';
import { until } from './support/hooks.ts';
import {
  ACTIVE_SHOPPERS, ALL_SCOPES, PASSWORD_CONNECTION, SHOPPERS, expectedDailyStats, planOf, sdkClient, seedTenant, selfSignedCertificate, shopperEmail,
  startTlsInsole, trustCertificate, type SeededLog, type TlsInsole,
} from './support/sdk-tenant.ts';
import { useTicketLink } from './support/ticket-link.ts';
import { download } from './support/user-jobs.ts';

// The role endpoints' scopes too: reading roles, giving and taking them.
const ADMIN = sdkClient('sdk-admin', [...ALL_SCOPES, 'read:roles', 'read:role_members', 'create:role_members', 'delete:role_members', 'create:user_tickets']);
const shoppers = Array.from({ length: SHOPPERS }, (_, n) => shopperEmail(n)).sort();
const premium = shoppers.filter((email) => planOf(Number(/\d+/.exec(email)![0])) === 'premium');
const PASSWORD = 'a long enough secret for the sdk';

let tenant: TlsInsole;
let logs: SeededLog[];
let certificate: Awaited<ReturnType<typeof selfSignedCertificate>>;

before(async () => {
  certificate = await selfSignedCertificate();
  trustCertificate(certificate);
  // Jobs polled often; a limit the SDK calls of this file stay under (the 429 has its own insole below).
  tenant = await startTlsInsole(certificate, [ADMIN], { admin_api: { rate_limit: { requests: 10_000 }, jobs: { poll_ms: 50 } } });
  logs = await seedTenant(tenant.insole);
});
after(() => tenant.stop());

/** The API's write events about a user, named by id or (unblocking by identifier) by email. */
const sapiLogsAbout = (userId: string, email: string) =>
  tenant.insole.db.collection('logs').find({ type: 'sapi', $or: [{ user_id: userId }, { user_name: email }] }).sort({ log_id: 1 }).toArray();

const storedUser = (userId: string) => tenant.insole.db.collection('users').findOne({ user_id: userId }, { projection: { password_hash: 1, email_verified: 1 } });

/** A password user as a store's import makes it: unverified, no mail. */
const newUnverifiedUser = async (create: (body: { connection: string; email: string; password: string; email_verified: boolean; verify_email: boolean }) => Promise<unknown>, email: string) => {
  await create({ connection: PASSWORD_CONNECTION, email, password: PASSWORD, email_verified: false, verify_email: false });
  return (await tenant.insole.db.collection('users').findOne({ email }))!.user_id as string;
};

/** A Google user as a first Google sign-in makes it: the secondary of a link. */
async function seedGoogleUser(sub: string): Promise<string> {
  const now = new Date();
  await tenant.insole.db.collection('users').insertOne({
    user_id: `google-oauth2|${sub}`, email: `g${sub}@gmail.example`, email_verified: true, identities: [{ provider: 'google-oauth2', user_id: sub, connection: 'google-oauth2', isSocial: true }],
    created_at: now, updated_at: now, logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
  });
  return `google-oauth2|${sub}`;
}

describe('auth0 SDK v4 (ManagementClient)', () => {
  let v4: ManagementClientV4;
  before(() => { v4 = new ManagementClientV4({ domain: tenant.domain, clientId: ADMIN.client_id, clientSecret: ADMIN.client_secret }); });

  test('gets its token by client credentials, lists users with and without q, and pages with totals', async () => {
    const all = await v4.users.getAll({ sort: 'email:1', per_page: 100 });
    assert.equal(all.status, 200);
    assert.ok(Array.isArray(all.data));
    assert.deepEqual(all.data.map((u) => u.email).filter((e) => shoppers.includes(e!)), shoppers);
    const first = all.data.find((u) => u.email === shopperEmail(0))!;
    assert.equal(first.user_id, 'auth0|seed0');
    assert.deepEqual(first.identities, [{ provider: 'auth0', user_id: 'seed0', connection: PASSWORD_CONNECTION, isSocial: false }]);
    assert.deepEqual([first.app_metadata, first.user_metadata], [{ plan: 'premium' }, { shoe_size: 38 }]);

    const searched = await v4.users.getAll({ q: 'app_metadata.plan:"premium"', search_engine: 'v3', sort: 'email:1' });
    assert.deepEqual((searched.data as { email: string }[]).map((u) => u.email), premium);

    const page = await v4.users.getAll({ q: 'email:shopper*', page: 1, per_page: 5, include_totals: true, sort: 'email:1', fields: 'email,user_id' });
    assert.deepEqual({ ...page.data, users: undefined }, { start: 5, limit: 5, length: 5, total: SHOPPERS, users: undefined });
    assert.deepEqual((page.data as { users: { email: string }[] }).users.map((u) => u.email), shoppers.slice(5, 10));
    assert.deepEqual(Object.keys((page.data as { users: object[] }).users[0]).sort(), ['email', 'user_id']);
  });

  test('creates a user, gets it, merges metadata one level deep, blocks and unblocks, finds it by email, deletes it', async () => {
    const email = 'v4.runner@innovashoes.example';
    const created = await v4.users.create({
      connection: PASSWORD_CONNECTION, email, password: PASSWORD, email_verified: true,
      user_metadata: { size: 42, colour: 'red' }, app_metadata: { plan: 'basic', flags: { beta: true } },
    });
    assert.equal(created.status, 201);
    const id = created.data.user_id!;
    assert.match(id, /^auth0\|[0-9a-f]{24}$/);
    assert.equal((await v4.users.get({ id })).data.email, email);

    const patched = await v4.users.update({ id }, { user_metadata: { colour: null, fit: 'wide' }, app_metadata: { flags: { early: true } } });
    assert.deepEqual(patched.data.user_metadata, { size: 42, fit: 'wide' }, 'null deletes a key, others are kept');
    assert.deepEqual(patched.data.app_metadata, { plan: 'basic', flags: { early: true } }, 'merged one level deep: flags is replaced');

    assert.equal((await v4.users.update({ id }, { blocked: true })).data.blocked, true);
    assert.equal((await v4.users.get({ id })).data.blocked, true);
    assert.notEqual((await v4.users.update({ id }, { blocked: false })).data.blocked, true);

    // Brute-force blocks are another thing (user-blocks): as a run of failed sign-ins would leave them.
    await tenant.insole.db.collection('users').updateOne({ user_id: id }, { $set: { blocked_for: [{ identifier: email, ip: '203.0.113.9' }] } });
    assert.deepEqual((await v4.userBlocks.get({ id })).data, { blocked_for: [{ identifier: email, ip: '203.0.113.9' }] });
    assert.deepEqual((await v4.userBlocks.getAll({ identifier: email })).data.blocked_for, [{ identifier: email, ip: '203.0.113.9' }]);
    assert.equal((await v4.userBlocks.deleteAll({ identifier: email })).status, 204);
    assert.deepEqual((await v4.userBlocks.get({ id })).data, { blocked_for: [] });

    const byEmail = await v4.usersByEmail.getByEmail({ email: email.toUpperCase() });
    assert.deepEqual(byEmail.data.map((u) => u.user_id), [id]);

    // Auth0's duplicate answers, which migrated scripts test for: 409 on create, 400 with its message on update.
    await assert.rejects(v4.users.create({ connection: PASSWORD_CONNECTION, email, password: PASSWORD }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.message], [409, 'The user already exists.']);
      return true;
    });
    await assert.rejects(v4.users.update({ id }, { email: shopperEmail(1) }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.message], [400, 'The specified new email already exists']);
      return true;
    });

    assert.deepEqual((await sapiLogsAbout(id, email)).map((log) => [log.description, log.client_id]), [
      ['Create a User', ADMIN.client_id], ['Update a User', ADMIN.client_id], ['Update a User', ADMIN.client_id], ['Update a User', ADMIN.client_id], ['Unblock a User', ADMIN.client_id],
    ], 'every write is an sapi event with the client');

    assert.equal((await v4.users.delete({ id })).status, 204);
    assert.equal((await v4.users.delete({ id })).status, 204, 'deleting again is no error, as at Auth0');
    await assert.rejects(v4.users.get({ id }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.errorCode, err.error], [404, 'inexistent_user', 'Not Found']);
      return true;
    });
  });

  test('reads logs with q, pages them with totals, gets one by id and a user\'s logs', async () => {
    const failures = logs.filter((log) => log.type === 'f');
    const found = await v4.logs.getAll({ q: 'type:f', sort: 'date:1' });
    assert.deepEqual((found.data as { log_id: string }[]).map((log) => log.log_id), failures.map((log) => log.log_id));

    const logins = logs.filter((log) => log.type === 's').sort((a, b) => b.date.getTime() - a.date.getTime());
    const page = await v4.logs.getAll({ q: 'type:s AND user_name:shopper*', page: 1, per_page: 2, include_totals: true });
    const { logs: pageLogs, ...totals } = page.data as Extract<typeof page.data, { logs: unknown }>;
    assert.deepEqual(totals, { start: 2, limit: 2, length: 2, total: logins.length });
    assert.deepEqual(pageLogs.map((log) => log.log_id), logins.slice(2, 4).map((log) => log.log_id));

    const one = await v4.logs.get({ id: failures[0].log_id });
    assert.deepEqual([one.data.log_id, one.data._id, one.data.type, one.data.date, one.data.user_id], [failures[0].log_id, failures[0].log_id, 'f', failures[0].date.toISOString(), 'auth0|seed3']);

    const userLogs = await v4.users.getLogs({ id: 'auth0|seed2' });
    assert.deepEqual((userLogs.data as { type: string }[]).map((log) => log.type), ['s', 'ss'], 'newest first');

    // Checkpoints: the logs after a log_id in log_id order, the next request in the Link header.
    const byLogId = logs.map((log) => log.log_id).sort();
    const checkpoint = await v4.logs.getAll({ from: byLogId[0], take: 5 });
    assert.deepEqual((checkpoint.data as { log_id: string }[]).map((log) => log.log_id), byLogId.slice(1, 6));
    const next = /^<([^>]+)>; rel="next"$/.exec(checkpoint.headers.get('link')!)![1];
    assert.equal(new URL(next).searchParams.get('from'), byLogId[5]);
  });

  test('reads daily stats for a range and the active-user count', async () => {
    const daily = await v4.stats.getDaily({ from: '20250110', to: '20250112' });
    assert.deepEqual(daily.data, expectedDailyStats(logs));
    assert.deepEqual(daily.data.map((day) => day.logins), [12, 6, 1]);
    const active = await v4.stats.getActiveUsersCount();
    assert.equal(active.data, String(ACTIVE_SHOPPERS), 'v4 reads this answer as text');
  });

  test('reads the roles, gives a user roles, reads them back and the role\'s users, takes one away (roles.getAll, users.assignRoles/getRoles/deleteRoles)', async () => {
    const roles = await v4.roles.getAll();
    assert.deepEqual(roles.data.map((r) => [r.id, r.name]), [['admin', 'admin'], ['marketing', 'marketing']]);
    assert.equal((await v4.roles.get({ id: 'marketing' })).data.name, 'marketing');
    const id = 'auth0|seed1';
    assert.equal((await v4.users.assignRoles({ id }, { roles: ['marketing', 'admin'] })).status, 204);
    assert.deepEqual((await v4.users.getRoles({ id })).data.map((r) => r.id), ['admin', 'marketing']);
    const page = await v4.users.getRoles({ id, include_totals: true, per_page: 1, page: 1 });
    assert.deepEqual([page.data.total, page.data.roles.map((r) => r.id)], [2, ['marketing']]);
    assert.deepEqual((await v4.roles.getUsers({ id: 'admin' })).data.map((u) => u.user_id), [id]);
    assert.equal((await v4.users.deleteRoles({ id }, { roles: ['admin'] })).status, 204);
    assert.deepEqual((await v4.users.getRoles({ id })).data.map((r) => r.id), ['marketing']);
    assert.deepEqual((await v4.users.get({ id })).data.app_metadata, { plan: planOf(1), roles: ['marketing'] });
    await assert.rejects(v4.users.assignRoles({ id }, { roles: ['rol_0123456789abcdef'] }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.errorCode], [400, 'invalid_body']);
      return true;
    });
    await v4.users.deleteRoles({ id }, { roles: ['marketing'] });
  });

  test('links a Google user into a password user (users.link) and gives a role to several users (roles.assignUsers)', async () => {
    const secondary = await seedGoogleUser('4000000000000000001');
    const linked = await v4.users.link({ id: 'auth0|seed6' }, { provider: 'google-oauth2', user_id: '4000000000000000001' });
    assert.equal(linked.status, 201);
    assert.deepEqual(linked.data.map((i) => [i.provider, i.user_id]), [['auth0', 'seed6'], ['google-oauth2', '4000000000000000001']]);
    await assert.rejects(v4.users.get({ id: secondary }), (err: unknown) => err instanceof ManagementApiError && err.statusCode === 404);
    await assert.rejects(v4.users.link({ id: 'auth0|seed6' }, { provider: 'google-oauth2', user_id: 'nobody' }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.errorCode], [400, 'inexistent_user']);
      return true;
    });

    const assigned = await v4.roles.assignUsers({ id: 'marketing' }, { users: ['auth0|seed7', 'auth0|seed8'] });
    assert.equal(assigned.status, 200);
    assert.deepEqual((await v4.roles.getUsers({ id: 'marketing' })).data.map((u) => u.user_id), ['auth0|seed7', 'auth0|seed8']);
    for (const id of ['auth0|seed7', 'auth0|seed8']) await v4.users.deleteRoles({ id }, { roles: ['marketing'] });
  });

  test('exports users to NDJSON and imports a file, each record checked, through jobs', async () => {
    const created = await v4.jobs.exportUsers({ format: 'json', fields: [{ name: 'email' }, { name: 'app_metadata.plan', export_as: 'plan' }] });
    assert.deepEqual([created.data.type, created.data.status, created.data.format], ['users_export', 'pending', 'json']);
    const done = await until('the v4 export to complete', async () => {
      const { data } = await v4.jobs.get({ id: created.data.id });
      return data.status === 'completed' && data;
    });
    // v4's Job type leaves out `location` and `summary`, which Auth0 (and insole) send.
    const file = await download((done as unknown as { location: string }).location);
    const rows = file.text!.trim().split('\n').map((line) => JSON.parse(line) as { email: string; plan?: string });
    assert.deepEqual(rows.filter((row) => shoppers.includes(row.email)).sort((a, b) => (a.email < b.email ? -1 : 1)),
      shoppers.map((email) => ({ email, plan: planOf(Number(/\d+/.exec(email)![0])) })));

    const records = [{ email: 'v4.import.a@innovashoes.example', user_metadata: { shoe_size: 44 } }, { email: 'v4.import.b@innovashoes.example' }, { email: 'not an email' }];
    const users = new Blob([JSON.stringify(records)], { type: 'application/json' });
    const job = await v4.jobs.importUsers({ users, connection_id: PASSWORD_CONNECTION });
    assert.deepEqual([job.status, job.data.type, job.data.status], [202, 'users_import', 'pending']);
    const imported = await until('the v4 import to complete', async () => {
      const { data } = await v4.jobs.get({ id: job.data.id });
      return data.status === 'completed' && data;
    });
    assert.deepEqual((imported as unknown as { summary: unknown }).summary, { failed: 1, updated: 0, inserted: 2, total: 3 });
    const errors = await v4.jobs.getErrors({ id: job.data.id });
    assert.deepEqual((errors.data as { user: unknown; errors: { code: string }[] }[]).map((e) => [e.user, e.errors.map((x) => x.code)]), [[{ email: 'not an email' }, ['FORMAT']]]);
    assert.deepEqual((await v4.usersByEmail.getByEmail({ email: records[0].email })).data[0].user_metadata, { shoe_size: 44 });
  });
  test('creates a password change and an email verification ticket (tickets.changePassword/verifyEmail); their URLs set the password and verify the address', async () => {
    const userId = await newUnverifiedUser((body) => v4.users.create(body), 'v4.ticket@innovashoes.example');
    const before = await storedUser(userId);
    const change = await v4.tickets.changePassword({ user_id: userId, ttl_sec: 600, mark_email_as_verified: true });
    assert.equal(change.status, 201);
    assert.ok(change.data.ticket.startsWith(`https://${tenant.domain}/password/reset/new?ticket=`), change.data.ticket);
    const used = await useTicketLink(`https://${tenant.domain}`, change.data.ticket, { password: 'the v4 ticket password' });
    assert.match(used.text, /Password changed/);
    const after = await storedUser(userId);
    assert.notEqual(after!.password_hash, before!.password_hash);
    assert.equal(after!.email_verified, true);

    const other = await newUnverifiedUser((body) => v4.users.create(body), 'v4.verify@innovashoes.example');
    const verify = await v4.tickets.verifyEmail({ user_id: other });
    assert.equal(verify.status, 201);
    assert.match((await useTicketLink(`https://${tenant.domain}`, verify.data.ticket)).text, /Email confirmed/);
    assert.equal((await storedUser(other))!.email_verified, true);
    await assert.rejects(v4.tickets.verifyEmail({ user_id: other, result_url: 'https://evil.example/' }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError, String(err));
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /result_url must be on the site of a registered application/);
      return true;
    });
  });
});

describe('auth0 SDK v5 (ManagementClient)', () => {
  let v5: ManagementClientV5;
  before(() => { v5 = new ManagementClientV5({ domain: tenant.domain, clientId: ADMIN.client_id, clientSecret: ADMIN.client_secret }); });

  test('gets its token by client credentials, lists users with and without q, and walks the pager', async () => {
    const all = await v5.users.list({ sort: 'email:1', per_page: 100 });
    assert.deepEqual(all.data.map((u) => u.email).filter((e) => shoppers.includes(e!)), shoppers);
    assert.equal(all.response.start, 0, 'v5 always asks include_totals: the envelope comes back');
    assert.ok(all.response.total! >= SHOPPERS);
    assert.equal(all.hasNextPage(), false);

    const searched = await v5.users.list({ q: 'app_metadata.plan:"premium" AND (user_metadata.shoe_size:38 OR logins_count:[1 TO *])', sort: 'email:1' });
    // Premium: 0, 3, 6, 9; shoe size 38: 0, 6; signed in at least once: 0–7.
    assert.deepEqual(searched.data.map((u) => [u.email, u.app_metadata!.plan]), [0, 3, 6].map((n) => [shopperEmail(n), 'premium']));

    let page = await v5.users.list({ q: 'email:shopper*', per_page: 5, sort: 'email:1' });
    const pages = [page.data.map((u) => u.email)];
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      pages.push(page.data.map((u) => u.email));
    }
    assert.deepEqual(pages, [shoppers.slice(0, 5), shoppers.slice(5, 10), shoppers.slice(10)]);
    assert.deepEqual([page.response.start, page.response.limit, page.response.length, page.response.total], [10, 5, 2, SHOPPERS]);
    const iterated = [];
    for await (const user of await v5.users.list({ q: 'app_metadata.plan:premium', per_page: 3, sort: 'email:1' })) iterated.push(user.email);
    assert.deepEqual(iterated, premium, 'the async iterator fetches every page');
  });

  test('creates a user, gets it, merges metadata one level deep, blocks and unblocks, unlinks an identity, deletes it', async () => {
    const email = 'v5.runner@innovashoes.example';
    const created = await v5.users.create({ connection: PASSWORD_CONNECTION, email, password: PASSWORD, user_metadata: { size: 41 }, app_metadata: { tier: 1 } });
    const id = created.user_id!;
    assert.deepEqual([created.email, created.email_verified, created.identities?.[0].provider], [email, false, 'auth0']);
    assert.equal((await v5.users.get(id)).user_id, id);

    const patched = await v5.users.update(id, { user_metadata: { size: null, fit: 'narrow' }, app_metadata: { tier: 2, beta: true } });
    assert.deepEqual([patched.user_metadata, patched.app_metadata], [{ fit: 'narrow' }, { tier: 2, beta: true }]);

    assert.equal((await v5.users.update(id, { blocked: true })).blocked, true);
    assert.notEqual((await v5.users.update(id, { blocked: false })).blocked, true);
    await tenant.insole.db.collection('users').updateOne({ user_id: id }, { $set: { blocked_for: [{ identifier: email, ip: '198.51.100.4' }] } });
    assert.deepEqual(await v5.userBlocks.list(id), { blocked_for: [{ identifier: email, ip: '198.51.100.4' }] });
    assert.deepEqual(await v5.userBlocks.listByIdentifier({ identifier: email }), { blocked_for: [{ identifier: email, ip: '198.51.100.4' }] });
    await v5.userBlocks.delete(id);
    assert.deepEqual(await v5.userBlocks.list(id), { blocked_for: [] });
    // v5 knows no 404 for an identifier (nor does Auth0): one nobody uses has no blocks to show or lift.
    assert.deepEqual(await v5.userBlocks.listByIdentifier({ identifier: 'nobody@innovashoes.example' }), { blocked_for: [] });
    await v5.userBlocks.deleteByIdentifier({ identifier: 'nobody@innovashoes.example' });

    assert.deepEqual((await v5.users.listUsersByEmail({ email })).map((u) => u.user_id), [id]);
    await assert.rejects(v5.users.create({ connection: PASSWORD_CONNECTION, email, password: PASSWORD }), Management.ConflictError);
    await assert.rejects(v5.users.update(id, { email: shopperEmail(2) }), (err: unknown) => {
      assert.ok(err instanceof Management.BadRequestError, `a BadRequestError (v5 declares no 409 here), not ${String(err)}`);
      assert.equal((err.body as { message: string }).message, 'The specified new email already exists');
      return true;
    });

    // A Google identity linked to this user (as a sign-in with a verified email would link it), then unlinked.
    const google = { provider: 'google-oauth2', user_id: '109876543210', connection: 'google-oauth2', isSocial: true };
    await tenant.insole.db.collection('users').updateOne({ user_id: id }, { $push: { identities: google } } as never);
    const kept = await v5.users.identities.delete(id, 'google-oauth2', google.user_id);
    assert.deepEqual(kept.map((i) => [i.provider, i.user_id]), [['auth0', id.slice('auth0|'.length)]]);

    await v5.users.delete(id);
    await v5.users.delete(id); // no error: v5 declares no 404 here, Auth0 answers 204 for a missing user
    await assert.rejects(v5.users.get(id), (err: unknown) => {
      assert.ok(err instanceof Management.NotFoundError, `a NotFoundError, not ${String(err)}`);
      assert.equal(err.statusCode, 404);
      assert.deepEqual(err.body, { statusCode: 404, error: 'Not Found', message: 'The user does not exist.', errorCode: 'inexistent_user' });
      return true;
    });
  });

  test('reads logs with search, pages them, gets one by id and a user\'s logs', async () => {
    const signups = logs.filter((log) => log.type === 'ss').sort((a, b) => b.date.getTime() - a.date.getTime());
    let page = await v5.logs.list({ search: 'type:ss', per_page: 5 });
    const seen = [...page.data];
    while (page.hasNextPage()) seen.push(...(page = await page.getNextPage()).data);
    assert.deepEqual(seen.map((log) => log.log_id), signups.map((log) => log.log_id), 'newest first, every page');
    assert.equal(page.response.total, signups.length);

    const failure = logs.find((log) => log.type === 'f')!;
    const one = await v5.logs.get(failure.log_id);
    assert.deepEqual([one.log_id, one.type, one.date, one.user_name, one.description], [failure.log_id, 'f', failure.date.toISOString(), failure.user_name, 'Wrong email or password.']);

    const userLogs = await v5.users.logs.list('auth0|seed5', { sort: 'date:1' });
    assert.deepEqual(userLogs.data.map((log) => log.type), ['ss', 's'], 'oldest first, as asked');

    // v5 has no from/take parameters: a checkpoint goes through queryParams, next to the page,
    // per_page and include_totals v5 always sends (ignored in a checkpoint, as at Auth0). The answer is
    // a plain array, as at Auth0, which v5's pager (reading `logs`) leaves in `response`.
    const byLogId = logs.map((log) => log.log_id).sort();
    const checkpoint = await v5.logs.list({}, { queryParams: { from: byLogId[3], take: 4 } });
    assert.deepEqual((checkpoint.response as unknown as Management.Log[]).map((log) => log.log_id), byLogId.slice(4, 8));
    assert.match(checkpoint.rawResponse.headers.get('link')!, new RegExp(`[?&]from=${byLogId[7]}[&>]`));
  });

  test('reads daily stats for a range and the active-user count', async () => {
    assert.deepEqual(await v5.stats.getDaily({ from: '20250110', to: '20250112' }), expectedDailyStats(logs));
    assert.deepEqual(await v5.stats.getDaily({ from: '20250111', to: '20250111' }), expectedDailyStats(logs).slice(1, 2));
    assert.equal(await v5.stats.getActiveUsersCount(), ACTIVE_SHOPPERS, 'v5 reads this answer as a number');
  });

  test('reads the roles, gives a user roles, reads them back and walks the role\'s users, takes them away (roles.list, users.roles.*, roles.users.list)', async () => {
    const roles = await v5.roles.list();
    assert.deepEqual(roles.data.map((r) => r.id), ['admin', 'marketing']);
    assert.equal(roles.response.total, 2);
    assert.equal((await v5.roles.get('admin')).description, 'Dashboard role: gives the Management API scopes read:users, update:users, read:logs, read:stats, read:reports, read:segments, update:segments, read:roles, read:role_members.');
    const ids = ['auth0|seed2', 'auth0|seed3', 'auth0|seed4'];
    for (const id of ids) await v5.users.roles.assign(id, { roles: ['marketing'] });
    assert.deepEqual((await v5.users.roles.list(ids[0])).data.map((r) => r.id), ['marketing']);
    const holders = [];
    for await (const user of await v5.roles.users.list('marketing', { take: 2 })) holders.push(user.user_id);
    assert.deepEqual(holders, ids, 'the pager follows next until it is gone');
    for (const id of ids) await v5.users.roles.delete(id, { roles: ['marketing'] });
    assert.deepEqual((await v5.users.roles.list(ids[0])).data, []);
    await assert.rejects(v5.users.roles.assign('auth0|nobody', { roles: ['admin'] }), (err: unknown) => err instanceof Management.NotFoundError);
  });

  test('links a Google user into a password user (users.identities.link) and gives a role to several users (roles.users.assign)', async () => {
    const secondary = await seedGoogleUser('5000000000000000001');
    const identities = await v5.users.identities.link('auth0|seed9', { provider: 'google-oauth2', user_id: '5000000000000000001' });
    assert.deepEqual(identities.map((i) => [i.provider, i.user_id]), [['auth0', 'seed9'], ['google-oauth2', '5000000000000000001']]);
    await assert.rejects(v5.users.get(secondary), (err: unknown) => err instanceof Management.NotFoundError);
    await assert.rejects(v5.users.identities.link('auth0|seed9', { provider: 'google-oauth2', user_id: '5000000000000000001' }), (err: unknown) => {
      assert.ok(err instanceof Management.ConflictError, `a ConflictError, not ${String(err)}`);
      assert.equal((err.body as { errorCode: string }).errorCode, 'identity_already_linked');
      return true;
    });

    await v5.roles.users.assign('marketing', { users: ['auth0|seed10', 'auth0|seed11'] });
    assert.deepEqual((await v5.users.roles.list('auth0|seed10')).data.map((r) => r.id), ['marketing']);
    assert.deepEqual((await v5.users.roles.list('auth0|seed11')).data.map((r) => r.id), ['marketing']);
    await assert.rejects(v5.roles.users.assign('marketing', { users: ['auth0|nobody'] }), (err: unknown) => err instanceof Management.NotFoundError);
    for (const id of ['auth0|seed10', 'auth0|seed11']) await v5.users.roles.delete(id, { roles: ['marketing'] });
  });

  test('exports users to CSV and imports a file through jobs, and reads the errors', async () => {
    const created = await v5.jobs.usersExports.create({ format: 'csv', fields: [{ name: 'email' }, { name: 'user_metadata.shoe_size', export_as: 'size' }] });
    assert.deepEqual([created.type, created.status, created.format], ['users_export', 'pending', 'csv']);
    const done = await until('the v5 export to complete', async () => {
      const job = await v5.jobs.get(created.id);
      return job.status === 'completed' && job;
    });
    const lines = (await download(done.location!)).text!.trim().split('\r\n');
    assert.equal(lines[0], 'email,size');
    // Strings quoted and prefixed with ' (Auth0's CSV-injection guard), numbers bare.
    const shopperRows = lines.slice(1).filter((line) => line.startsWith('"\'shopper')).sort();
    assert.deepEqual(shopperRows, shoppers.map((email) => `"'${email}",${38 + (Number(/\d+/.exec(email)![0]) % 6)}`).sort());

    const file = new Blob([JSON.stringify([{ email: 'v5.import@innovashoes.example', app_metadata: { plan: 'premium' } }, { email: 'v5.bad@innovashoes.example', app_metadata: { blocked: true } }])]);
    const job = await v5.jobs.usersImports.create({ users: file, connection_id: PASSWORD_CONNECTION, upsert: true, external_id: 'crm-2025-01' });
    assert.deepEqual([job.type, job.status, job.upsert, job.external_id], ['users_import', 'pending', true, 'crm-2025-01']);
    const imported = await until('the v5 import to complete', async () => {
      const found = await v5.jobs.get(job.id);
      return found.status === 'completed' && found;
    });
    assert.deepEqual(imported.summary, { failed: 1, updated: 0, inserted: 1, total: 2 });
    const errors = await v5.jobs.errors.get(job.id);
    assert.ok(Array.isArray(errors));
    assert.deepEqual(errors.map((e) => [e.user, e.errors?.map((x) => x.code)]), [[{ email: 'v5.bad@innovashoes.example' }, ['NOT_PASSED']]]);
  });
  test('creates a password change and an email verification ticket (tickets.changePassword/verifyEmail); their URLs set the password and verify the address', async () => {
    const userId = await newUnverifiedUser((body) => v5.users.create(body), 'v5.ticket@innovashoes.example');
    const before = await storedUser(userId);
    const change = await v5.tickets.changePassword({ user_id: userId });
    assert.ok(change.ticket.startsWith(`https://${tenant.domain}/password/reset/new?ticket=`), change.ticket);
    const used = await useTicketLink(`https://${tenant.domain}`, change.ticket, { password: 'the v5 ticket password' });
    assert.match(used.text, /Password changed/);
    const after = await storedUser(userId);
    assert.notEqual(after!.password_hash, before!.password_hash);
    assert.equal(after!.email_verified, false, 'not asked to verify');

    const verify = await v5.tickets.verifyEmail({ user_id: userId, identity: { provider: 'auth0', user_id: userId.slice('auth0|'.length) } });
    assert.match((await useTicketLink(`https://${tenant.domain}`, verify.ticket)).text, /Email confirmed/);
    assert.equal((await storedUser(userId))!.email_verified, true);
    await assert.rejects(v5.tickets.changePassword({ email: 'v5.ticket@innovashoes.example', connection_id: 'google-oauth2' }), Management.BadRequestError);
  });
});

describe('auth0 SDKs: refusals as each SDK\'s own errors', () => {
  const READER = sdkClient('sdk-reader', ['read:users']);
  let readerTenant: TlsInsole;
  before(async () => { readerTenant = await startTlsInsole(certificate, [READER]); });
  after(() => readerTenant.stop());

  test('a wrong secret fails at the token endpoint; a missing scope is a 403; a malformed q a 400 with its position', async () => {
    const options = { domain: readerTenant.domain, clientId: READER.client_id, clientSecret: READER.client_secret };
    const wrong = { ...options, clientSecret: 'not-the-secret-0123456789abcdef' };
    await assert.rejects(new ManagementClientV4(wrong).users.getAll(), (err: unknown) => {
      assert.ok(err instanceof AuthApiErrorV4, `an AuthApiError, not ${String(err)}`);
      assert.deepEqual([err.statusCode, err.error], [401, 'invalid_client']);
      return true;
    });
    await assert.rejects(new ManagementClientV5(wrong).users.list(), (err: unknown) => {
      assert.ok(err instanceof AuthApiErrorV5, `an AuthApiError, not ${String(err)}`);
      assert.deepEqual([err.statusCode, err.error], [401, 'invalid_client']);
      return true;
    });

    const v4 = new ManagementClientV4(options);
    const v5 = new ManagementClientV5(options);
    await assert.rejects(v4.stats.getActiveUsersCount(), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.errorCode, err.message], [403, 'insufficient_scope', 'Insufficient scope, expected any of: read:stats']);
      return true;
    });
    await assert.rejects(v5.logs.list(), (err: unknown) => {
      assert.ok(err instanceof Management.ForbiddenError, `a ForbiddenError, not ${String(err)}`);
      assert.deepEqual(err.body, { statusCode: 403, error: 'Forbidden', message: 'Insufficient scope, expected any of: read:logs', errorCode: 'insufficient_scope' });
      return true;
    });
    await assert.rejects(v4.users.getAll({ q: 'email:(shopper' }), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError);
      assert.deepEqual([err.statusCode, err.errorCode], [400, 'invalid_query_string']);
      assert.match(err.message, /position \d+/);
      return true;
    });
    await assert.rejects(v5.users.list({ per_page: 101 }), (err: unknown) => {
      assert.ok(err instanceof Management.BadRequestError, `a BadRequestError, not ${String(err)}`);
      assert.match((err.body as { message: string }).message, /per_page/);
      return true;
    });
  });
});

describe('auth0 SDKs over a rate-limited insole', () => {
  const LIMITED = sdkClient('sdk-limited', ['read:users']);
  let limited: TlsInsole;
  before(async () => { limited = await startTlsInsole(certificate, [LIMITED], { admin_api: { rate_limit: { requests: 2, window_seconds: 3600 } } }); });
  after(() => limited.stop());

  test('past the limit, each SDK surfaces the 429 as its own error type, with the x-ratelimit headers', async () => {
    // Both SDKs retry a 429 by default (v4 three times with back-off, v5 until x-ratelimit-reset, up to
    // a minute): without retries the first 429 comes back to the caller.
    const options = { domain: limited.domain, clientId: LIMITED.client_id, clientSecret: LIMITED.client_secret };
    const v4 = new ManagementClientV4({ ...options, retry: { enabled: false } });
    const v5 = new ManagementClientV5({ ...options, maxRetries: 0 });
    const windowOpened = Date.now();
    assert.equal((await v4.users.getAll()).status, 200);
    assert.equal((await v5.users.list()).rawResponse.status, 200);
    // x-ratelimit-reset: epoch seconds when the window (opened by the first request) ends.
    const isReset = (header: string | null) => Number(header) >= Math.floor(windowOpened / 1000) + 3600 && Number(header) <= Math.ceil(Date.now() / 1000) + 3600;
    await assert.rejects(v4.users.getAll(), (err: unknown) => {
      assert.ok(err instanceof ManagementApiError, `a ManagementApiError, not ${String(err)}`);
      assert.deepEqual([err.statusCode, err.errorCode, err.error, err.message], [429, 'too_many_requests', 'Too Many Requests', 'Global limit has been reached']);
      assert.deepEqual([err.headers.get('x-ratelimit-limit'), err.headers.get('x-ratelimit-remaining')], ['2', '0']);
      assert.ok(isReset(err.headers.get('x-ratelimit-reset')), `x-ratelimit-reset ${err.headers.get('x-ratelimit-reset')}`);
      return true;
    });
    await assert.rejects(v5.users.list(), (err: unknown) => {
      assert.ok(err instanceof Management.TooManyRequestsError, `a TooManyRequestsError, not ${String(err)}`);
      assert.equal(err.statusCode, 429);
      assert.deepEqual(err.body, { statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached', errorCode: 'too_many_requests' });
      const headers = err.rawResponse!.headers;
      assert.deepEqual([headers.get('x-ratelimit-limit'), headers.get('x-ratelimit-remaining')], ['2', '0']);
      assert.ok(isReset(headers.get('x-ratelimit-reset')), `x-ratelimit-reset ${headers.get('x-ratelimit-reset')}`);
      return true;
    });
  });
});
