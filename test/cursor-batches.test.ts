import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mongoose from 'mongoose';
import { cursorBatches } from '../src/db/cursor-batches.ts';
import { testDatabaseUri } from './support/insole.ts';

let connection: mongoose.Connection;
before(async () => {
  connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
  await connection.collection('things').insertMany(Array.from({ length: 25 }, (_, n) => ({ n })));
});
after(async () => { await connection?.close(); });

test('cursorBatches reads ahead: while the consumer writes a batch, the next one arrives', async () => {
  const cursor = connection.collection('things').find({}, { sort: { n: 1 }, batchSize: 10 });
  const buffered: number[] = [];
  for await (const batch of cursorBatches(cursor)) {
    await sleep(50);
    buffered.push(cursor.bufferedCount());
    assert.ok(batch.length > 0);
  }
  assert.deepEqual(buffered, [10, 5, 0], 'the next batch (10, then the last 5) was there before the consumer asked');
});

test('cursorBatches: every document once, a batch at a time, in the cursor\'s order; the cursor is closed at the end', async () => {
  const cursor = connection.collection('things').find({}, { sort: { n: 1 }, batchSize: 10 });
  const batches: number[][] = [];
  for await (const batch of cursorBatches(cursor)) batches.push(batch.map((doc) => doc.n as number));
  assert.deepEqual(batches.map((b) => b.length), [10, 10, 5]);
  assert.deepEqual(batches.flat(), Array.from({ length: 25 }, (_, n) => n));
  assert.equal(cursor.closed, true);
});

test('cursorBatches: a consumer that stops after the first batch closes the cursor, with the read ahead settled', async () => {
  const cursor = connection.collection('things').find({}, { sort: { n: 1 }, batchSize: 10 });
  for await (const batch of cursorBatches(cursor)) {
    assert.equal(batch.length, 10);
    break;
  }
  assert.equal(cursor.killed, true, 'the server-side cursor (5 documents left) was killed');
  assert.equal(await connection.collection('things').countDocuments(), 25, 'the connection still answers');
});
