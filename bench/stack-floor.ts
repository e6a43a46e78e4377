// `npm run bench:floor`: what the libraries a sign-in runs on cost before any of insole's own work,
// so that bench:login's "beyond the verify" has a floor to be read against (issue 12's ≤ 5-ms goal).
//   - one MongoDB command through the bare driver (this process; the dev database in its own), as
//     insole's sign-in sends 11 of them: a find by _id, an update, a findOneAndUpdate, CPU per command;
//   - one HTTP request through insole's whole Express frame (request context, deadline, helmet, the
//     areas' routers) to `/health/live`, which touches nothing else, and one through oidc-provider to
//     its discovery document: insole's process CPU per request, keep-alive, as a sign-in's four hops.
// Options (after `--`): --count N (operations per measurement, default 5000), --rounds N (default 2),
// --concurrency N (default 1: no idle time is charged, so these are lower bounds).
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { combine, fmt, positiveInt, printTable, runBounded, type Measured } from './bench-stats.ts';
import { startBenchDatabase } from './bench-database.ts';
import { startInsoleProcess } from './insole-child.ts';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1' },
  },
});
const COUNT = positiveInt(opts.count, 'count');
const ROUNDS = positiveInt(opts.rounds, 'rounds');
const CONCURRENCY = positiveInt(opts.concurrency, 'concurrency');
const WARMUP = 3000;

console.log(`insole bench: the stack's floor — ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, `
  + `${COUNT} operations per measurement after ${WARMUP} to warm up, ${ROUNDS} rounds, concurrency ${CONCURRENCY}\n`);

const database = await startBenchDatabase('memory');
const rows: string[][] = [];

async function measure(label: string, op: (i: number) => Promise<unknown>, cpuOf: (m: Measured) => number | undefined, parties = {}) {
  let i = 0;
  const next = async () => { await op(i++); };
  await runBounded(next, WARMUP, CONCURRENCY, parties);
  const runs: Measured[] = [];
  for (let r = 0; r < ROUNDS; r++) runs.push(await runBounded(next, COUNT, CONCURRENCY, parties));
  const all = combine(runs);
  rows.push([label, fmt(all.perSecond, 0), fmt(cpuOf(all), 3), fmt(all.dbCpuMsPerOp, 3), fmt(all.otherCores, 2)]);
}

const client = await MongoClient.connect(database.uri);
try {
  const docs = client.db().collection<{ _id: number; email: string; name: string; n: number }>('floor');
  // About a stored profile's size: the command and its answer cost by their bytes too.
  await docs.insertMany(Array.from({ length: 100 }, (_, n) => ({ _id: n, email: `shopper${n}@innovashoes.example`, name: 'x'.repeat(1500), n })));
  const db = { dbPid: database.pid };
  await measure('driver: find by _id', (i) => docs.findOne({ _id: i % 100 }), (m) => m.driverCpuMsPerOp, db);
  await measure('driver: updateOne $set', (i) => docs.updateOne({ _id: i % 100 }, { $set: { n: i } }), (m) => m.driverCpuMsPerOp, db);
  await measure('driver: findOneAndUpdate', (i) => docs.findOneAndUpdate({ _id: i % 100 }, { $set: { n: i } }, { returnDocument: 'after' }), (m) => m.driverCpuMsPerOp, db);
} finally {
  await client.close();
}

const insole = await startInsoleProcess(database.uri, { log_level: 'silent' });
try {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (path: string) => new Promise<void>((done, fail) => {
    request(`${insole.issuer}${path}`, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`${path} answered ${res.statusCode}`))));
    }).on('error', fail).end();
  });
  await measure('insole: GET /health/live (the Express frame)', () => get('/health/live'), (m) => m.insoleCpuMsPerOp, { insole });
  await measure('insole: GET /.well-known/openid-configuration', () => get('/.well-known/openid-configuration'), (m) => m.insoleCpuMsPerOp, { insole });
  agent.destroy();
} finally {
  await insole.stop();
  await database.stop();
}

printTable(['operation', 'per second', 'CPU ms per op', 'DB CPU ms', 'other load (cores)'], rows);
console.log('CPU ms per op: the driver rows are this process (the MongoDB client), the insole rows insole\'s process (all threads).');
console.log('Concurrency 1 keeps each process busy between operations, so these are lower bounds of what a sign-in\'s hops pay.');
