// The dev database (tools/mongo-dev-server) keeps entries for non-unique indexes and answers queries
// from them (SecondaryIndex, IndexedQueries). An index must never change a result: the same documents
// and the same operations go to a collection with insole's kind of indexes and to one with none (which
// the dev server always scans), and every query must answer the same in both. On the H2 file backend
// the order without a sort must match too (a limit picks the same document), and again after a restart,
// when the entries are rebuilt from the stored documents.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { testDatabaseUri } from './support/insole.ts';

type Db = mongoose.mongo.Db;
type Doc = Record<string, unknown>;
type Query = { filter: Doc; sort?: Record<string, 1 | -1>; limit?: number };

const INDEXES: Array<[Record<string, 1 | -1>, mongoose.mongo.CreateIndexesOptions]> = [
  [{ state: 1, run_after: 1 }, {}],
  [{ state: 1, lease_until: 1 }, {}],
  [{ hook: 1, state: 1 }, {}],
  [{ 'identities.provider': 1, 'identities.user_id': 1 }, {}],
  [{ outbox_pending: 1 }, { sparse: true }],
  [{ user_id: 1, date: -1 }, {}],
  [{ 'events.0.at': 1 }, { sparse: true }],
  [{ 'carried.0.date': 1 }, { sparse: true }],
];
const T0 = Date.UTC(2026, 0, 1);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** Deterministic documents with the shapes insole stores: states, dates, arrays of identities, missing fields. */
function documents(count: number, from = 0): Doc[] {
  return Array.from({ length: count }, (_, n) => {
    const i = n + from;
    const doc: Doc = {
      _id: `doc-${String(i).padStart(4, '0')}`,
      state: ['pending', 'running', 'done'][i % 3],
      hook: ['fullcontact', 'sentiment', 'insight'][(i * 7) % 3],
      run_after: at((i * 13) % 97),
      user_id: `user-${i % 11}`,
      date: at(i % 50),
      n: i % 4 === 0 ? 1 : 1.5,
    };
    if (i % 5 !== 0) doc.lease_until = at((i * 17) % 89);
    if (i % 4 === 0) doc.outbox_pending = true;
    if (i % 6 !== 1) doc.events = [{ at: at(i % 40) }, { at: at((i * 3) % 40) }];
    // Few documents carry something, as users carry pending logs; some have carried and been emptied.
    if (i % 50 === 0) doc.carried = [{ date: at(i % 30) }];
    if (i % 50 === 25) doc.carried = [];
    if (i % 3 !== 2) doc.identities = [{ provider: 'auth0', user_id: `u${i}` }, ...(i % 2 ? [{ provider: 'google-oauth2', user_id: `g${i % 7}` }] : [])];
    return doc;
  });
}

function queries(): Query[] {
  const now = at(48);
  return [
    { filter: { state: 'pending' } },
    { filter: { state: 'pending', run_after: { $lte: now } }, sort: { run_after: 1 }, limit: 5 },
    { filter: { state: { $in: ['pending', 'running'] }, run_after: { $gt: at(10), $lt: at(60) } } },
    { filter: { state: 'pending', run_after: { $lte: now } } },
    { filter: { state: 'pending', run_after: { $gt: at(48) } } },
    { filter: { state: 'pending', run_after: { $gte: at(9), $lte: at(48) } } },
    { filter: { state: 'running', lease_until: { $lt: now } } },
    { filter: { state: { $eq: 'done' }, lease_until: { $gte: at(20) } } },
    { filter: { hook: { $in: ['fullcontact', 'insight'] }, $or: [{ state: 'pending', run_after: { $lte: now } }, { state: 'running', lease_until: { $lt: now } }] }, sort: { run_after: 1 }, limit: 3 },
    { filter: { $or: [{ state: 'done' }, { user_id: 'user-3' }] } },
    { filter: { $or: [{ state: 'done' }, { n: 1 }] } },
    { filter: { hook: 'sentiment' } },
    { filter: { hook: 'sentiment', state: { $ne: 'done' } } },
    { filter: { 'identities.provider': 'google-oauth2', 'identities.user_id': 'g3' } },
    { filter: { 'identities.provider': 'auth0' }, sort: { _id: -1 }, limit: 4 },
    { filter: { identities: { $elemMatch: { provider: 'google-oauth2', user_id: 'g3' } } } },
    { filter: { identities: { $not: { $elemMatch: { provider: 'auth0', user_id: 'u10' } } } } },
    { filter: { 'events.0.at': { $lte: at(12) } } },
    { filter: { 'events.0.at': { $gt: at(5), $lte: at(20) } }, sort: { 'events.0.at': 1, _id: 1 } },
    { filter: { 'events.0.at': { $gte: new Date(0) } }, sort: { 'events.0.at': 1, _id: 1 }, limit: 7 }, // "has events", as HAS_PENDING_EVENTS asks
    { filter: { 'carried.0.date': { $lt: at(20) } } }, // the log outbox's sweep: an open side on a field most documents lack
    { filter: { 'carried.0.date': { $gte: at(10) } }, sort: { _id: 1 } },
    { filter: { outbox_pending: true } },
    { filter: { user_id: 'user-4', date: { $gte: at(10) } }, sort: { date: -1 } },
    { filter: { user_id: { $in: [] } } },
    { filter: { state: 'nothing-has-this' } },
    { filter: { n: 1, state: 'pending' } },
  ];
}

