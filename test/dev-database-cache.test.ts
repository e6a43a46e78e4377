// The dev database's page cache on the file backend (INSOLE_DEV_DB_CACHE_MB) is heap: H2 counts each
// cached document as what it takes decoded (DocumentHeap), not as its BSON, which is 5–6.5 times
// less, so the setting bounds the server's memory. Measured on the JVM itself: jcmd forces a full
// collection and reads the heap in use, before and after storing several times the cache in documents.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';

const CACHE_MB = 8;
const DOCUMENTS = 8000;

/** Heap in use after a full collection, in MB. */
function liveHeapMb(pid: number): number {
  execFileSync('jcmd', [String(pid), 'GC.run']);
  const info = execFileSync('jcmd', [String(pid), 'GC.heap_info'], { encoding: 'utf8' });
  const used = /used (\d+)K/.exec(info);
  assert.ok(used, `no heap figure in jcmd's answer: ${info}`);
  return Number(used[1]) / 1024;
}

/** A profile-like document: many short fields, about 1.3 KB of BSON and 7–8 KB decoded. */
const profile = (n: number) => ({
  _id: `user-${n}`,
  ...Object.fromEntries(Array.from({ length: 60 }, (_, field) => [`field_${field}`, `value ${n} ${field}`])),
});

test(`the dev database's page cache holds about INSOLE_DEV_DB_CACHE_MB of heap (${CACHE_MB} MB, ${DOCUMENTS} documents of 7–8 KB decoded)`, async () => {
  const dataFile = join(tmpdir(), `insole-dev-cache-${randomUUID().slice(0, 8)}.mv`);
  const server = await startEmbeddedMongo({ dataFile, env: { INSOLE_DEV_DB_CACHE_MB: String(CACHE_MB) } });
  const client = await new mongoose.mongo.MongoClient(server.uri).connect();
  try {
    const users = client.db('cache_test').collection<{ _id: string }>('users');
    await users.insertOne(profile(-1));
    const before = liveHeapMb(server.pid);
    for (let from = 0; from < DOCUMENTS; from += 500) {
      await users.insertMany(Array.from({ length: 500 }, (_, i) => profile(from + i)));
    }
    let read = 0;
    for await (const _ of users.find({})) read++; // every page read through the cache
    assert.equal(read, DOCUMENTS + 1);
    const grown = liveHeapMb(server.pid) - before;
    // Besides the cache: the in-memory _id index (about 100 bytes a document) and H2's chunk
    // metadata. Counted as BSON, the cache held about 45 MB of these documents (49 MB of growth).
    // Counted as heap the growth is usually 8–11 MB, but one CI run read 27 MB, for a reason not
    // found (not unsaved pages: the figure does not fall in the seconds after): hence the wide margin.
    assert.ok(grown < CACHE_MB * 4.5, `the server's live heap grew by ${grown.toFixed(1)} MB with a ${CACHE_MB}-MB cache`);
  } finally {
    await client.close();
    await server.stop();
    rmSync(dataFile, { force: true });
  }
});
