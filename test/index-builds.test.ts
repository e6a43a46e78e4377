// Found by a full run on the faster dev database: a test insole stopped before its pending-signup and
// handshake index builds ended, and their rejected promise, awaited by nobody yet, failed the file as
// an unhandled rejection (in production it would end the process during a shutdown or a database outage).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { indexBuilds } from '../src/db/index-builds.ts';
import mongoose from 'mongoose';

test('an index build that fails (connection closed mid-build) is no unhandled rejection, and the next write builds again', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const mongo = await startEmbeddedMongo();
  try {
    const first = await mongoose.createConnection(`${mongo.uri}/index_builds`).asPromise();
    const collection = first.collection('things');
    let builds = 0;
    const ready = indexBuilds(() => { builds++; return collection.createIndex({ kind: 1, at: 1 }); });
    await first.close(true); // closed while the build is in flight: it fails
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(unhandled, []);

    const second = await mongoose.createConnection(`${mongo.uri}/index_builds`).asPromise();
    const retried = indexBuilds(() => { builds++; return second.collection('things').createIndex({ kind: 1, at: 1 }); });
    await retried();
    await assert.rejects(ready(), 'the first collection handle is closed: its next write tries again and fails again, as a write would');
    assert.equal(builds, 3, 'built at start twice, then once more for the write on the closed handle');
    const names = (await second.collection('things').listIndexes().toArray()).map((i) => i.name);
    assert.ok(names.includes('kind_1_at_1'));
    await second.close();
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await mongo.stop();
  }
});
