import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { finishedJob, seededUser, seedUsers, JOBS_SETTINGS } from './support/user-jobs.ts';

const ADMIN = { client_id: 'segment-jobs-admin', client_secret: 'segment-jobs-admin-secret-0123456789abcdef', scopes: ['read:users', 'read:segments', 'update:segments'] };

/** An instance of the fleet on the shared database; `worker: false` ones take requests and never run jobs. */
const instance = (databaseUri: string, worker: boolean) =>
  startTestInsole({ clients: [m2mClientConfig(ADMIN)], admin_api: JOBS_SETTINGS({ worker }) }, databaseUri);

describe('an export of a saved segment deleted before its job ran', () => {
  const databaseUri = testDatabaseUri();
  let front: TestInsole; // takes the requests; the job waits until a worker starts
  let token: string;
  before(async () => {
    front = await instance(databaseUri, false);
    token = (await managementToken(front, ADMIN)).access_token;
  });
  after(() => front.stop());

  test('fails with a status naming the segment (no empty file that looks like an answer); an export of a segment still there completes', async () => {
    await seedUsers(front.db, 3);
    const segment = async (name: string) => {
      const created = await api(front, token, 'POST', '/segments', { name, user_ids: ['auth0|seed0', 'auth0|seed1'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.id as string;
    };
    const [doomed, kept] = [await segment('Deleted before the export'), await segment('Still there')];
    const exportOf = async (id: string) => {
      const created = await api(front, token, 'POST', '/jobs/users-exports', { segment_id: id, format: 'csv' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.status, 'pending');
      return created.body.id as string;
    };
    const [doomedJob, keptJob] = [await exportOf(doomed), await exportOf(kept)];
    assert.equal((await api(front, token, 'DELETE', `/segments/${doomed}`)).status, 204);

    const worker = await instance(databaseUri, true);
    try {
      const failed = await finishedJob(front, token, doomedJob);
      assert.equal(failed.status, 'failed', JSON.stringify(failed));
      assert.equal(failed.status_details, `The segment ${doomed} was deleted after the job was created: there is no list of its members to export.`);
      assert.equal(failed.location, undefined, 'no file to download');
      // Auth0's errors endpoint answers the job itself when it failed as a whole.
      const errors = await api(front, token, 'GET', `/jobs/${doomedJob}/errors`);
      assert.equal(errors.status, 200);
      assert.equal(errors.body.status_details, failed.status_details);
      const job = await front.db.collection('user_jobs').findOne({ job_id: doomedJob });
      assert.equal(job?.attempts, 1, 'failed at its first attempt: no retry can bring the segment back');
      assert.equal(await front.db.collection('export_files.files').countDocuments({ filename: `${doomedJob}.csv.gz` }), 0, 'no file was stored');

      const completed = await finishedJob(front, token, keptJob);
      assert.equal(completed.status, 'completed', JSON.stringify(completed));
      assert.ok(completed.location);
    } finally {
      await worker.stop();
    }
  });
});
