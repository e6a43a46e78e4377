// `npm run bench:login`: complete password sign-ins per second (authorize → hosted sign-in page →
// sign-in POST with CSRF → callback → code exchange with PKCE) against bare Argon2id verifications
// per second with the same parameters, measured in the same run at the same concurrency.
// The goal is login/argon2 >= 0.7: the server should add little beyond the password hash.
//
// Options (after `--`): --count N (operations per measurement, default 60), --rounds N (alternating
// argon2/login rounds per concurrency, default 2), --concurrency 1,4 (default 1 and 2 x cores),
// --users N (default 16), --breakdown N (hop-by-hop timed sign-ins at concurrency 1, default 30; 0 = off),
// --profile N (N sign-ins at the highest concurrency under the V8 CPU profiler, summarised; default 0 = off),
// --log-level L (insole's log level, default silent: logging is not what is measured),
// --memory-kib N / --time-cost N (override insole's Argon2id cost for both sides, to see how the ratio moves).
// A measurement, not a test: it exits 0 whatever the ratio, and non-zero only when something fails.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { findChildPid, machineBusyMs, processCpuMs } from './machine-load.ts';
import { verify } from '@node-rs/argon2';
import { Types } from 'mongoose';

process.env.NODE_ENV = 'test';
const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string' },
    users: { type: 'string', default: '16' },
    breakdown: { type: 'string', default: '30' },
    profile: { type: 'string', default: '0' },
    'log-level': { type: 'string', default: 'silent' },
    'memory-kib': { type: 'string' },
    'time-cost': { type: 'string' },
  },
});
const COUNT = positiveInt(opts.count, 'count');
const ROUNDS = positiveInt(opts.rounds, 'rounds');
const USERS = positiveInt(opts.users, 'users');
const BREAKDOWN = Number(opts.breakdown);
const PROFILE = Number(opts.profile);
const CORES = availableParallelism();
const LEVELS = (opts.concurrency ?? `1,${2 * CORES}`).split(',').map((c) => positiveInt(c, 'concurrency'));

// Test support and src are imported after NODE_ENV and MONGODB_URI are settled.
const { startEmbeddedMongo } = await import('../src/db/embedded-mongo.ts');
let embedded: Awaited<ReturnType<typeof startEmbeddedMongo>> | undefined;
if (!process.env.MONGODB_URI) {
  embedded = await startEmbeddedMongo();
  process.env.MONGODB_URI = embedded.uri;
}
const { startTestInsole } = await import('../test/support/insole.ts');
const { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode } = await import('../test/support/relying-party.ts');
const { readForm, UserAgent } = await import('../test/support/user-agent.ts');
const { createPasswordHasher } = await import('../src/users/password-hasher.ts');
const { PASSWORD_CONNECTION } = await import('../src/users/password-signin.service.ts');
const { userWritesFor } = await import('../src/core.ts');
const { countCommands, profileCpu } = await import('./profile.ts');

interface BenchUser { email: string; password: string; userId: string; passwordHash: string }
interface Measured {
  ops: number; seconds: number; perSecond: number;
  /** This process, all threads (event loop, libuv threadpool with argon2, V8 helpers). */
  cpuMsPerOp: number;
  /** The main thread only: the event loop, where insole's and the RP client's JavaScript run. */
  loopCpuMsPerOp: number;
  dbCpuMsPerOp?: number;
  /** Cores kept busy by other processes on the machine during the measurement (noise), when /proc/stat is readable. */
  otherCores?: number;
}

