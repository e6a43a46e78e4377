// `--grow N`: the database as it is after N more sign-ins, without doing them one by one (an hour at
// 30/s): every collection the warm-up sign-ins wrote to gets copies of its documents in the same
// proportion (per sign-in), with fresh ids and fresh values under every unique index, so the dev
// database holds what N sign-ins leave behind: all but what expires within minutes (codes), which
// the TTL monitor would have deleted as the sign-ins went on.
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';

type Doc = Record<string, unknown>;

/** Collections a sign-in does not add to: the bench's users are the same few shoppers throughout. */
const FIXED = new Set(['users', 'signing_keys']);

export async function growDatabase(databaseUri: string, signIns: number, signInsSoFar: number): Promise<void> {
  const client = await new mongoose.mongo.MongoClient(databaseUri).connect();
  const t0 = performance.now();
  try {
    const db = client.db();
    const grown: string[] = [];
    for (const { name } of await db.listCollections().toArray()) {
      if (FIXED.has(name) || name.startsWith('system.')) continue;
      const collection = db.collection<Doc>(name);
      const indexes = await collection.listIndexes().toArray();
      const samples = (await collection.find({}).toArray()).filter((doc) => outlivesTheGrowth(doc, indexes));
      const copies = Math.round((signIns * samples.length) / signInsSoFar);
      if (!copies) continue;
      const uniquePaths = indexes
        .filter((index) => index.unique).flatMap((index) => Object.keys(index.key as Doc)).filter((path) => path !== '_id');
      for (let done = 0; done < copies;) {
        const batch = Array.from({ length: Math.min(1000, copies - done) }, (_, i) => fresh(samples[(done + i) % samples.length], uniquePaths));
        await collection.insertMany(batch, { ordered: false });
        done += batch.length;
      }
      grown.push(`${name} +${copies}`);
    }
    console.log(`grew the database by what ${signIns} sign-ins leave (${((performance.now() - t0) / 1000).toFixed(0)} s): ${grown.join(', ')}`);
  } finally {
    await client.close();
  }
}

/**
 * N real sign-ins take hours, and the TTL monitor deletes what expires meanwhile: a database grown by
 * them holds no authorization code older than a minute. Copies of documents that expire within
 * minutes (codes) would instead all expire together during the measurement, and the dev database's
 * TTL pass would delete them in bulk there. Left out; what lives for an hour or more is copied.
 */
const SHORT_LIVED_MS = 10 * 60_000;

function outlivesTheGrowth(doc: Doc, indexes: Doc[]): boolean {
  return indexes.every((index) => {
    const [path, ...more] = Object.keys(index.key as Doc);
    const date = typeof index.expireAfterSeconds === 'number' && !more.length ? getPath(doc, path) : undefined;
    return !(date instanceof Date) || date.getTime() + (index.expireAfterSeconds as number) * 1000 > Date.now() + SHORT_LIVED_MS;
  });
}

function fresh(sample: Doc, uniquePaths: string[]): Doc {
  const copy = structuredClone(sample);
  copy._id = renew(sample._id);
  for (const path of uniquePaths) setPath(copy, path, renew(getPath(sample, path)));
  return copy;
}

function renew(value: unknown): unknown {
  if (value instanceof mongoose.mongo.ObjectId) return new mongoose.mongo.ObjectId();
  if (typeof value === 'string') return randomBytes(Math.ceil(Math.max(value.length, 16) * 3 / 4)).toString('base64url').slice(0, Math.max(value.length, 16));
  return value;
}

function getPath(doc: Doc, path: string): unknown {
  return path.split('.').reduce<unknown>((at, key) => (at as Doc | undefined)?.[key], doc);
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce<Doc | undefined>((at, key) => at?.[key] as Doc | undefined, doc);
  if (parent && value !== undefined) parent[keys.at(-1)!] = value;
}
