// The dashboard's client secret (dashboard_client) held by instances behind one issuer: a sign-in's
// callback runs on one instance, and its token request may be answered by another. When they hold
// different secrets, the token endpoint answers invalid_client (RFC 6749 §5.2), and the admin must be
// told that plainly, not that the code expired; the operator reads the cause in the log. The CLI's
// `keys dashboard-secret --replace` makes that happen on purpose until every instance restarted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { clientSecretsBox } from '../src/oidc/client-secrets.ts';
import { DASHBOARD_CLIENT_ID } from '../src/oidc/dashboard-client.ts';
import { BrowserAgent } from './support/checked-agent.ts';
import { cli } from './support/cli-run.ts';
import { DASHBOARD_PASSWORD, dashboardClientOf, dashboardUser, readerToken, startDashboardInsole } from './support/dashboard.ts';
import { testDatabaseUri, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { startPathBalancer, type PathBalancer } from './support/path-balancer.ts';
import { readForm } from './support/user-agent.ts';

const EMAIL = 'secret.admin@innovashoes.example';

/** What this instance's token endpoint says to the dashboard client with this secret: a made-up refresh token is invalid_grant once the secret is accepted. */
async function tokenEndpointSays(insole: TestInsole, secret: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${insole.config.port}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${DASHBOARD_CLIENT_ID}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' }),
  });
  return ((await res.json()) as { error: string }).error;
}

