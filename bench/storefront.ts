// `npm run bench:storefront`: requests per second of the storefront's orders API (examples/storefront/api.ts)
// verifying insole's JWT access tokens offline (jose, RS256, the JWKS fetched once and cached), against the
// same API that only decodes the token, in alternating rounds of the same run. Issue 12's goal: verify/none
// >= 0.5. The API runs in a process of its own (its CPU per request is measured); the load driver runs here.
//
// Options (after `--`): --count N (requests per measurement, default 3000), --rounds N (default 3),
// --concurrency N (requests in flight, default 16).
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { combine, fmt, positiveInt, printTable, runBounded, type Measured } from './bench-stats.ts';
import { startBenchDatabase } from './bench-database.ts';
import { startInsoleProcess, type ProcessCpu } from './insole-child.ts';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
  },
});
const COUNT = positiveInt(opts.count, 'count');
const ROUNDS = positiveInt(opts.rounds, 'rounds');
const CONCURRENCY = positiveInt(opts.concurrency, 'concurrency');
const GOAL = 0.5;
const API = 'https://orders.innovashoes.example/';
const CLIENT = { client_id: 'bench-orders-service', client_secret: 'bench-orders-service-secret-0123456789' };

interface ApiProcess { port: number; cpu(): Promise<ProcessCpu>; stop(): Promise<void> }

async function startApi(mode: 'verify' | 'none', issuer: string): Promise<ApiProcess> {
  const child: ChildProcess = fork(resolve(import.meta.dirname, 'storefront-api-process.ts'), [JSON.stringify({ mode, issuer, audience: API })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise<{ port: number }>((done) => child.once('message', (m) => done(m as { port: number })));
  let next = 0;
  return {
    port,
    cpu: () => new Promise((done) => {
      const id = next++;
      const listener = (m: { id?: number; result?: ProcessCpu }) => { if (m.id === id) { child.off('message', listener); done(m.result!); } };
      child.on('message', listener);
      child.send({ op: 'cpu', id });
    }),
    stop: () => new Promise((done) => { child.once('exit', () => done()); child.send({ op: 'stop', id: -1 }); }),
  };
}

function get(port: number, token: string, agent: Agent): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/orders', agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolvePromise() : reject(new Error(`API answered ${res.statusCode}: ${Buffer.concat(chunks)}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const db = await startBenchDatabase();
const insole = await startInsoleProcess(db.uri, {
  log_level: 'silent',
  apis: [{ identifier: API, scopes: ['read:orders'] }],
  clients: [{ ...CLIENT, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', grants: [{ audience: API, scope: ['read:orders'] }] }],
});
const apis: ApiProcess[] = [];
let failed = false;
try {
  console.log(`insole bench: storefront API token verification — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ` +
    `load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${COUNT} requests per measurement, ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
  const tokenRes = await fetch(`${insole.issuer}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...CLIENT, audience: API, scope: 'read:orders' }),
  });
  const { access_token: token } = await tokenRes.json() as { access_token: string };
  const verifying = await startApi('verify', insole.issuer);
  const decoding = await startApi('none', insole.issuer);
  apis.push(verifying, decoding);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const runAgainst = (api: ApiProcess, count: number) => runBounded(() => get(api.port, token, agent), count, CONCURRENCY, { insole: api });
  await runAgainst(verifying, 1000); // warm-up, and the JWKS is fetched once here
  await runAgainst(decoding, 1000);
  const runs: { verify: Measured[]; none: Measured[] } = { verify: [], none: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.none.push(await runAgainst(decoding, COUNT));
    runs.verify.push(await runAgainst(verifying, COUNT));
  }
  const none = combine(runs.none);
  const verify = combine(runs.verify);
  console.log('');
  printTable(['API', 'requests/s', 'API CPU ms/request', 'driver CPU ms/request', 'other load (cores)'], [
    ['no verification (decode only)', none.perSecond.toFixed(0), fmt(none.insoleCpuMsPerOp, 3), none.driverCpuMsPerOp.toFixed(3), fmt(none.otherCores, 2)],
    ['jose jwtVerify, cached JWKS', verify.perSecond.toFixed(0), fmt(verify.insoleCpuMsPerOp, 3), verify.driverCpuMsPerOp.toFixed(3), fmt(verify.otherCores, 2)],
  ]);
  console.log(`\nHEADLINE storefront token verification: ${(verify.perSecond / none.perSecond).toFixed(2)}x the requests/s of no verification ` +
    `(goal >= ${GOAL}); CPU per request ${fmt(verify.insoleCpuMsPerOp, 3)} vs ${fmt(none.insoleCpuMsPerOp, 3)} ms; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  agent.destroy();
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  for (const api of apis) await api.stop();
  await insole.stop();
  await db.stop();
}
process.exit(failed ? 1 : 0);
