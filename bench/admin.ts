// `npm run bench:admin`: the Management API against the bare MongoDB driver doing the same work, in
// the same run, on the same database (issue 9's figures):
//   1. a user search by `q` on indexed fields (a page of 50), API vs the compiled filter run by the driver;
//   2. a cursor page (take=100) at the first position and at the middle of the collection, API vs
//      the driver's `user_id > x` page; and the middle page's cost over the first page's;
//   3. an export (NDJSON job: cursor → gzip → GridFS, then the download) vs a bare driver cursor
//      written as NDJSON to a file, in users per second.
// Goals: search and cursor pages ≤ 1.3× the driver; the last page ≤ 1.5× the first; export ≥ 0.7×.
// Options (after `--`): --users N (default 100000), --reps N (timed repetitions, default 30),
// --log-level L (default silent). MONGODB_URI: a real MongoDB (1M users belongs there); unset: the
// embedded dev database. A measurement, not a test: exits 0 whatever the ratios, non-zero on failure.
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';

process.env.NODE_ENV = 'test';
const { values: opts } = parseArgs({ options: { users: { type: 'string', default: '100000' }, reps: { type: 'string', default: '30' }, 'log-level': { type: 'string', default: 'silent' } } });
const USERS = Number(opts.users);
const REPS = Number(opts.reps);
if (!(USERS >= 1000 && REPS >= 3)) throw new Error('--users must be at least 1000 and --reps at least 3');

const { benchDatabase, median: medianOf, pairedMedians } = await import('./bench-kit.ts');
const database = await benchDatabase();
const { startTestInsole } = await import('../test/support/insole.ts');
const { m2mClientConfig, managementToken } = await import('../test/support/management.ts');
const { seedUsers, seededUser, exportThroughApi } = await import('../test/support/user-jobs.ts');
const { compileSearch } = await import('../src/search/search-compiler.ts');
const { userSearchCatalogue } = await import('../src/search/search-catalogues.ts');

const ADMIN = { client_id: 'bench-admin', client_secret: 'bench-admin-secret-0123456789abcdef', scopes: ['read:users'] };
const insole = await startTestInsole({ log_level: opts['log-level'], clients: [m2mClientConfig(ADMIN)], admin_api: { rate_limit: { requests: 1_000_000 }, jobs: { poll_ms: 20 } } });
const users = insole.db.collection('users');

const median = (run: () => Promise<unknown>) => medianOf(run, REPS, 2);

try {
  console.log(`insole bench: Management API vs the bare driver — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${USERS} users, database: ${database.embedded ? 'embedded dev server' : 'MONGODB_URI'}`);
  const seeding = performance.now();
  await seedUsers(insole.db, USERS, (n) => seededUser(n));
  console.log(`seeded ${USERS} users in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  const token = (await managementToken(insole, ADMIN)).access_token;
  const get = async (path: string) => {
    const res = await fetch(`${insole.issuer}/api/v2${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    return { body: await res.json() as { user_id: string }[], link: res.headers.get('link') };
  };
  const rows: [string, number, number][] = [];

  // 1. Search on indexed fields: a date range (created_at index) and an exact email (unique index).
  const from = new Date(Date.UTC(2024, 0, 1, 6)).toISOString().slice(0, 19);
  for (const q of [`created_at:[${from} TO *]`, `email:"${seededUser(Math.floor(USERS / 3)).email}"`]) {
    const filter = compileSearch(q, userSearchCatalogue);
    // In alternation: measured one after the other, the first side also paid for the database settling after the seeding.
    const [api, bare] = await pairedMedians(
      () => get(`/users?q=${encodeURIComponent(q)}&per_page=50&sort=created_at:1`),
      () => users.find(filter, { sort: { created_at: 1, user_id: 1 }, limit: 50, projection: { password_hash: 0 } }).toArray(),
      REPS, 2,
    );
    rows.push([`search q=${q.length > 40 ? `${q.slice(0, 37)}…` : q}`, api, bare]);
  }

  // 2. Cursor pages: the first, and the one at the middle (reached by following the Link headers).
  let link: string | undefined = `/users?take=100`;
  let middle: string | undefined;
  for (let seen = 0; seen < USERS / 2 && link; seen += 100) {
    const page = await get(link);
    link = /<[^>]*\/api\/v2([^>]+)>/.exec(page.link ?? '')?.[1];
    middle = link;
  }
  const middleAfter = (await users.find({}, { sort: { user_id: 1 }, skip: Math.floor(USERS / 2) - 1, limit: 1, projection: { user_id: 1 } }).toArray())[0]!.user_id as string;
  const first = await median(() => get('/users?take=100'));
  const firstBare = await median(() => users.find({}, { sort: { user_id: 1 }, limit: 100, projection: { password_hash: 0 } }).toArray());
  const deep = await median(() => get(middle!));
  const deepBare = await median(() => users.find({ user_id: { $gt: middleAfter } }, { sort: { user_id: 1 }, limit: 100, projection: { password_hash: 0 } }).toArray());
  rows.push(['cursor page 1 (take=100)', first, firstBare], [`cursor page at ${USERS / 2}`, deep, deepBare]);

  // 3. Export: the job (cursor → NDJSON → gzip → GridFS, downloaded and gunzipped) vs the driver to a
  // file, three of each in alternation (one run of each swung the ratio by ±0.1 on a busy machine).
  const file = join(tmpdir(), `insole-bench-export-${process.pid}.ndjson`);
  const exportJob = async () => {
    const exported = await exportThroughApi(insole, token, { format: 'json' });
    const lines = exported.text.trim().split('\n').length;
    if (lines !== USERS) throw new Error(`the export holds ${lines} users, not ${USERS}`);
  };
  const bareExport = async () => {
    const out = createWriteStream(file);
    for await (const user of users.find({}, { projection: { password_hash: 0, facts: 0, pending_events: 0 }, batchSize: 1000 })) {
      if (!out.write(`${JSON.stringify(user)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
  };
  const [exportMs, bareExportMs] = await pairedMedians(exportJob, bareExport, 3, 0);
  await rm(file, { force: true });

  console.log('\nmedian ms (API vs driver)                  API     driver   ratio   goal');
  for (const [what, api, bare] of rows) console.log(`${what.padEnd(40)} ${api.toFixed(2).padStart(7)} ${bare.toFixed(2).padStart(9)} ${(api / bare).toFixed(2).padStart(7)}   ≤ 1.30`);
  console.log(`${'cursor: middle page ÷ first page'.padEnd(40)} ${deep.toFixed(2).padStart(7)} ${first.toFixed(2).padStart(9)} ${(deep / first).toFixed(2).padStart(7)}   ≤ 1.50`);
  const apiRate = USERS / (exportMs / 1000);
  const bareRate = USERS / (bareExportMs / 1000);
  console.log(`\nexport users/s (median of 3 each): job ${apiRate.toFixed(0)}, bare driver NDJSON ${bareRate.toFixed(0)}, ratio ${(apiRate / bareRate).toFixed(2)} (goal ≥ 0.70)`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await insole.stop();
  await database.stop();
}
