// The dev database's page cache on the file backend (INSOLE_DEV_DB_CACHE_MB) is heap: H2 counts each
// cached document as what it takes decoded (DocumentHeap), not as its BSON, which is 5–6.5 times
// less, so the setting bounds the documents the server keeps. Measured on the JVM itself: jcmd forces
// a full collection and counts the documents still alive, after storing several times the cache.
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

/** After a full collection: the heap in use, in MB, and how many decoded documents are alive. */
function liveHeap(pid: number): { mb: number; documents: number } {
  execFileSync('jcmd', [String(pid), 'GC.run']);
  const info = execFileSync('jcmd', [String(pid), 'GC.heap_info'], { encoding: 'utf8' });
  const used = /used (\d+)K/.exec(info);
  assert.ok(used, `no heap figure in jcmd's answer: ${info}`);
  const histogram = execFileSync('jcmd', [String(pid), 'GC.class_histogram'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const documents = /^\s*\d+:\s+(\d+)\s+\d+\s+de\.bwaldvogel\.mongo\.bson\.Document\s*$/m.exec(histogram);
  return { mb: Number(used[1]) / 1024, documents: documents ? Number(documents[1]) : 0 };
}

/** A profile-like document: many short fields, about 1.3 KB of BSON and 7–8 KB decoded. */
const profile = (n: number) => ({
  _id: `user-${n}`,
  ...Object.fromEntries(Array.from({ length: 60 }, (_, field) => [`field_${field}`, `value ${n} ${field}`])),
});

test(`the dev database's page cache holds about INSOLE_DEV_DB_CACHE_MB of decoded documents (${CACHE_MB} MB, ${DOCUMENTS} documents of 7–8 KB decoded)`, async (t) => {
  const dataFile = join(tmpdir(), `insole-dev-cache-${randomUUID().slice(0, 8)}.mv`);
  const server = await startEmbeddedMongo({ dataFile, env: { INSOLE_DEV_DB_CACHE_MB: String(CACHE_MB) } });
  const client = await new mongoose.mongo.MongoClient(server.uri).connect();
  try {
    const users = client.db('cache_test').collection<{ _id: string }>('users');
    await users.insertOne(profile(-1));
    const before = liveHeap(server.pid);
    for (let from = 0; from < DOCUMENTS; from += 500) {
      await users.insertMany(Array.from({ length: 500 }, (_, i) => profile(from + i)));
    }
    let read = 0;
    for await (const _ of users.find({})) read++; // every page read through the cache
    assert.equal(read, DOCUMENTS + 1);
    // The fewest alive over a few seconds: pages not yet written to the file (H2 stores them within a
    // second, later on a loaded machine) hold their documents too, and are not the cache.
    const after: { mb: number; documents: number }[] = [];
    for (let i = 0; i < 4; i++) {
      if (i) await new Promise((resolve) => setTimeout(resolve, 1000));
      after.push(liveHeap(server.pid));
    }
    const held = Math.min(...after.map((a) => a.documents)) - before.documents;
    const grown = Math.min(...after.map((a) => a.mb)) - before.mb;
    // 8 MB of these documents decoded is about 1,100 of them (usually about 850 stay alive). Counted
    // as BSON, as before, the cache kept about 6,000: 45 MB of heap.
    const fit = Math.round((CACHE_MB * 1024) / 7.5);
    t.diagnostic(`${held} documents held (${fit} fit in ${CACHE_MB} MB decoded); live heap grew ${grown.toFixed(1)} MB`);
    assert.ok(held > 0, 'the cache keeps documents');
    assert.ok(held < fit * 2.5, `the server kept ${held} documents alive with a ${CACHE_MB}-MB cache, where ${fit} fit (heap grew ${grown.toFixed(1)} MB)`);
  } finally {
    await client.close();
    await server.stop();
    rmSync(dataFile, { force: true });
  }
});
