// `node bench/hooks.ts`: sign-in latency (p50, p99) with every durable hook on — FullContact and X
// sentiment, both fake APIs answering after 2 s — against hooks off, measured in the same run on two
// insole instances sharing one database. Every "on" sign-in is a shopper's first, so it queues both
// jobs (the worst case), and the worker runs them while the sign-ins go on.
// The goal is p99(on) / p99(off) <= 1.2: a sign-in must not wait for the hooks.
//
// Options (after `--` with npm run; without it when run directly): --count N (sign-ins per side per
// round, default 100), --rounds N (alternating off/on rounds, default 6: short rounds, so drift and
// neighbours' load hit both sides alike), --concurrency N (sign-ins in flight, default 2), --delay-ms N
// (how long the fake APIs take to answer, default 2000), --worker-concurrency N (hook attempts in
// flight, default 64, so the worker keeps up with 2 jobs per sign-in at 2 s each), --log-level L
// (default silent). "other load" is what other processes used of the CPU meanwhile (noise).
// A measurement, not a test: it exits 0 whatever the ratio, and non-zero only when something fails.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';

process.env.NODE_ENV = 'test';
const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '2' },
    'delay-ms': { type: 'string', default: '2000' },
    'worker-concurrency': { type: 'string', default: '64' },
    'log-level': { type: 'string', default: 'silent' },
  },
});
const COUNT = positiveInt(opts.count, 'count');
const ROUNDS = positiveInt(opts.rounds, 'rounds');
const CONCURRENCY = positiveInt(opts.concurrency, 'concurrency');
const DELAY_MS = positiveInt(opts['delay-ms'], 'delay-ms');
const WORKER_CONCURRENCY = positiveInt(opts['worker-concurrency'], 'worker-concurrency');

// Test support and src are imported after NODE_ENV and MONGODB_URI are settled.
const { startEmbeddedMongo } = await import('../src/db/embedded-mongo.ts');
let embedded: Awaited<ReturnType<typeof startEmbeddedMongo>> | undefined;
if (!process.env.MONGODB_URI) {
  embedded = await startEmbeddedMongo();
  process.env.MONGODB_URI = embedded.uri;
}
const { startTestInsole, testDatabaseUri } = await import('../test/support/insole.ts');
const { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode } = await import('../test/support/relying-party.ts');
const { fullContactPerson, startFakeFullContact } = await import('../test/fakes/fake-fullcontact.ts');
const { startFakeXApi } = await import('../test/fakes/fake-x-api.ts');
const { createPasswordHasher } = await import('../src/users/password-hasher.ts');
const { PASSWORD_CONNECTION } = await import('../src/users/password-signin.service.ts');
const { userWritesFor } = await import('../src/core.ts');
const { findChildPid, startNoiseMeter } = await import('./machine-load.ts');

interface BenchUser { email: string; password: string; userId: string }
interface Sample { totalMs: number; loginMs: number }

