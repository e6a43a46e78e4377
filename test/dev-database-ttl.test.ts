// The dev database deletes expired documents as mongod's TTL monitor does (tools/mongo-dev-server,
// TtlMonitor): insole's stores count on it (codes, interactions, tickets, rate limits, done jobs), and
// without it a developer's ./data keeps them all. Passes run every second here (INSOLE_DEV_DB_TTL_SECONDS).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { until } from './support/hooks.ts';

const HOUR = 3600_000;

async function assertExpiry(dataFile?: string) {
  const server = await startEmbeddedMongo({ dataFile, env: { INSOLE_DEV_DB_TTL_SECONDS: '1' } });
  const client = await new mongoose.mongo.MongoClient(server.uri).connect();
  try {
    const db = client.db('ttl');
    const now = Date.now();
    // oidc-provider's kind: the date is the moment of expiry (expireAfterSeconds 0).
    const records = db.collection<{ _id: string; expiresAt?: unknown }>('records');
    await records.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await records.insertMany([
      { _id: 'expired', expiresAt: new Date(now - 1000) },
      { _id: 'expired-in-array', expiresAt: [new Date(now + HOUR), new Date(now - HOUR)] },
      { _id: 'future', expiresAt: new Date(now + HOUR) },
      { _id: 'not-a-date', expiresAt: String(now - HOUR) },
      { _id: 'no-date' },
    ]);
    // A creation date and a lifetime: gone once the lifetime has passed.
    const events = db.collection<{ _id: string; created: Date }>('events');
    await events.createIndex({ created: 1 }, { expireAfterSeconds: 3600 });
    await events.insertMany([{ _id: 'old', created: new Date(now - 2 * HOUR) }, { _id: 'recent', created: new Date(now - HOUR / 2) }]);
    // No TTL on a plain index, nor on a compound one (mongod ignores it there too).
    const kept = db.collection<{ _id: string; at: Date; kind: string }>('kept');
    await kept.createIndex({ at: 1 });
    await kept.createIndex({ at: 1, kind: 1 }, { expireAfterSeconds: 0 });
    await kept.insertOne({ _id: 'plain', at: new Date(now - HOUR), kind: 'x' });

    await until('the expired documents to be deleted', async () => (await records.countDocuments()) === 3 && (await events.countDocuments()) === 1, 10_000);
    assert.deepEqual((await records.find({}).sort({ _id: 1 }).toArray()).map((r) => r._id), ['future', 'no-date', 'not-a-date']);
    assert.deepEqual((await events.find({}).toArray()).map((e) => e._id), ['recent']);
    assert.equal(await kept.countDocuments(), 1);

    // Documents that expire later go at the next pass.
    await records.insertOne({ _id: 'soon', expiresAt: new Date(Date.now() + 1500) });
    await until('the document to expire at its date', async () => !(await records.findOne({ _id: 'soon' })), 10_000);
    assert.equal(await records.countDocuments({ _id: 'future' }), 1);
  } finally {
    await client.close();
    await server.stop();
  }
}

describe('dev database: TTL indexes delete expired documents, as on MongoDB', () => {
  const dataFile = join(tmpdir(), `insole-ttl-test-${randomUUID().slice(0, 8)}.mv`);
  after(() => rmSync(dataFile, { force: true }));

  test('in memory (the test database)', () => assertExpiry());
  test('on the H2 file backend (npm start)', () => assertExpiry(dataFile));
});
