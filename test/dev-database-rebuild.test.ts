// The launcher rebuilds the dev database's jar when its sources are newer (after a pull, say) while
// another dev database may still run the old jar: `npm start` in another terminal, a soak. That one
// must go on as it was: a build that rewrote the jar in place made its next class load fail
// (NoClassDefFoundError when it shut down).
import assert from 'node:assert/strict';
import { statSync, utimesSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import mongoose from 'mongoose';
import { buildDevServerJar, DEV_SERVER_JAR, startEmbeddedMongo } from '../src/db/embedded-mongo.ts';

describe('rebuilding the dev database jar', () => {
  test('replaces the jar by a new file and leaves a server running the old one working, to a clean stop', async () => {
    let stderr = '';
    const running = await startEmbeddedMongo({ onStderr: (text) => { stderr += text; } });
    const client = await new mongoose.mongo.MongoClient(running.uri).connect();
    try {
      const before = statSync(DEV_SERVER_JAR);
      // As after a pull: a source newer than the jar, so Maven compiles and packages again.
      const source = resolve(import.meta.dirname, '../tools/mongo-dev-server/src/main/java/insole/MongoDevServer.java');
      utimesSync(source, new Date(), new Date());
      buildDevServerJar();
      const after = statSync(DEV_SERVER_JAR);
      assert.notEqual(after.ino, before.ino, 'a new file, renamed into place');
      assert.ok(after.mtimeMs >= before.mtimeMs);

      // Work the old server has not done yet loads classes it has not loaded yet, from the jar it opened.
      const records = client.db('rebuild').collection('records');
      await records.createIndex({ sku: 1 }, { unique: true });
      await records.insertMany([{ sku: 'runner-42' }, { sku: 'runner-43' }]);
      await assert.rejects(records.insertOne({ sku: 'runner-42' }), /duplicate key/);
      const grouped = await records.aggregate([{ $group: { _id: null, n: { $sum: 1 } } }]).toArray();
      assert.equal(grouped[0]?.n, 2);
    } finally {
      await client.close();
      await running.stop();
    }
    assert.doesNotMatch(stderr, /NoClassDefFoundError|ClassNotFoundException|Exception/, stderr);
  });
});