const fullcontact = await startFakeFullContact();
const x = await startFakeXApi();
fullcontact.delayMs = DELAY_MS;
x.delayMs = DELAY_MS;
const databaseUri = testDatabaseUri();
const common = { log_level: opts['log-level'] };
const on = await startTestInsole({
  ...common,
  hooks: {
    worker: { concurrency: WORKER_CONCURRENCY },
    fullcontact: { api_key: fullcontact.apiKey, base_url: fullcontact.url, timeout_ms: DELAY_MS + 5_000 },
    sentiment: { mode: 'builtin', x_bearer_token: x.bearerToken, x_base_url: x.url, timeout_ms: DELAY_MS + 5_000 },
  },
}, databaseUri);
const off = await startTestInsole({ ...common, hooks: { enabled: false } }, databaseUri);
let failed = false;
try {
  console.log(`insole bench: sign-in latency, durable hooks on vs off — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}`);
  console.log(`hooks on: fullcontact + sentiment (builtin: X recent search + AFINN), fake APIs answer after ${DELAY_MS} ms, worker concurrency ${WORKER_CONCURRENCY}; ` +
    `${COUNT} sign-ins per side per round, ${ROUNDS} rounds, concurrency ${CONCURRENCY}; database: ${embedded ? 'embedded dev server' : 'MONGODB_URI'}`);

  const hooked = await createUsers('on', COUNT * ROUNDS + 20);
  const plain = await createUsers('off', COUNT + 20);
  const rp = await discoverStorefront(on.issuer);
  const rpOff = await discoverStorefront(off.issuer);

  async function signIn(issuer: string, config: typeof rp, user: BenchUser): Promise<Sample> {
    const t0 = performance.now();
    const request = await buildAuthorization(config);
    const t1 = performance.now();
    const { callback } = await completeAuthorization(issuer, request, { email: user.email, password: user.password });
    const t2 = performance.now();
    const tokens = await exchangeCode(config, callback, request);
    if (tokens.claims()?.sub !== user.userId) throw new Error(`signed in as ${tokens.claims()?.sub}, expected ${user.userId}`);
    return { totalMs: performance.now() - t0, loginMs: t2 - t1 };
  }

  // Warm-up of both instances (JIT, the dev database, index use): users that do not count.
  await runBounded(hooked.splice(0, 20).map((u) => () => signIn(on.issuer, rp, u)), CONCURRENCY);
  await runBounded(plain.slice(COUNT).map((u) => () => signIn(off.issuer, rpOff, u)), CONCURRENCY);
  await drained();

  const samples = { on: [] as Sample[], off: [] as Sample[] };
  const noise = { on: [] as number[], off: [] as number[] };
  const dbPid = embedded ? findChildPid('mongo-dev-server') : undefined;
  async function measure(side: 'on' | 'off', ops: (() => Promise<Sample>)[]): Promise<void> {
    const meter = startNoiseMeter(dbPid);
    samples[side].push(...await runBounded(ops, CONCURRENCY));
    const cores = meter.end();
    if (cores !== undefined) noise[side].push(cores);
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Off first, on a quiet server (the previous on-round's jobs drained); then on, with the worker busy.
    await measure('off', plain.slice(0, COUNT).map((u) => () => signIn(off.issuer, rpOff, u)));
    await measure('on', hooked.splice(0, COUNT).map((u) => () => signIn(on.issuer, rp, u)));
    await drained();
  }

  const row = (name: string, xs: number[]) => [name, pct(xs, 50).toFixed(1), pct(xs, 99).toFixed(1), mean(xs).toFixed(1), String(xs.length)];
  console.log('');
  printTable(['sign-in latency (ms)', 'p50', 'p99', 'mean', 'n'], [
    row('hooks off: whole sign-in', samples.off.map((s) => s.totalMs)),
    row('hooks on:  whole sign-in', samples.on.map((s) => s.totalMs)),
    row('hooks off: authorize → page → POST (resumed)', samples.off.map((s) => s.loginMs)),
    row('hooks on:  authorize → page → POST (resumed)', samples.on.map((s) => s.loginMs)),
  ]);
  const jobs = await on.db.collection('hook_jobs').aggregate<{ _id: { hook: string; state: string }; n: number }>([
    { $group: { _id: { hook: '$hook', state: '$state' }, n: { $sum: 1 } } }, { $sort: { '_id.hook': 1, '_id.state': 1 } },
  ]).toArray();
  console.log('');
  console.log(`jobs after the run: ${jobs.map((j) => `${j._id.hook} ${j._id.state} ${j.n}`).join(', ')}; ` +
    `FullContact asked ${fullcontact.enrichCalls().length} times, X ${x.searchCalls().length} times`);
  const counters = on.hooks.metrics();
  console.log(`worker metrics: ${Object.entries(counters).map(([hook, c]) => `${hook} attempts ${c.attempts}, succeeded ${c.succeeded}, retried ${c.retried}, dead ${c.dead}`).join('; ')}`);
  const ratio = pct(samples.on.map((s) => s.totalMs), 99) / pct(samples.off.map((s) => s.totalMs), 99);
  const worstNoise = Math.max(0, ...noise.on, ...noise.off);
  if (noise.on.length) {
    console.log(`other load (cores busy with other processes) per round, off: ${noise.off.map((n) => n.toFixed(2)).join(' ')}; on: ${noise.on.map((n) => n.toFixed(2)).join(' ')}`);
  }
  if (worstNoise > 0.2) console.log('WARNING: other processes were using the CPU during the measurements; rerun on a quiet machine for figures to quote.');
  console.log('');
  console.log(`p99 ratio on/off (whole sign-in): ${ratio.toFixed(2)} (goal <= 1.2); ` +
    `p50 ratio ${(pct(samples.on.map((s) => s.totalMs), 50) / pct(samples.off.map((s) => s.totalMs), 50)).toFixed(2)}`);
} catch (err) {
  failed = true;
  console.error(err);
  if (opts['log-level'] === 'silent') console.error("insole's own logs are off: rerun with `-- --log-level error` to see its side.");
} finally {
  await on.db.dropDatabase().catch(() => {}); // only matters on a real MONGODB_URI
  await fullcontact.close();
  await x.close();
  await Promise.all([on.stop(2_000), off.stop(2_000)]);
  await embedded?.stop();
}
process.exit(failed ? 1 : 0);

/** Until no job is pending or running (the fake APIs' delay per job, at the worker's concurrency). */
async function drained(): Promise<void> {
  const jobs = on.db.collection('hook_jobs');
  while (await jobs.countDocuments({ state: { $in: ['pending', 'running'] } })) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Password users stored through insole's repository, as a sign-up stores them, all with one hash
 * (same password: hashing hundreds of users would only slow the set-up). "on" users have a Twitter
 * handle (root screen_name) and FullContact knows them, so both hooks apply to their first sign-in.
 */
async function createUsers(tag: string, n: number): Promise<BenchUser[]> {
  const repository = userWritesFor(on.connection, on.config).users;
  const password = 'bench tempo run uphill both ways';
  const passwordHash = await createPasswordHasher(on.config.argon2).hash(password);
  const created: BenchUser[] = [];
  for (let i = 0; i < n; i++) {
    const email = `bench.${tag}.${i}@innovashoes.example`;
    const id = new Types.ObjectId().toHexString();
    const now = new Date();
    const handle = `bench_${tag}_${i}`;
    const user = await repository.insert({
      user_id: `auth0|${id}`, email, email_verified: true, name: email, nickname: email.split('@')[0],
      ...(tag === 'on' ? { screen_name: handle } : {}),
      identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
      created_at: now, updated_at: now, logins_count: 0,
      blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
      password_hash: passwordHash,
    });
    if (tag === 'on') {
      fullcontact.know(email, fullContactPerson({ email, twitter: handle }));
      x.tweet(handle, `Fresh pair from @InnovaShoes, love the cushioning #${i}`);
    }
    created.push({ email, password, userId: user.user_id });
  }
  return created;
}

/** Runs the operations with `concurrency` in flight; their results in completion order. */
async function runBounded<T>(ops: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, ops.length) }, async () => {
    while (next < ops.length) results.push(await ops[next++]!());
  }));
  return results;
}

/** Nearest-rank percentile. */
function pct(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function positiveInt(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}