async function seed(db: Db, docs: Doc[]): Promise<void> {
  for (const [key, options] of INDEXES) await db.collection('indexed').createIndex(key, options);
  await db.collection('indexed').insertMany(docs.map((d) => ({ ...d })));
  await db.collection('plain').insertMany(docs.map((d) => ({ ...d })));
}

/** The same write on both collections. */
async function both(db: Db, write: (c: mongoose.mongo.Collection) => Promise<unknown>): Promise<void> {
  await write(db.collection('indexed'));
  await write(db.collection('plain'));
}

/** Moves documents between keys: state changes, a claim, a field set and unset, an array grown, deletes, new inserts. */
async function churn(db: Db, newFrom: number): Promise<void> {
  await both(db, (c) => c.updateMany({ state: 'pending', hook: 'fullcontact' }, { $set: { state: 'running', lease_until: at(30) } }));
  await both(db, (c) => c.findOneAndUpdate({ state: 'pending', run_after: { $lte: at(40) } }, { $set: { state: 'running' } }, { sort: { run_after: 1 } }));
  await both(db, (c) => c.updateMany({ outbox_pending: true, state: 'done' }, { $unset: { outbox_pending: '' } }));
  await both(db, (c) => c.updateMany({ user_id: 'user-2' }, { $push: { identities: { provider: 'google-oauth2', user_id: 'g3' } } as never }));
  await both(db, (c) => c.updateOne({ _id: 'doc-0007' as never }, { $set: { state: 'pending', run_after: at(1) } }));
  await both(db, (c) => c.deleteMany({ state: 'done', hook: 'sentiment' }));
  await both(db, (c) => c.findOneAndDelete({ state: 'running' }, { sort: { lease_until: -1 } }));
  await both(db, (c) => c.insertMany(documents(40, newFrom)));
}

async function run(db: Db, name: string, { filter, sort, limit }: Query): Promise<Doc[]> {
  return db.collection(name).find(filter, { sort, limit: limit ?? 0 }).toArray();
}

const byId = (docs: Doc[]) => [...docs].sort((a, b) => String(a._id).localeCompare(String(b._id)));

