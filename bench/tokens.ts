// `npm run bench:tokens`: client-credentials access tokens per second (a storefront API's or the Admin
// API's machine-to-machine client), insole in its own process on the dev database, the load driver
// here, all on this machine's cores. Issue 12's goal: >= 600 tokens/s on 2 cores (Ory Hydra publishes
// 513/s on 2 CPUs). Each token is an RS256-signed JWT for an API audience, checked once for its shape.
//
// Options (after `--`): --count N (tokens per measurement, default 2000), --rounds N (default 2),
// --concurrency 1,8,32 (requests in flight), --db memory|file, --commands N (tokens counted for their
// database commands on a second, monitored insole process; default 200, 0 = off), --log-level L.
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { combine, fmt, positiveInt, printTable, runBounded, type Measured } from './bench-stats.ts';
import { startBenchDatabase } from './bench-database.ts';
import { startInsoleProcess, type InsoleProcess } from './insole-child.ts';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,8,32' },
    db: { type: 'string', default: 'memory' },
    commands: { type: 'string', default: '200' },
    'log-level': { type: 'string', default: 'silent' },
  },
});
const COUNT = positiveInt(opts.count, 'count');
const ROUNDS = positiveInt(opts.rounds, 'rounds');
const LEVELS = opts.concurrency.split(',').map((c) => positiveInt(c, 'concurrency'));
const COUNTED = Number(opts.commands);
const GOAL = 600;

const API = 'https://orders.innovashoes.example/';
const CLIENT = { client_id: 'bench-orders-service', client_secret: 'bench-orders-service-secret-0123456789' };
const overrides = {
  log_level: opts['log-level'],
  apis: [{ identifier: API, scopes: ['read:orders', 'write:orders'] }],
  clients: [{
    ...CLIENT, client_name: 'Orders service (M2M)', grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic', grants: [{ audience: API, scope: ['read:orders'] }],
  }],
};
const BODY = new URLSearchParams({ grant_type: 'client_credentials', audience: API, scope: 'read:orders' }).toString();
const AUTHORIZATION = `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`;

/** One token request over a kept-alive connection (node:http: a lighter driver than fetch, on the same cores). */
function tokenRequest(issuer: URL, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: issuer.hostname, port: issuer.port, path: '/oauth/token', method: 'POST', agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTHORIZATION, 'content-length': Buffer.byteLength(BODY) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`token endpoint answered ${res.statusCode}: ${body}`));
        resolve((JSON.parse(body) as { access_token: string }).access_token);
      });
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

const db = await startBenchDatabase(opts.db);
const insole = await startInsoleProcess(db.uri, overrides);
let failed = false;
try {
  console.log(`insole bench: client-credentials tokens — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ` +
    `load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; database: ${db.describe}; ${COUNT} tokens per measurement, ${ROUNDS} rounds`);
  const issuer = new URL(insole.issuer);
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(...LEVELS) });
  const claims = decodeJwt(await tokenRequest(issuer, agent));
  if (claims.aud !== API || claims.scope !== 'read:orders' || claims.sub !== CLIENT.client_id) throw new Error(`unexpected token: ${JSON.stringify(claims)}`);
  const token = async () => { await tokenRequest(issuer, agent); };

  await runBounded(token, Math.min(COUNT, 1000), Math.max(...LEVELS)); // warm-up: JIT on both sides, connections
  const rows: { concurrency: number; m: Measured }[] = [];
  for (const concurrency of LEVELS) {
    const runs: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await runBounded(token, COUNT, concurrency, { insole, dbPid: db.pid }));
    rows.push({ concurrency, m: combine(runs) });
  }
  console.log('');
  printTable(['concurrency', 'tokens/s', 'insole CPU ms/token', 'of it loop', 'DB CPU ms/token', 'driver CPU ms/token', 'other load (cores)'],
    rows.map(({ concurrency, m }) => [String(concurrency), m.perSecond.toFixed(0), fmt(m.insoleCpuMsPerOp, 2), fmt(m.insoleLoopCpuMsPerOp, 2),
      fmt(m.dbCpuMsPerOp, 2), m.driverCpuMsPerOp.toFixed(2), fmt(m.otherCores, 2)]));
  if (COUNTED > 0) await printCommands(db.uri, COUNTED);
  const best = rows.reduce((a, b) => (b.m.perSecond > a.m.perSecond ? b : a));
  console.log(`\nHEADLINE client-credentials tokens: ${best.m.perSecond.toFixed(0)}/s at concurrency ${best.concurrency} (goal >= ${GOAL}); ` +
    `insole ${fmt(best.m.insoleCpuMsPerOp, 2)} ms CPU per token; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (rows.some(({ m }) => (m.otherCores ?? 0) > 0.2)) console.log('WARNING: other processes were using the CPU; rerun on a quiet machine for figures to quote.');
  agent.destroy();
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await insole.stop();
  await db.stop();
}
process.exit(failed ? 1 : 0);

/** Database commands per token, on a second insole process with command monitoring (the measured one runs without). */
async function printCommands(databaseUri: string, n: number): Promise<void> {
  const observed: InsoleProcess = await startInsoleProcess(databaseUri, overrides, { monitorCommands: true });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const issuer = new URL(observed.issuer);
    for (let i = 0; i < 20; i++) await tokenRequest(issuer, agent);
    const before = await observed.commands();
    for (let i = 0; i < n; i++) await tokenRequest(issuer, agent);
    const after = await observed.commands();
    const per = Object.entries(after.counts).map(([k, c]) => [k, c - (before.counts[k] ?? 0)] as const).filter(([, c]) => c > 0);
    console.log(`database commands per token: ${((after.total - before.total) / n).toFixed(2)}${per.length ? ` — ${per.map(([k, c]) => `${k} ${(c / n).toFixed(2)}`).join(', ')}` : ''}`);
  } finally {
    agent.destroy();
    await observed.stop();
  }
}
