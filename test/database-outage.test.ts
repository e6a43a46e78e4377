import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { buildAuthorization, discoverStorefront } from './support/relying-party.ts';

async function until(check: () => Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('when the database goes away', () => {
  let mongo: EmbeddedMongo;
  let insole: TestInsole;
  let port: number;
  before(async () => {
    mongo = await startEmbeddedMongo();
    port = Number(new URL(mongo.uri).port);
    insole = await startTestInsole({}, `${mongo.uri}/outage`);
  });
  after(async () => { await insole.stop(); await mongo.stop(); });

  test('requests fail fast with 503, readiness says so, and service resumes when it is back', async () => {
    const config = await discoverStorefront(insole.issuer);
    const authorizeUrl = (await buildAuthorization(config)).url;
    assert.equal((await fetch(`${insole.issuer}/health/ready`)).status, 200);

    await mongo.stop();
    await until(async () => (await fetch(`${insole.issuer}/health/ready`)).status === 503, 'readiness reports the outage');
    const ready = await (await fetch(`${insole.issuer}/health/ready`)).json();
    assert.deepEqual(ready, { status: 'unavailable', checks: { database: 'down' } });
    assert.equal((await fetch(`${insole.issuer}/health/live`)).status, 200, 'the process itself is alive');

    const page = await fetch(authorizeUrl, { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(page.status, 503);
    assert.ok(page.headers.get('retry-after'));
    assert.match(await page.text(), /temporarily unavailable/);
    const api = await fetch(`${insole.issuer}/oauth/token`, { method: 'POST', headers: { accept: 'application/json' } });
    assert.equal(api.status, 503);
    assert.equal((await api.json()).error, 'temporarily_unavailable');

    mongo = await startEmbeddedMongo({ port });
    await until(async () => (await fetch(`${insole.issuer}/health/ready`)).status === 200, 'the driver reconnects');
    const again = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.equal(again.status, 303, 'the authorization request is served again');
  });
});