/** Same documents as the scan; in the same order when sorted, or always when `exactOrder` (the dev server). */
async function assertSameAsScan(db: Db, exactOrder: boolean, stage: string): Promise<void> {
  for (const query of queries()) {
    const [indexed, plain] = [await run(db, 'indexed', query), await run(db, 'plain', query)];
    const ordered = exactOrder || (query.sort && !query.limit);
    assert.deepEqual(ordered ? indexed : byId(indexed), ordered ? plain : byId(plain), `${stage}: ${JSON.stringify(query)}`);
    const counts = [await db.collection('indexed').countDocuments(query.filter), await db.collection('plain').countDocuments(query.filter)];
    assert.equal(counts[0], counts[1], `${stage}: count ${JSON.stringify(query.filter)}`);
    // An aggregate that starts with $match is fed the index's candidates (IndexedAggregation): the rest of the pipeline sees the same documents.
    const pipeline = [{ $match: query.filter }, ...(query.sort ? [{ $sort: query.sort }] : []), ...(query.limit ? [{ $limit: query.limit }] : []), { $project: { state: 1, run_after: 1 } }];
    const aggregated = [await db.collection('indexed').aggregate(pipeline).toArray(), await db.collection('plain').aggregate(pipeline).toArray()];
    assert.deepEqual(ordered ? aggregated[0] : byId(aggregated[0]), ordered ? aggregated[1] : byId(aggregated[1]), `${stage}: aggregate ${JSON.stringify(pipeline)}`);
  }
  const sizes = [await db.collection('indexed').countDocuments({}), await db.collection('plain').countDocuments({})];
  assert.equal(sizes[0], sizes[1]);
  assert.ok(sizes[0] > 100, 'the collections hold the seeded documents');
}

/** Entries are kept: the index counts every document (validate's keysPerIndex; EmptyIndex said 0). */
async function assertIndexCountsDocuments(db: Db): Promise<void> {
  const validated = await db.command({ validate: 'indexed' });
  assert.equal(validated.keysPerIndex.state_1_run_after_1, await db.collection('indexed').countDocuments({}));
}

/** Unique indexes on the file backend (looked up in memory, stored in H2) refuse duplicates, also of keys stored before a restart, and free deleted keys. */
async function assertUniqueHolds(db: Db): Promise<void> {
  const tickets = db.collection<Doc>('tickets');
  await tickets.createIndex({ ticket: 1 }, { unique: true });
  await tickets.insertOne({ _id: 't1' as never, ticket: 'a' });
  await assert.rejects(tickets.insertOne({ _id: 't1' as never, ticket: 'b' }), { code: 11000 });
  await assert.rejects(tickets.insertOne({ _id: 't2' as never, ticket: 'a' }), { code: 11000 });
  await tickets.deleteOne({ _id: 't1' as never });
  await tickets.insertOne({ _id: 't1' as never, ticket: 'a' });
  assert.deepEqual(await tickets.find({ ticket: 'a' }).toArray(), [{ _id: 't1', ticket: 'a' }]);
  const storedBeforeRestart = await db.collection('indexed').findOne({ _id: { $lt: 'doc-1000' } as never });
  assert.ok(storedBeforeRestart);
  await assert.rejects(db.collection('indexed').insertOne({ _id: storedBeforeRestart._id }), { code: 11000 });
}

