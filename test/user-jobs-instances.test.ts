import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startInsoleProcess } from '../bench/insole-child.ts';
import { createUserJobModel } from '../src/admin/jobs/user-job.model.ts';
import { createUserJobRepository } from '../src/admin/jobs/user-job.repository.ts';
import { until } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { download, finishedJob, postImport, seededUser, seedUsers, JOBS_SETTINGS } from './support/user-jobs.ts';

const ADMIN = { client_id: 'fleet-admin', client_secret: 'fleet-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users'] };
const USERS = 100_000;
const MB = 1024 * 1024;

/** An instance of the fleet: every one shares the database; `worker: false` ones never run jobs. */
const instance = (databaseUri: string, worker: boolean, leaseMs = 2_000) =>
  startTestInsole({ clients: [m2mClientConfig(ADMIN)], admin_api: JOBS_SETTINGS({ worker, lease_ms: leaseMs }) }, databaseUri);

describe('jobs across instances: any instance runs them, takes them over, serves their files', () => {
  const databaseUri = testDatabaseUri();
  let front: TestInsole; // takes requests, runs no job
  let token: string;
  before(async () => {
    front = await instance(databaseUri, false);
    token = (await managementToken(front, ADMIN)).access_token;
  });
  after(() => front.stop());

  test(`an export of ${USERS.toLocaleString('en')} users streams (resident memory grows < 50 MB), runs on another instance, and downloads from the first`, async () => {
    await seedUsers(front.db, USERS, (n) => seededUser(n, {
      name: `Shopper Number ${n}`, given_name: 'Shopper', family_name: `Number${n}`, logins_count: n % 17,
      user_metadata: { shoe_size: 38 + (n % 10), preferences: { newsletter: n % 2 === 0, sports: ['running', 'trail'] } }, app_metadata: { plan: 'basic', crm_id: `crm-${n}` },
    }));
    // The instance that runs the job is a process of its own, as a worker is in production, and its
    // resident memory is what is measured. V8 sizes its heap to the allocation rate as it goes: measured
    // so, in this process beside the seeding and the front instance, or in a process of its own, the
    // same export grew it by 12 MB in some runs and by 50–155 MB in others (young generation doubled,
    // dead objects promoted before V8 collected them), more often under the full suite's load. With
    // V8's predictable schedule (fixed heap growing, no idle-time shrinking) what is measured is what
    // the export keeps alive, which would grow with the number of users if it did not stream.
    const worker = await startInsoleProcess(
      databaseUri, { clients: [m2mClientConfig(ADMIN)], admin_api: JOBS_SETTINGS({ worker: true, lease_ms: 2_000 }) },
      { nodeOptions: ['--predictable-gc-schedule'] },
    );
    try {
      // A first, smaller export pays what any busy process pays once (code compiled, pools and buffers
      // sized); the growth measured below is then what the export itself holds on to.
      const warmUp = await api(front, token, 'POST', '/jobs/users-exports', { format: 'json', limit: 20_000 });
      assert.equal((await finishedJob(front, token, warmUp.body.id, 60_000)).status, 'completed');
      const baseline = worker.residentMemory();
      let peak = baseline;
      const sampler = setInterval(() => { peak = Math.max(peak, worker.residentMemory()); }, 20);
      const created = await api(front, token, 'POST', '/jobs/users-exports', { format: 'json' });
      assert.equal(created.status, 201);
      const running = await until('the export to run', async () => {
        const { body } = await api(front, token, 'GET', `/jobs/${created.body.id}`);
        return body?.status === 'processing' && body.percentage_done > 0 ? body : undefined;
      }, 30_000);
      assert.ok(running.percentage_done < 100 && running.time_left_seconds >= 0, JSON.stringify(running));
      const job = await finishedJob(front, token, created.body.id, 60_000);
      clearInterval(sampler);
      assert.equal(job.status, 'completed');
      assert.ok(peak - baseline < 50 * MB, `resident memory grew by ${((peak - baseline) / MB).toFixed(1)} MB during the export`);

      // The front instance runs no jobs: the other one ran it.
      const file = await download(job.location!); // signed by the front instance, served by it from GridFS
      assert.equal(file.status, 200);
      const lines = file.text!.trimEnd().split('\n');
      assert.equal(lines.length, USERS);
      const emails = new Set(lines.map((line) => JSON.parse(line).email as string));
      assert.equal(emails.size, USERS, 'each user once');
      assert.ok(emails.has('shopper0@innovashoes.example') && emails.has(`shopper${USERS - 1}@innovashoes.example`));
      assert.deepEqual(JSON.parse(lines[USERS >> 1]).user_metadata.preferences.sports, ['running', 'trail']);

      // A link the worker instance signs is good on the front one too: one secret for the fleet.
      // (Each test instance has its own issuer, so each its own tokens; a fleet shares one ISSUER.)
      const viaWorker = await api(worker, (await managementToken(worker, ADMIN)).access_token, 'GET', `/jobs/${job.id}`);
      assert.equal(new URL(viaWorker.body.location).origin, worker.issuer);
      const crossed = viaWorker.body.location.replace(worker.issuer, front.issuer);
      assert.equal((await fetch(crossed)).status, 200);
    } finally {
      await worker.stop();
    }
  });

  test('a running job keeps its lease while it renews it, and a shutdown hands it back to another instance at once', async () => {
    const jobsOf = front.db.collection('user_jobs');
    const first = await instance(databaseUri, true, 1_000);
    let second: TestInsole | undefined;
    try {
      const created = await api(front, token, 'POST', '/jobs/users-exports', { format: 'json' });
      const running = await until('the first instance to run the export', async () => {
        const job = await jobsOf.findOne({ job_id: created.body.id, status: 'processing', processed: { $gt: 0 } });
        return job ?? undefined;
      });
      second = await instance(databaseUri, true, 1_000);
      // Past the lease the claim gave: only renewals can have kept the job from the second worker.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, running.lease_until.getTime() - Date.now()) + 1_000));
      const held = (await jobsOf.findOne({ job_id: created.body.id }))!;
      assert.equal(held.status, 'processing', 'the export takes longer than the wait, or the test proves nothing');
      assert.equal(held.worker, running.worker, 'still the first worker');
      assert.equal(held.attempts, 1);

      await first.stop(0); // SIGTERM with no grace: the job is handed back, not left to its lease
      const done = await finishedJob(front, token, created.body.id, 60_000);
      assert.equal(done.status, 'completed');
      const final = (await jobsOf.findOne({ job_id: created.body.id }))!;
      assert.notEqual(final.worker, running.worker);
      assert.equal(final.attempts, 1, 'an attempt cut short by a shutdown does not count');
      const file = await download(done.location!);
      assert.equal(new Set(file.text!.trimEnd().split('\n').map((line) => JSON.parse(line).user_id)).size, USERS, 'every user once');
      assert.equal(await front.db.collection('export_files.files').countDocuments({ _id: { $ne: final.file_id }, filename: `${done.id}.json.gz` }), 0, 'the interrupted attempt left no file');
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  test('a job whose worker died is taken over after its lease, and an import resumes after the records already done', async () => {
    const records = Array.from({ length: 10 }, (_, i) => ({ email: `resume${i}@innovashoes.example`, user_id: `resume${i}` }));
    const created = await postImport(front, token, JSON.stringify(records));
    assert.equal(created.status, 202);
    // A worker claimed it, imported 4 records, recorded them, and died: its lease ran out a second ago.
    await seedUsers(front.db, 4, (i) => seededUser(i, { email: `resume${i}@innovashoes.example`, user_id: `auth0|resume${i}`, identities: [{ provider: 'auth0', user_id: `resume${i}`, connection: 'Username-Password-Authentication', isSocial: false }] }));
    await front.db.collection('user_jobs').updateOne({ job_id: created.body.id }, {
      $set: { status: 'processing', worker: 'crashed-host:1:dead', attempts: 1, lease_until: new Date(Date.now() - 1000), processed: 4, 'summary.inserted': 4 },
    });
    const heir = await instance(databaseUri, true);
    try {
      const done = await finishedJob(front, token, created.body.id);
      assert.deepEqual(done.summary, { failed: 0, updated: 0, inserted: 10, total: 10 }, 'records 0–3 were not applied twice');
      assert.equal((await api(front, token, 'GET', `/jobs/${created.body.id}/errors`)).status, 204);
      const stored = await front.db.collection('user_jobs').findOne({ job_id: created.body.id });
      assert.equal(stored!.attempts, 2);
      assert.notEqual(stored!.worker, 'crashed-host:1:dead');
      assert.equal(await front.db.collection('users').countDocuments({ email: { $in: records.map((r) => r.email) } }), 10);
    } finally {
      await heir.stop();
    }
  });

  test('a worker whose lease passed to another cannot record an outcome over the newer attempt', async () => {
    const jobs = createUserJobRepository(createUserJobModel(front.connection));
    const job = await jobs.create({ type: 'users_import', created_by: 'test', users_file: '[]', total: 0, summary: { failed: 0, updated: 0, inserted: 0, total: 0 } });
    const first = (await until('w1 to claim', () => jobs.claim('w1', 1)))!;
    assert.equal(first.job_id, job.job_id);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = (await until('w2 to take it over', () => jobs.claim('w2', 60_000)))!;
    assert.equal(second.attempts, 2);
    assert.equal(await jobs.renew(first, 60_000, 1), false);
    assert.equal(await jobs.complete(first, new Date(Date.now() + 60_000)), false);
    assert.equal(await jobs.fail(first, 'stale', new Date(Date.now() + 60_000)), false);
    assert.equal(await jobs.complete(second, new Date(Date.now() + 60_000)), true);
    assert.equal((await jobs.find(job.job_id))!.status, 'completed');
    // Expired jobs are filtered on read, whatever the TTL monitor has done.
    await jobs.removeExpired(new Date(Date.now() + 120_000));
    assert.equal(await jobs.find(job.job_id), null);
  });
});
