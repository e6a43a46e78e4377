// The dev database's H2 file (tools/mongo-dev-server, FileBackend): documents are stored as BSON
// (DocumentType) and unique indexes are rebuilt in memory at open (MemoryUniqueIndex). A developer's
// ./data written before, with Java-serialized documents and index maps, must open as it is and keep
// every value and every unique constraint; and every BSON kind must come back from a file unchanged.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { FIXTURE_DB, fixtureDocuments, writeFixture } from './fixtures/dev-db-documents.ts';
import { testDatabaseUri } from './support/insole.ts';

type Doc = { _id: string | mongoose.mongo.ObjectId; [field: string]: unknown };
const JAVA_SERIALIZED = resolve(import.meta.dirname, 'fixtures/dev-db-java-serialized.mv');

/** Runs `work` against the dev database on `dataFile`, then stops it (a restart is a second call). */
async function withFile<T>(dataFile: string, work: (users: mongoose.mongo.Collection<Doc>, uri: string, db: mongoose.mongo.Db) => Promise<T>): Promise<T> {
  const server = await startEmbeddedMongo({ dataFile });
  const client = await new mongoose.mongo.MongoClient(server.uri).connect();
  try {
    const db = client.db(FIXTURE_DB);
    return await work(db.collection<Doc>('users'), server.uri, db);
  } finally {
    await client.close();
    await server.stop();
  }
}

const everything = (users: mongoose.mongo.Collection<Doc>) => users.find({}).sort({ email: 1 }).toArray();

/** What the driver reads back of the fixture's documents from the in-memory test database, where nothing is serialized. */
async function reference(): Promise<Doc[]> {
  const client = await new mongoose.mongo.MongoClient(testDatabaseUri()).connect();
  try {
    const users = client.db(`dev_file_reference_${randomUUID().slice(0, 8)}`).collection<Doc>('users');
    await users.insertMany(fixtureDocuments() as never[]);
    const read = await everything(users);
    await users.drop();
    return read;
  } finally {
    await client.close();
  }
}

async function assertUniqueEmail(users: mongoose.mongo.Collection<Doc>) {
  await assert.rejects(users.insertOne({ _id: 'again', email: 'shopper7@innovashoes.example' }), (err: { code?: number }) => err.code === 11000);
}

describe('dev database: stored values, unique constraints and sizes', () => {
  let expected: Doc[];
  const files: string[] = [];
  const tempFile = () => {
    const file = join(tmpdir(), `insole-dev-file-${randomUUID().slice(0, 8)}.mv`);
    files.push(file);
    return file;
  };
  before(async () => { expected = await reference(); });
  after(() => files.forEach((file) => rmSync(file, { force: true })));

  test('every BSON kind comes back unchanged after a restart, and the unique index is rebuilt', async () => {
    const file = tempFile();
    await withFile(file, async (users, uri) => {
      await writeFixture(uri);
      assert.deepEqual(await everything(users), expected);
    });
    await withFile(file, async (users) => {
      assert.deepEqual(await everything(users), expected);
      await assertUniqueEmail(users);
      assert.deepEqual((await users.find({ 'identities.user_id': 'u12' }).toArray()).map((u) => u.email), ['shopper12@innovashoes.example']);
    });
    // Stored as BSON: Java serialization would have written the Document class's name with each value.
    assert.ok(!readFileSync(file).includes('de.bwaldvogel.mongo.bson.Document'), 'no document is Java-serialized in the file');
  });

  test('a file written before (Java-serialized documents, unique indexes as maps) opens, reads, refuses duplicates and takes writes', async () => {
    const file = tempFile();
    copyFileSync(JAVA_SERIALIZED, file);
    await withFile(file, async (users) => {
      assert.deepEqual(await everything(users), expected);
      await assertUniqueEmail(users);
      // Rewrites pages that hold old values beside new ones; a freed email can be taken again.
      await users.updateMany({ blocked: true }, { $set: { blocked: false, note: 'lifted' } });
      await users.deleteOne({ email: 'shopper3@innovashoes.example' });
      await users.insertOne({ _id: 'new', email: 'shopper3@innovashoes.example', created_at: new Date(Date.UTC(2026, 5, 1)) });
    });
    await withFile(file, async (users) => {
      const read = await everything(users);
      const changed = expected
        .map((doc) => (doc.blocked ? { ...doc, blocked: false, note: 'lifted' } : doc))
        .map((doc) => (doc.email === 'shopper3@innovashoes.example' ? { _id: 'new', email: doc.email, created_at: new Date(Date.UTC(2026, 5, 1)) } : doc));
      assert.deepEqual(read, changed);
      await assertUniqueEmail(users);
    });
  });

  test('collStats reports the documents\' BSON size, on the file and in memory', async () => {
    const documents = fixtureDocuments();
    const size = documents.reduce((sum, doc) => sum + mongoose.mongo.BSON.calculateObjectSize(doc), 0);
    const assertSize = async (db: mongoose.mongo.Db) => {
      const stats = await db.command({ collStats: 'users' });
      assert.equal(stats.count, documents.length);
      assert.equal(stats.size, size);
    };
    await withFile(tempFile(), async (_users, uri, db) => {
      await writeFixture(uri);
      await assertSize(db);
    });
    const client = await new mongoose.mongo.MongoClient(testDatabaseUri()).connect();
    try {
      const db = client.db(`dev_file_stats_${randomUUID().slice(0, 8)}`);
      const users = db.collection<Doc>('users');
      await users.insertMany(documents as never[]);
      await users.updateOne({ email: 'shopper1@innovashoes.example' }, { $set: { email: 'shopper1@innovashoes.example' } });
      await assertSize(db);
      await users.drop();
    } finally {
      await client.close();
    }
  });
});