describe('dev database: non-unique indexes answer exactly as a scan', () => {
  test('on the test database: equality, prefix, $in, ranges, $or, counts, before and after updates and deletes', async () => {
    const client = await new mongoose.mongo.MongoClient(testDatabaseUri()).connect();
    try {
      const db = client.db();
      await seed(db, documents(300));
      await assertSameAsScan(db, false, 'seeded');
      await assertIndexCountsDocuments(db);
      await churn(db, 1000);
      await assertSameAsScan(db, false, 'after updates and deletes');
      await assertIndexCountsDocuments(db);
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  });

  const dataFile = join(tmpdir(), `insole-index-test-${randomUUID().slice(0, 8)}.mv`);
  after(() => rmSync(dataFile, { force: true }));

  test('on the H2 file backend: the same, in scan order, and again after a restart rebuilds the entries', async () => {
    let server = await startEmbeddedMongo({ dataFile });
    let client = await new mongoose.mongo.MongoClient(`${server.uri}/indexes`).connect();
    try {
      await seed(client.db(), documents(300));
      await churn(client.db(), 1000);
      await assertSameAsScan(client.db(), true, 'file backend');
      await client.close();
      await server.stop();
      server = await startEmbeddedMongo({ dataFile });
      client = await new mongoose.mongo.MongoClient(`${server.uri}/indexes`).connect();
      await assertIndexCountsDocuments(client.db());
      await assertSameAsScan(client.db(), true, 'file backend after a restart');
      await churn(client.db(), 2000);
      await assertSameAsScan(client.db(), true, 'file backend, writes after a restart');
      await assertUniqueHolds(client.db());
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test('an aggregate\'s $match and a range\'s open side read the index\'s candidates, not the whole collection (a scan and a wide index use are reported)', async () => {
    // The dev server says which queries read a whole collection of 1,000 documents or more (INSOLE_DEV_DB_SCANS=1).
    let said = '';
    const server = await startEmbeddedMongo({ env: { INSOLE_DEV_DB_SCANS: '1' }, onStderr: (text) => { said += text; } });
    const client = await new mongoose.mongo.MongoClient(server.uri).connect();
    try {
      const db = client.db('scans');
      await seed(db, documents(1200));
      const pipeline = [{ $match: { state: 'pending', run_after: { $lte: at(48) } } }, { $group: { _id: '$user_id', n: { $sum: 1 } } }, { $sort: { _id: 1 } }];
      const [indexed, plain] = [await db.collection('indexed').aggregate(pipeline).toArray(), await db.collection('plain').aggregate(pipeline).toArray()];
      assert.deepEqual(indexed, plain);
      assert.equal(indexed.reduce((n, group) => n + group.n, 0), await db.collection('plain').countDocuments({ state: 'pending', run_after: { $lte: at(48) } }));
      assert.equal(indexed.length, 11, JSON.stringify(indexed)); // user-0 … user-10
      await db.collection('indexed').countDocuments({ state: 'running' });
      // A range matches its bound's type only: the 1,176 documents without a carried date are no candidates.
      assert.equal((await db.collection('indexed').find({ 'carried.0.date': { $lt: at(20) } }).toArray()).length, 16);
      assert.equal((await db.collection('indexed').find({ 'events.0.at': { $gte: new Date(0) } }).toArray()).length, 1000);
      await client.close();
      await server.stop(); // its scan reports were printed as the queries ran
      assert.match(said, /full scan of scans\.plain \(1200 documents\) for a query on \{state, run_after: \{\$lte\}\}/);
      assert.doesNotMatch(said, /full scan of scans\.indexed/);
      assert.match(said, /an index leaves 1000 candidates in scans\.indexed for a query on \{events\.0\.at: \{\$gte\}\}/, 'a wide index use is reported');
      assert.doesNotMatch(said, /candidates in scans\.indexed for a query on \{carried/, 'documents without the field are no candidates');
    } finally {
      await client.close();
      await server.stop();
    }
  });

  test('INSOLE_DEV_DB_SLOW_MS prints each command that took that long, with where its thread\'s time went', async () => {
    let said = '';
    // 0 ms: every command is "slow", so the line of one known command can be read.
    const server = await startEmbeddedMongo({ env: { INSOLE_DEV_DB_SLOW_MS: '0' }, onStderr: (text) => { said += text; } });
    const client = await new mongoose.mongo.MongoClient(server.uri).connect();
    try {
      await client.db('timed').collection('shoes').insertOne({ model: 'Innova Pro' });
      assert.equal((await client.db('timed').collection('shoes').findOne({ model: 'Innova Pro' }))?.model, 'Innova Pro');
      await client.close();
      await server.stop();
      assert.match(said, /dev database: slow insert timed\.shoes \d+ ms \(cpu \d+, blocked \d+, parked \d+, other \d+\) on mongo-server-worker\d+ ended \d{4}-\d\d-\d\dT/);
      assert.match(said, /dev database: slow find timed\.shoes \d+ ms/);
    } finally {
      await client.close();
      await server.stop();
    }

    said = '';
    const quiet = await startEmbeddedMongo({ onStderr: (text) => { said += text; } });
    const other = await new mongoose.mongo.MongoClient(quiet.uri).connect();
    await other.db('timed').collection('shoes').insertOne({ model: 'Innova Lite' });
    await other.close();
    await quiet.stop();
    assert.doesNotMatch(said, /slow/, 'nothing is timed unless asked');
  });
});
