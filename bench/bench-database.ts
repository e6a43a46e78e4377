// The database a bench runs against: MONGODB_URI when set (a real MongoDB, ideally on another host),
// else the dev database started here, in memory (as in tests) or on an H2 MVStore file (as `npm start`).
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';
import { findChildPid } from './machine-load.ts';

export interface BenchDatabase {
  /** A fresh database name on the server. */
  uri: string;
  describe: string;
  /** The dev database's process, to charge its CPU to what is measured (undefined for MONGODB_URI). */
  pid?: number;
  stop(): Promise<void>;
}

/** `kind`: memory (default, as the tests) or file (a throwaway H2 MVStore file, as `npm start`). */
export async function startBenchDatabase(kind = 'memory'): Promise<BenchDatabase> {
  const name = `insole_bench_${randomUUID().slice(0, 8)}`;
  if (process.env.MONGODB_URI) {
    const uri = new URL(process.env.MONGODB_URI);
    uri.pathname = `/${name}`;
    return {
      uri: uri.toString(), describe: 'MONGODB_URI',
      async stop() { // a real server keeps what it is given: the bench leaves nothing behind
        const client = await new mongoose.mongo.MongoClient(uri.toString()).connect();
        await client.db().dropDatabase().finally(() => client.close());
      },
    };
  }
  if (kind !== 'memory' && kind !== 'file') throw new Error(`--db must be memory or file, got ${kind}`);
  const dataFile = kind === 'file' ? join(tmpdir(), `insole-bench-${randomUUID().slice(0, 8)}.mv`) : undefined;
  const embedded = await startEmbeddedMongo({ dataFile });
  const uri = new URL(embedded.uri);
  uri.pathname = `/${name}`;
  return {
    uri: uri.toString(),
    describe: dataFile ? `embedded dev server, H2 MVStore file ${dataFile}` : 'embedded dev server, in memory',
    pid: findChildPid('mongo-dev-server'),
    async stop() {
      await embedded.stop();
      if (dataFile) rmSync(dataFile, { force: true });
    },
  };
}
