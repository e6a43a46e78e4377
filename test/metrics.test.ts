import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeFullContact, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { hookSettings, jobsOf, until } from './support/hooks.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { signUpVerified } from './support/verified-signup.ts';

const TOKEN = 'scraper-token-0123456789abcdef';

describe('hook metrics for a Prometheus scraper', () => {
  let fullcontact: FakeFullContact;
  let insole: TestInsole;
  before(async () => {
    fullcontact = await startFakeFullContact();
    insole = await startTestInsole({ ...hookSettings({ fullcontact }), metrics_token: TOKEN });
  });
  after(async () => { await insole.stop(); await fullcontact.close(); });

  test('only a scraper with the token reads them, and they count what the hooks did', async () => {
    assert.equal((await fetch(`${insole.issuer}/metrics`)).status, 401);
    assert.equal((await fetch(`${insole.issuer}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-same-size!!' } })).status, 401);

    await signUpVerified(insole, { email: 'counted@innovashoes.example', password: 'count my enrichment' });
    await until('the enrichment job to finish', async () => (await jobsOf(insole).findOne({ hook: 'fullcontact', state: 'done' })));

    const res = await fetch(`${insole.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^insole_hook_attempts_total\{hook="fullcontact"\} 1$/m);
    assert.match(text, /^insole_hook_succeeded_total\{hook="fullcontact"\} 1$/m);
    assert.match(text, /^insole_hook_enabled\{hook="fullcontact"\} 1$/m);
    assert.match(text, /^insole_hook_jobs\{hook="fullcontact",state="pending"\} 0$/m);
    assert.doesNotMatch(text, /state="done"/, 'done jobs are kept 30 days: a scrape does not count them');
    assert.doesNotMatch(text, /insole_event_relay/, 'no AMQP_URL, no relay to report on (broker-blocked.test.ts: with one)');
  });

  test('the job gauges count the backlog and the jobs that need a hand, per hook', async () => {
    const now = new Date();
    const job = (key: string, state: string, runAfter = now) => ({ hook: 'fullcontact', user_id: `auth0|${key}`, key, state, attempts: 1, run_after: runAfter, created_at: now, updated_at: now });
    // The pending one is due in an hour, so no worker takes it while the test reads the gauges.
    await jobsOf(insole).insertMany([job('gauge-1', 'dead'), job('gauge-2', 'dead'), job('gauge-3', 'pending', new Date(now.getTime() + 3600_000)), job('gauge-4', 'disabled')]);
    try {
      const text = await (await fetch(`${insole.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      for (const [state, n] of [['pending', 1], ['running', 0], ['dead', 2], ['disabled', 1]] as const) {
        assert.match(text, new RegExp(`^insole_hook_jobs\\{hook="fullcontact",state="${state}"\\} ${n}$`, 'm'), state);
      }
    } finally {
      await jobsOf(insole).deleteMany({ key: { $in: ['gauge-1', 'gauge-2', 'gauge-3', 'gauge-4'] } });
    }
  });

  test("this process's figures for a soak: memory, event-loop delay, active resources and the MongoDB pool", async () => {
    const text = await (await fetch(`${insole.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    const rss = value(/^process_resident_memory_bytes (\d+)$/m);
    assert.ok(Math.abs(rss - process.memoryUsage().rss) < 0.2 * rss, 'insole runs in this test process: its resident size is ours');
    assert.ok(value(/^nodejs_heap_size_used_bytes (\d+)$/m) > 1_000_000);
    for (const quantile of ['0.5', '0.99', '1']) assert.ok(value(new RegExp(`^nodejs_eventloop_lag_seconds\\{quantile="${quantile}"\\} ([\\d.e-]+)$`, 'm')) >= 0);
    assert.ok(value(/^nodejs_active_resources\{type="TCPServerWrap"\} (\d+)$/m) >= 1, 'the listening server is counted');
    const total = value(/^nodejs_active_resources_total (\d+)$/m);
    assert.equal(total, [...text.matchAll(/^nodejs_active_resources\{type="[^"]+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0));
    const pool = value(/^insole_mongodb_pool_connections (\d+)$/m);
    assert.ok(pool >= 1 && pool <= 100, `pool connections: ${pool}`);
  });

  test('without a configured token the endpoint does not exist', async () => {
    const plain = await startTestInsole();
    try {
      assert.equal((await fetch(`${plain.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    } finally {
      await plain.stop();
    }
  });
});
