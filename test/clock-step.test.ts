import assert from 'node:assert/strict';
import { globSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, testDatabaseUri } from './support/insole.ts';
import { startServer, type Server } from './support/server-process.ts';

// libfaketime (Debian's faketime package, installed by .ci/run) moves one process's wall clock and
// leaves its monotonic clock alone: what a VM resumed after a pause, or NTP stepping the clock, does.
const LIBFAKETIME = globSync('/usr/lib/*/faketime/libfaketime.so.1')[0];

// Found by the soak of 2026-12-04 (run 10): the host paused the machine for 11 s, and on resuming all
// three instances answered 503 for about a second, because mongoose times the database's heartbeats
// by Date.now() and read the step as two missed heartbeats.
describe('a wall-clock step (a VM resumed after a pause)', () => {
  let dir: string;
  let server: Server;
  let issuer: string;
  before(async () => {
    assert.ok(LIBFAKETIME, 'libfaketime is missing: apt-get install faketime (.ci/run does)');
    dir = await mkdtemp(join(tmpdir(), 'insole-clock-'));
    await writeFile(join(dir, 'offset'), '+0');
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    server = await startServer({
      PORT: String(port), ISSUER: issuer, MONGODB_URI: testDatabaseUri(),
      LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: join(dir, 'offset'), FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1',
    });
  });
  after(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  test('the instance stays ready and serves: heartbeats are timed on the monotonic clock', async () => {
    // Past the first heartbeats, so that a check timed by the wall clock has one to compare with.
    await new Promise((r) => setTimeout(r, 5_000));
    assert.equal((await fetch(`${issuer}/health/ready`)).status, 200);

    await writeFile(join(dir, 'offset'), '+11s');
    const ready = await fetch(`${issuer}/health/ready`);
    assert.equal(ready.status, 200, `readiness after the step: ${await ready.text()}`);
    assert.equal((await fetch(`${issuer}/.well-known/openid-configuration`)).status, 200, 'requests are not refused with 503');
  });
});