const argon2Override = {
  ...(opts['memory-kib'] ? { memory_cost_kib: positiveInt(opts['memory-kib'], 'memory-kib') } : {}),
  ...(opts['time-cost'] ? { time_cost: positiveInt(opts['time-cost'], 'time-cost') } : {}),
};
const insoleOverrides = { log_level: opts['log-level'], ...(Object.keys(argon2Override).length ? { argon2: argon2Override } : {}) };
const insole = await startTestInsole(insoleOverrides);
let failed = false;
try {
  const { argon2 } = insole.config;
  console.log(`insole bench: login vs Argon2id — ${CORES} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ` +
    `libuv threadpool ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
  console.log(`argon2id m=${argon2.memory_cost_kib} KiB, t=${argon2.time_cost}, p=${argon2.parallelism} (${Object.keys(argon2Override).length ? 'overridden' : "insole's config"}); ` +
    `database: ${embedded ? 'embedded dev server (in memory, same machine)' : 'MONGODB_URI'}; ${COUNT} ops per measurement, ${ROUNDS} rounds`);

  const users = await createUsers(USERS);
  const rp = await discoverStorefront(insole.issuer); // a storefront discovers once and caches
  const dbPid = embedded ? findChildPid('mongo-dev-server') : undefined;

  let next = 0;
  const pickUser = () => users[next++ % users.length];

  /** One complete sign-in through the shared test helpers; checks that the tokens are for the right user. */
  async function signInAt(issuer: string, config: typeof rp): Promise<void> {
    const user = pickUser();
    const request = await buildAuthorization(config);
    const { callback } = await completeAuthorization(issuer, request, { email: user.email, password: user.password });
    const tokens = await exchangeCode(config, callback, request);
    if (tokens.claims()?.sub !== user.userId) throw new Error(`signed in as ${tokens.claims()?.sub}, expected ${user.userId}`);
  }
  const signIn = () => signInAt(insole.issuer, rp);

  /** The baseline: what the sign-in POST must do anyway, one Argon2id verify with the stored hash's parameters. */
  async function bareVerify(): Promise<void> {
    const user = pickUser();
    if (!(await verify(user.passwordHash, user.password))) throw new Error('argon2 verify returned false');
  }

  // Warm-up: JIT (V8's, and the Java dev database's, which takes a while), index creation on first use
  // of each oidc-provider model, connection pools, threadpool.
  await runBounded(bareVerify, 4 * Math.max(...LEVELS), Math.max(...LEVELS), dbPid);
  await runBounded(signIn, Math.max(60, 8 * Math.max(...LEVELS)), Math.max(...LEVELS), dbPid);

  const rows: { concurrency: number; login: Measured; argon: Measured }[] = [];
  for (const concurrency of LEVELS) {
    const logins: Measured[] = [];
    const argons: Measured[] = [];
    // Alternated rounds, so drift (thermal, noisy neighbours) hits both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      argons.push(await runBounded(bareVerify, COUNT, concurrency, dbPid));
      logins.push(await runBounded(signIn, COUNT, concurrency, dbPid));
    }
    rows.push({ concurrency, login: combine(logins), argon: combine(argons) });
  }

  console.log('');
  const fmt = (n: number | undefined, digits = 1) => (n === undefined ? 'n/a' : n.toFixed(digits));
  printTable(
    ['concurrency', 'sign-ins/s', 'argon2 verifies/s', 'ratio', 'sign-in CPU ms: loop', 'threads', 'DB', 'verify CPU ms', 'CPU ratio', 'other load (cores)'],
    rows.map(({ concurrency, login, argon }) => [
      String(concurrency), login.perSecond.toFixed(1), argon.perSecond.toFixed(1), (login.perSecond / argon.perSecond).toFixed(2),
      login.loopCpuMsPerOp.toFixed(1), (login.cpuMsPerOp - login.loopCpuMsPerOp).toFixed(1), fmt(login.dbCpuMsPerOp),
      argon.cpuMsPerOp.toFixed(1), cpuRatio(login, argon).toFixed(2), `${fmt(login.otherCores, 2)} / ${fmt(argon.otherCores, 2)}`,
    ]),
  );
  console.log('CPU per operation: loop = the event loop thread (insole and the RP client: openid-client, fetch), threads = the');
  console.log("process's other threads (libuv threadpool: argon2), DB = the embedded dev database (Java, same cores).");
  console.log('CPU ratio = verify CPU / whole sign-in CPU (node + DB): the ratio once CPU-bound, and much less sensitive to noise.');
  console.log(`other load = cores used by other processes during the login / argon2 runs (noise; above ~0.2 of ${CORES} cores, rerun).`);
  for (const { concurrency, login, argon } of rows) {
    const extra = login.cpuMsPerOp - argon.cpuMsPerOp + (login.dbCpuMsPerOp ?? 0);
    console.log(`CPU budget at concurrency ${concurrency}: a sign-in costs ${extra.toFixed(1)} ms of CPU beyond its verify ` +
      `(${(login.cpuMsPerOp - argon.cpuMsPerOp).toFixed(1)} node${login.dbCpuMsPerOp === undefined ? '' : ` + ${login.dbCpuMsPerOp.toFixed(1)} DB`}); ` +
      `a CPU-bound ratio of 0.7 allows ${(argon.cpuMsPerOp * (1 / 0.7 - 1)).toFixed(1)} ms.`);
  }

  if (BREAKDOWN > 0) await printBreakdown(BREAKDOWN);
  if (PROFILE > 0) await printProfile(PROFILE, Math.max(...LEVELS));

  const noisy = rows.some(({ login, argon }) => Math.max(login.otherCores ?? 0, argon.otherCores ?? 0) > 0.2);
  if (noisy) console.log('\nWARNING: other processes were using the CPU during the measurements; rerun on a quiet machine for figures to quote.');

  const last = rows.at(-1)!;
  console.log('');
  console.log(`CPU-time ratio (concurrency ${last.concurrency}): ${cpuRatio(last.login, last.argon).toFixed(2)}`);
  console.log(`login/argon2 ratio (concurrency ${last.concurrency}): ${(last.login.perSecond / last.argon.perSecond).toFixed(2)} (goal >= 0.7)`);

  /**
   * Hop-by-hop latency of sequential sign-ins: where the time of one sign-in goes. Runs against a
   * second insole on the same database whose MongoDB client has command monitoring on, so every
   * database command is counted (the measured instance above runs without that overhead).
   */
  async function printBreakdown(n: number): Promise<void> {
    const monitoredUri = new URL(process.env.MONGODB_URI!);
    monitoredUri.pathname = `/${insole.db.databaseName}`;
    monitoredUri.searchParams.set('monitorCommands', 'true');
    const observed = await startTestInsole(insoleOverrides, monitoredUri.toString());
    try {
      const observedRp = await discoverStorefront(observed.issuer);
      for (let i = 0; i < 10; i++) await signInAt(observed.issuer, observedRp); // warm-up of the second instance
      await breakdownAt(observed, observedRp, n);
    } finally {
      await observed.stop(2_000);
    }
  }

  async function breakdownAt(target: typeof insole, targetRp: typeof rp, n: number): Promise<void> {
    const hops = ['GET /authorize → 303', 'GET /interaction/:uid (page)', 'POST /interaction/:uid/login → 303',
      'GET /authorize/:uid (resume) → 303', 'POST /oauth/token (+ RP checks)', 'RP: build request (PKCE, state)'];
    const samples: number[][] = hops.map(() => []);
    const totals: number[] = [];
    const verifies: number[] = [];
    const dbPerHop: number[] = hops.map(() => 0);
    const db = countCommands(target.connection.getClient());
    let noise: Measured;
    try {
      noise = await runBounded(timedSignIn, n, 1);
    } finally {
      db.stop();
    }

    async function timedSignIn(): Promise<void> {
      const user = pickUser();
      const t: number[] = [performance.now()];
      const d: number[] = [db.total()];
      const request = await buildAuthorization(targetRp);
      t.push(performance.now()); d.push(db.total());
      const agent = new UserAgent(target.issuer);
      const first = await agent.request(request.url);
      await first.arrayBuffer();
      t.push(performance.now()); d.push(db.total());
      const page = await agent.request(new URL(first.headers.get('location')!, target.issuer).href);
      const form = readForm(await page.text());
      t.push(performance.now()); d.push(db.total());
      const posted = await agent.request(new URL(form.action, target.issuer).href, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: user.email, password: user.password, _csrf: form.csrf }).toString(),
      });
      await posted.arrayBuffer();
      if (posted.status !== 303 && posted.status !== 302) throw new Error(`sign-in POST answered ${posted.status}`);
      t.push(performance.now()); d.push(db.total());
      const resumed = await agent.request(new URL(posted.headers.get('location')!, target.issuer).href);
      await resumed.arrayBuffer();
      const callback = resumed.headers.get('location')!;
      if (!callback.startsWith('http://127.0.0.1:4999/callback')) throw new Error(`resume went to ${callback}`);
      t.push(performance.now()); d.push(db.total());
      const tokens = await exchangeCode(targetRp, callback, request);
      if (tokens.claims()?.sub !== user.userId) throw new Error('breakdown: wrong subject');
      t.push(performance.now()); d.push(db.total());
      const v0 = performance.now();
      await verify(user.passwordHash, user.password);
      verifies.push(performance.now() - v0);
      // Order in `hops`: the five server hops, then the client-side preparation.
      [t[2] - t[1], t[3] - t[2], t[4] - t[3], t[5] - t[4], t[6] - t[5], t[1] - t[0]].forEach((ms, k) => samples[k].push(ms));
      [d[2] - d[1], d[3] - d[2], d[4] - d[3], d[5] - d[4], d[6] - d[5], d[1] - d[0]].forEach((ops, k) => { dbPerHop[k] += ops; });
      totals.push(t[6] - t[0]);
    }

    // One database round trip, for scale: a findOne by _id on a small collection, sequential.
    const rtts: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r0 = performance.now();
      await insole.db.collection('users').findOne({ user_id: users[i % users.length].userId }); // the unmonitored client
      rtts.push(performance.now() - r0);
    }
    const verifyMedian = median(verifies);
    console.log('');
    console.log(`Where one sign-in's time goes (concurrency 1, ${n} sequential sign-ins, ms; other load ${fmt(noise.otherCores, 2)} cores):`);
    const allOps = dbPerHop.reduce((a, b) => a + b, 0);
    printTable(['step', 'median', 'mean', 'share', 'DB ops'], [
      ...hops.map((name, k) => [name, median(samples[k]).toFixed(1), mean(samples[k]).toFixed(1),
        `${(100 * mean(samples[k]) / mean(totals)).toFixed(0)}%`, (dbPerHop[k] / n).toFixed(1)]),
      ['total sign-in', median(totals).toFixed(1), mean(totals).toFixed(1), '100%', (allOps / n).toFixed(1)],
      ['bare argon2 verify (for comparison)', verifyMedian.toFixed(1), mean(verifies).toFixed(1), `${(100 * mean(verifies) / mean(totals)).toFixed(0)}%`, ''],
      ['one DB round trip (findOne, for scale)', median(rtts).toFixed(2), mean(rtts).toFixed(2), '', '1'],
    ]);
    const postOverhead = median(samples[2]) - verifyMedian;
    console.log(`sign-in POST minus one verify: ${postOverhead.toFixed(1)} ms; everything except the verify: ${(median(totals) - verifyMedian).toFixed(1)} ms per sign-in.`);
    console.log(`database operations per sign-in: ${(allOps / n).toFixed(1)} — ` +
      [...db.counts].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${(c / n).toFixed(1)}`).join(', '));
  }

  /** Main-thread JavaScript CPU of sign-ins at `concurrency` (argon2 runs on the threadpool and is not in it). */
  async function printProfile(n: number, concurrency: number): Promise<void> {
    let measured: Measured | undefined;
    const summary = await profileCpu(async () => { measured = await runBounded(signIn, n, concurrency, dbPid); }, 'login');
    console.log('');
    console.log(`CPU profile of ${n} sign-ins at concurrency ${concurrency} (${measured!.perSecond.toFixed(1)}/s while profiling): ` +
      `${(summary.totalMs / n).toFixed(1)} ms of main-thread busy time per sign-in (server and RP client together; ` +
      `wall-clock samples, so time preempted inside a call counts too; other load ${fmt(measured!.otherCores, 2)} cores); ${summary.file}`);
    const top = (rows: [string, number][], k: number) => rows.slice(0, k).map(([name, ms]) =>
      [name, (ms / n).toFixed(2), `${(100 * ms / summary.totalMs).toFixed(0)}%`]);
    printTable(['busy time by who (whole stack)', 'ms/sign-in', 'share'], top(summary.byRole, 12));
    console.log('');
    printTable(['self time by package / module', 'ms/sign-in', 'share'], top(summary.byGroup, 12));
    console.log('');
    printTable(['self time by function', 'ms/sign-in', 'share'], top(summary.byFunction, 20));
  }
} catch (err) {
  failed = true;
  console.error(err);
  if (opts['log-level'] === 'silent') console.error("insole's own logs are off: rerun with `-- --log-level error` to see its side.");
} finally {
  await insole.db.dropDatabase().catch(() => {}); // only matters on a real MONGODB_URI: the bench leaves nothing behind
  await insole.stop(2_000);
  await embedded?.stop();
}
process.exit(failed ? 1 : 0);

/**
 * Users stored through insole's repository with hashes from insole's own hasher and Argon2 config,
 * shaped as a password sign-up stores them. Not through the sign-up service: that would also send
 * verification mails and count against the sign-up limit per IP, which a benchmark has no business doing.
 */
async function createUsers(n: number): Promise<BenchUser[]> {
  const repository = userWritesFor(insole.connection, insole.config).users;
  const hasher = createPasswordHasher(insole.config.argon2);
  const created: BenchUser[] = [];
  for (let i = 0; i < n; i++) {
    const email = `bench.shopper${i}@innovashoes.example`;
    const password = `bench tempo run number ${i} uphill`;
    const id = new Types.ObjectId().toHexString();
    const now = new Date();
    const passwordHash = await hasher.hash(password);
    const user = await repository.insert({
      user_id: `auth0|${id}`, email, email_verified: true, name: email, nickname: email.split('@')[0],
      identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
      created_at: now, updated_at: now, logins_count: 0,
      blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
      password_hash: passwordHash,
    });
    created.push({ email, password, userId: user.user_id, passwordHash });
  }
  return created;
}

/** Runs `op` exactly `count` times with `concurrency` in flight; wall time, process CPU and DB CPU. */
async function runBounded(op: () => Promise<void>, count: number, concurrency: number, dbPid?: number): Promise<Measured> {
  let started = 0;
  const cpu0 = process.cpuUsage();
  const loop0 = process.threadCpuUsage();
  const db0 = dbPid ? processCpuMs(dbPid) : undefined;
  const machine0 = machineBusyMs();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (started < count) {
      started++;
      await op();
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const loop = process.threadCpuUsage(loop0);
  const db1 = dbPid ? processCpuMs(dbPid) : undefined;
  const machine1 = machineBusyMs();
  const ownMs = (cpu.user + cpu.system) / 1000;
  const dbMs = db0 !== undefined && db1 !== undefined ? db1 - db0 : undefined;
  return {
    ops: count, seconds, perSecond: count / seconds,
    cpuMsPerOp: ownMs / count,
    loopCpuMsPerOp: (loop.user + loop.system) / 1000 / count,
    dbCpuMsPerOp: dbMs === undefined ? undefined : dbMs / count,
    otherCores: machine0 !== undefined && machine1 !== undefined
      ? Math.max(0, (machine1 - machine0 - ownMs - (dbMs ?? 0)) / (seconds * 1000)) : undefined,
  };
}

/** The share of a sign-in's CPU (this process and the embedded database) that one bare verify accounts for. */
function cpuRatio(login: Measured, argon: Measured): number {
  return argon.cpuMsPerOp / (login.cpuMsPerOp + (login.dbCpuMsPerOp ?? 0));
}

function combine(runs: Measured[]): Measured {
  const ops = runs.reduce((s, r) => s + r.ops, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const weighted = (pick: (r: Measured) => number | undefined) =>
    runs.some((r) => pick(r) === undefined) ? undefined : runs.reduce((s, r) => s + pick(r)! * r.ops, 0) / ops;
  const otherCores = runs.some((r) => r.otherCores === undefined) ? undefined
    : runs.reduce((s, r) => s + r.otherCores! * r.seconds, 0) / seconds;
  return {
    ops, seconds, perSecond: ops / seconds, cpuMsPerOp: weighted((r) => r.cpuMsPerOp)!, loopCpuMsPerOp: weighted((r) => r.loopCpuMsPerOp)!,
    dbCpuMsPerOp: weighted((r) => r.dbCpuMsPerOp), otherCores,
  };
}


function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function positiveInt(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}