describe('dashboard sign-in when instances hold different dashboard client secrets', () => {
  let databaseUri: string;
  let balancer: PathBalancer;
  const running: TestInsole[] = [];
  const { logger, lines } = captureLogs();
  const start = async () => {
    // Access tokens of 31 s: a session is renewed on its first page after a second (RENEW_BEFORE_SECONDS 30).
    const instance = await startDashboardInsole({ issuer: balancer.url, ttl: { access_token: 31 } }, databaseUri, logger);
    running.push(instance);
    return instance;
  };

  /** The dashboard's pages (its callback and token request) on `dashboard`; insole's own endpoints on `provider`. */
  async function signInAcross(dashboard: TestInsole, provider: TestInsole) {
    balancer.route = (path) => ({ port: (path.startsWith('/admin') ? dashboard : provider).config.port });
    const agent = new BrowserAgent(balancer.url);
    const form = readForm(await (await agent.get(`${balancer.url}/admin/users`)).res.text());
    const done = await agent.postForm(new URL(form.action, balancer.url).href, { email: EMAIL, password: DASHBOARD_PASSWORD, _csrf: form.csrf });
    return { agent, status: done.res.status, path: new URL(done.url).pathname, page: await done.res.text() };
  }

  /** A new database with its first instance (the dashboard secret is made) and the admin. */
  async function firstInstance(): Promise<TestInsole> {
    for (const instance of running.splice(0)) await instance.stop();
    databaseUri = testDatabaseUri();
    const first = await start();
    balancer.route = () => ({ port: first.config.port });
    await dashboardUser(first, await readerToken(first), EMAIL, ['admin']);
    return first;
  }

  before(async () => { balancer = await startPathBalancer(); });
  after(async () => {
    for (const instance of running) await instance.stop();
    await balancer?.close();
  });

  test('a token endpoint refusing the dashboard client shows a distinct page (no secret) and logs the cause, not "expired"', async () => {
    const first = await firstInstance();
    const firstSecret = (await dashboardClientOf(first)).client_secret;
    // Another secret stored since the first instance started (as a replacement would): the second holds it.
    await first.db.collection('dashboard_client').updateOne({ _id: DASHBOARD_CLIENT_ID as never }, { $set: { secret_sealed: clientSecretsBox(first.config).seal(randomBytes(32).toString('base64url')) } });
    const second = await start();
    const secondSecret = (await dashboardClientOf(second)).client_secret;
    assert.notEqual(secondSecret, firstSecret);

    const signedIn = await signInAcross(first, first);
    assert.equal(signedIn.path, '/admin/users', 'alone, the first instance still signs in with the secret it holds');
    lines.length = 0;
    const refused = await signInAcross(first, second);
    assert.equal(refused.status, 500);
    assert.equal(refused.path, '/admin/callback');
    assert.match(refused.page, /Sign-in unavailable/);
    assert.match(refused.page, /insole refused the dashboard&#39;s own client credentials/);
    assert.doesNotMatch(refused.page, /expired|already used/i, 'not shown as an expired or used code');
    for (const secret of [firstSecret, secondSecret]) {
      assert.ok(!refused.page.includes(secret), 'no secret on the page');
      assert.ok(!lines.some((line) => line.includes(secret)), 'no secret in the log');
    }
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; token_endpoint?: string })
      .find((line) => line.msg.startsWith('dashboard sign-in failed: the token endpoint refused the dashboard client'));
    assert.ok(logged, lines.join('\n'));
    assert.equal(logged.level, 50, 'logged as an error for the operator');
    assert.match(logged.token_endpoint ?? '', /^invalid_client/);

    // The session signed in on the first alone, renewed through the second: the same cause, an error too.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    lines.length = 0;
    balancer.route = (path) => ({ port: (path.startsWith('/admin') ? first : second).config.port });
    await signedIn.agent.get(`${balancer.url}/admin/users`);
    const renewal = lines.map((line) => JSON.parse(line) as { level: number; msg: string; token_endpoint?: string })
      .find((line) => line.msg.startsWith('dashboard session could not be renewed'));
    assert.ok(renewal, lines.join('\n'));
    assert.equal(renewal.level, 50, 'logged as an error, not as an ended session');
    assert.match(renewal.msg, /the token endpoint refused the dashboard client/);
    assert.match(renewal.token_endpoint ?? '', /^invalid_client/);
    for (const secret of [firstSecret, secondSecret]) assert.ok(!lines.some((line) => line.includes(secret)), 'no secret in the log');
  });

  test('keys dashboard-secret --replace: a new sealed secret, never printed; running instances keep theirs until restarted, then all agree', async () => {
    const first = await firstInstance();
    const oldSecret = (await dashboardClientOf(first)).client_secret;
    await assert.rejects(cli(databaseUri, 'keys', 'dashboard-secret'), { name: 'CliError', message: /^keys dashboard-secret needs --replace/ });
    assert.equal((await dashboardClientOf(first)).client_secret, oldSecret, 'without --replace nothing is written');

    const replaced = await cli(databaseUri, 'keys', 'dashboard-secret', '--replace');
    assert.equal(replaced.code, 0, replaced.out);
    assert.match(replaced.out, /restart every instance/);
    const newSecret = (await dashboardClientOf(first)).client_secret; // as the next instance to start reads it
    assert.notEqual(newSecret, oldSecret);
    assert.match(newSecret, /^[\w-]{43}$/, '32 bytes, base64url');
    assert.ok(!replaced.out.includes(newSecret) && !replaced.err.includes(newSecret), 'never printed');
    assert.ok(!JSON.stringify(await first.db.collection('dashboard_client').find().toArray()).includes(newSecret), 'kept sealed');

    // The running instance keeps what it read at start, in its provider and its dashboard alike.
    assert.equal((await signInAcross(first, first)).path, '/admin/users');
    assert.equal(await tokenEndpointSays(first, oldSecret), 'invalid_grant');
    // An instance started since holds the new one: a sign-in split between them is refused, plainly.
    const second = await start();
    assert.equal(await tokenEndpointSays(second, oldSecret), 'invalid_client');
    assert.equal(await tokenEndpointSays(second, newSecret), 'invalid_grant');
    assert.match((await signInAcross(first, second)).page, /Sign-in unavailable/);
    // Once the first has restarted, every pair signs in, both ways.
    await first.stop();
    const restarted = await start();
    assert.equal((await signInAcross(restarted, second)).path, '/admin/users');
    assert.equal((await signInAcross(second, restarted)).path, '/admin/users');
  });
});
