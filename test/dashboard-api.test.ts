import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserDoc } from '../src/users/user.model.ts';
import { READER, readerToken, seedShoppers, startDashboardInsole } from './support/dashboard.ts';
import type { TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { expectedDormant, isoWeekOf } from './support/report-expected.ts';
import { ageBucket } from './support/segment-preview-expected.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const READ_ONLY = { client_id: 'dash-api-reader', client_secret: 'dash-api-reader-secret-0123456789abcdef', scopes: ['read:users', 'read:reports'] };
const WEEK = 7 * 86_400_000;

/** Users per value, most first (ties by value), then other and unknown: the breakdowns' order. */
function tally(values: (string | undefined)[]) {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v ?? 'unknown', (counts.get(v ?? 'unknown') ?? 0) + 1);
  const unknown = counts.get('unknown') ?? 0;
  counts.delete('unknown');
  const known = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  return [...known.slice(0, 10), ...(known.length > 10 ? [{ value: 'other', count: known.slice(10).reduce((s, k) => s + k.count, 0) }] : []), ...(unknown ? [{ value: 'unknown', count: unknown }] : [])];
}

function unwound(users: UserDoc[], key: 'interests' | 'interest_keys') {
  const counts = new Map<string, number>();
  for (const u of users) for (const t of u.facts?.[key] ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

describe('the Management API additions the dashboard uses', () => {
  let insole: TestInsole;
  let inbox: Inbox;
  let reader: string;
  let users: UserDoc[];
  before(async () => {
    inbox = await startInbox();
    insole = await startDashboardInsole({ mail: { smtp_url: inbox.url }, clients: [m2mClientConfig(READ_ONLY), m2mClientConfig(READER)] });
    users = await seedShoppers(insole);
    reader = await readerToken(insole);
  });
  after(async () => { await insole.stop(); await inbox.close(); });

  for (const mode of ['never_returned', 'inactive'] as const) {
    test(`GET /reports/dormant/summary?mode=${mode}: the list's own count, and its users by ISO week of ${mode === 'never_returned' ? 'sign-up' : 'last sign-in'}`, async () => {
      const res = await api(insole, reader, 'GET', `/reports/dormant/summary?mode=${mode}&weeks=20`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const expected = expectedDormant(users, { mode }, new Date());
      const rows = (await (await fetch(`${insole.issuer}/api/v2/reports/dormant?mode=${mode}&format=ndjson`, { headers: { authorization: `Bearer ${reader}` } })).text()).split('\n').filter(Boolean);
      assert.ok(expected.length >= 8, `${expected.length} users on the list`);
      assert.equal(res.body.total, expected.length);
      assert.equal(res.body.total, rows.length, 'as many as the list has rows');
      assert.equal(res.body.days, mode === 'never_returned' ? 14 : 90);
      const weekOf = (row: (typeof expected)[number]) => isoWeekOf(new Date(mode === 'never_returned' ? row.created_at : row.last_login!)).label;
      const weeks = res.body.weeks as { week: string; week_start: string; users: number }[];
      assert.equal(weeks.length, 20);
      assert.equal(weeks.at(-1)!.week, isoWeekOf(new Date(Date.now() - res.body.days * 86_400_000)).label, 'the last week holds the cutoff');
      for (const w of weeks) {
        assert.equal(w.users, expected.filter((row) => weekOf(row) === w.week).length, w.week);
        assert.equal(new Date(w.week_start).getUTCDay(), 1, 'weeks start on Mondays');
      }
      const first = Date.parse(weeks[0].week_start);
      assert.equal(res.body.earlier, expected.filter((row) => Date.parse(mode === 'never_returned' ? row.created_at : row.last_login!) < first).length);
      assert.equal(Date.parse(weeks[1].week_start) - first, WEEK);
    });
  }

  test('GET /reports/demographics: age buckets, gender, country and interests of the enriched users (and of all)', async () => {
    const now = new Date();
    for (const population of ['enriched', 'all'] as const) {
      const res = await api(insole, reader, 'GET', `/reports/demographics${population === 'all' ? '?population=all' : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const members = users.filter((u) => population === 'all' || u.facts?.enrichment === 'matched');
      assert.ok(members.length > 20);
      assert.equal(res.body.population, population);
      assert.equal(res.body.users, members.length);
      const buckets = members.map((u) => ageBucket(u, now));
      assert.deepEqual(res.body.age, ['0-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+', 'unknown'].map((bucket) => ({ bucket, count: buckets.filter((b) => b === bucket).length })));
      assert.deepEqual(res.body.gender, tally(members.map((u) => u.facts?.gender)));
      assert.deepEqual(res.body.country, tally(members.map((u) => u.facts?.country)));
      assert.deepEqual(res.body.topics, unwound(members, 'interests').slice(0, 15).map(([topic, n]) => ({ topic, users: n })));
      assert.deepEqual(res.body.interest_keys, unwound(members, 'interest_keys').map(([key, n]) => ({ key, users: n })));
    }
    assert.ok(users.some((u) => u.facts?.enrichment === 'matched' && u.facts.interest_keys.includes('fitness')), 'the seed has enriched fitness fans');
  });

  test('POST /jobs/verification-email mails a working link to an unverified user; a verified one, a foreign identity, an unknown user and a read-only token are refused', async () => {
    const created = await api(insole, reader, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'unverified.dash@innovashoes.example', password: 'a long enough secret', verify_email: false });
    assert.equal(created.status, 201);
    const id = created.body.user_id as string;
    const readOnly = (await managementToken(insole, READ_ONLY)).access_token;
    const refused = await api(insole, readOnly, 'POST', '/jobs/verification-email', { user_id: id });
    assert.equal(refused.status, 403);
    assert.equal((await api(insole, reader, 'POST', '/jobs/verification-email', { user_id: id, identity: { provider: 'twitter', user_id: '1' } })).status, 400);
    assert.equal((await api(insole, reader, 'POST', '/jobs/verification-email', { user_id: id, shoe: 'red' })).status, 400);
    assert.equal(inbox.mails.length, 0, 'nothing sent for a refused request');

    const job = await api(insole, reader, 'POST', '/jobs/verification-email', { user_id: id, identity: { provider: 'auth0', user_id: id.slice('auth0|'.length) } });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    assert.match(job.body.id, /^job_[A-Za-z0-9]{16}$/);
    assert.deepEqual({ type: job.body.type, status: job.body.status }, { type: 'verification_email', status: 'completed' });
    assert.equal((await api(insole, reader, 'GET', `/jobs/${job.body.id}`)).body.status, 'completed');
    const mail = await inbox.waitFor('unverified.dash@innovashoes.example', /Confirm your email/);
    const agent = new UserAgent(insole.issuer);
    const link = inbox.linkIn(mail, `${insole.issuer}/email/verify?ticket=`);
    const page = await agent.get(link);
    const html = await page.res.text();
    const form = readForm(html);
    const confirmed = await agent.postForm(new URL(form.action, insole.issuer).href, { _csrf: form.csrf, ticket: /name="ticket" value="([^"]+)"/.exec(html)![1] });
    assert.equal(confirmed.res.status, 200);
    assert.equal((await api(insole, reader, 'GET', `/users/${encodeURIComponent(id)}`)).body.email_verified, true);

    const again = await api(insole, reader, 'POST', '/jobs/verification-email', { user_id: id });
    assert.equal(again.status, 400);
    assert.match(again.body.message, /already verified/);
    assert.equal((await api(insole, reader, 'POST', '/jobs/verification-email', { user_id: 'auth0|nobody' })).status, 404);
    const audit = await insole.db.collection('logs').find({ user_id: id, type: { $in: ['sapi', 'fapi'] }, description: 'Send a verification email' }).toArray();
    // Audited as every Management API write: the four refused (read-only token, foreign identity, unknown field, already verified) and the one done.
    assert.deepEqual(audit.map((l) => l.type).sort(), ['fapi', 'fapi', 'fapi', 'fapi', 'sapi']);
  });
});
