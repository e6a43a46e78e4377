// `npm run bench:keycloak`: the same full code-flow sign-in (authorize → hosted login page → password POST
// → callback → code exchange with PKCE, checked by openid-client) against Keycloak and against insole, in
// alternating rounds of one run on the same cores, each on its embedded database (Keycloak's dev-file H2,
// insole's H2 MVStore file as `npm start` has it). Issue 12's goal: insole >= 2x Keycloak's sign-ins/s.
//
// Keycloak runs in production mode (`kc.sh start`: theme and template caching on), with its default
// password hashing (Argon2id at Keycloak's parameters), a local cache (one node: no cluster discovery)
// and plain http on loopback. The distribution comes from Maven Central through Maven
// (org.keycloak:keycloak-quarkus-dist) into --dir; nothing of it is committed. It needs Java 21 or newer:
// --java-home (default: $KEYCLOAK_JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64).
//
// Options (after `--`): --version 26.7.3, --dir .bench (where the distribution is unpacked), --count N (sign-ins per
// measurement, default 60), --rounds N (default 2), --concurrency 1,4, --users N (default 16), --warmup N (default 300).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { combine, fmt, positiveInt, printTable, runBounded, type Measured } from './bench-stats.ts';
import { startBenchDatabase } from './bench-database.ts';
import { startInsoleProcess, type BenchUser } from './insole-child.ts';
import { processCpuMs } from './machine-load.ts';
import { freePort } from '../test/support/insole.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc } from '../test/support/relying-party.ts';
import { UserAgent } from '../test/support/user-agent.ts';

const { values: opts } = parseArgs({
  options: {
    version: { type: 'string', default: '26.7.3' },
    dir: { type: 'string', default: resolve(import.meta.dirname, '../.bench') },
    'java-home': { type: 'string', default: process.env.KEYCLOAK_JAVA_HOME ?? '/usr/lib/jvm/temurin-25-jdk-amd64' },
    count: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,4' },
    users: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '300' },
  },
});
const COUNT = positiveInt(opts.count, 'count');
const ROUNDS = positiveInt(opts.rounds, 'rounds');
const USERS = positiveInt(opts.users, 'users');
const WARMUP = positiveInt(opts.warmup, 'warmup');
const LEVELS = opts.concurrency.split(',').map((c) => positiveInt(c, 'concurrency'));
const CALLBACK = 'http://127.0.0.1:4999/callback'; // insole's test storefront uses the same
const CLIENT = { client_id: 'bench-storefront', client_secret: 'bench-storefront-secret-0123456789' };

/** Options fixed when Keycloak is built (augmented); `start` with others would build again first. */
const BUILD_OPTIONS = ['--db=dev-file', '--cache=local'];

const keycloakEnv = (javaHome: string) => ({ ...process.env, JAVA_HOME: javaHome, PATH: `${javaHome}/bin:${process.env.PATH}` });

const home = unpackKeycloak(opts.version, resolve(opts.dir), opts['java-home']);
const keycloak = await startKeycloak(home, opts['java-home']);
const db = await startBenchDatabase('file');
const insole = await startInsoleProcess(db.uri, { log_level: 'silent' });
let failed = false;
try {
  console.log(`insole vs Keycloak ${opts.version}: full code-flow sign-ins — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), ` +
    `Node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const realm = await setUpRealm(keycloak.url);
  const kcUsers = realm.users;
  const insoleUsers = await insole.createUsers(USERS);
  const kcRp = await oidc.discovery(new URL(`${keycloak.url}/realms/${realm.name}`), CLIENT.client_id, CLIENT.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const insoleRp = await discoverStorefront(insole.issuer);
  let next = 0;
  const signInKeycloak = async () => {
    const user = kcUsers[next++ % kcUsers.length];
    const request = await buildAuthorization(kcRp, { scope: 'openid email profile' });
    const agent = new UserAgent(keycloak.url);
    const page = await agent.get(request.url);
    const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(await page.res.text())?.[1];
    if (!action) throw new Error('no Keycloak login form');
    const posted = await agent.postForm(action.replaceAll('&amp;', '&'), { username: user.email, password: user.password, credentialId: '' });
    if (!posted.left?.startsWith(CALLBACK)) throw new Error(`Keycloak did not redirect to the callback (HTTP ${posted.res.status})`);
    const tokens = await exchangeCode(kcRp, posted.left, request);
    if (tokens.claims()?.email !== user.email) throw new Error('Keycloak signed in the wrong user');
  };
  const signInInsole = async () => {
    const user = insoleUsers[next++ % insoleUsers.length];
    const request = await buildAuthorization(insoleRp);
    const { callback } = await completeAuthorization(insole.issuer, request, { email: user.email, password: user.password });
    const tokens = await exchangeCode(insoleRp, callback, request);
    if (tokens.claims()?.sub !== user.userId) throw new Error('insole signed in the wrong user');
  };
  const kcCpu = {
    cpu: async () => {
      const totalMs = processCpuMs(keycloak.pid);
      if (totalMs === undefined) throw new Error(`Keycloak's JVM (pid ${keycloak.pid}) is gone`);
      return { totalMs, loopMs: 0 };
    },
  };

  // Warm-up: both JITs (Keycloak's JVM needs far more than V8), connection pools, caches.
  // insole's dev database is a JVM too: both get the same warm-up.
  await runBounded(signInKeycloak, WARMUP, Math.max(...LEVELS));
  await runBounded(signInInsole, WARMUP, Math.max(...LEVELS));
  const rows: { concurrency: number; kc: Measured; ins: Measured }[] = [];
  for (const concurrency of LEVELS) {
    const kc: Measured[] = [];
    const ins: Measured[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      kc.push(await runBounded(signInKeycloak, COUNT, concurrency, { insole: kcCpu }));
      ins.push(await runBounded(signInInsole, COUNT, concurrency, { insole, dbPid: db.pid }));
    }
    rows.push({ concurrency, kc: combine(kc), ins: combine(ins) });
  }
  console.log('');
  printTable(['concurrency', 'Keycloak sign-ins/s', 'insole sign-ins/s', 'insole/Keycloak', 'Keycloak CPU ms', 'insole CPU ms', 'insole DB CPU ms', 'RP CPU ms (kc/insole)', 'other load (kc/insole)'],
    rows.map(({ concurrency, kc, ins }) => [String(concurrency), kc.perSecond.toFixed(1), ins.perSecond.toFixed(1), (ins.perSecond / kc.perSecond).toFixed(2),
      fmt(kc.insoleCpuMsPerOp), fmt(ins.insoleCpuMsPerOp), fmt(ins.dbCpuMsPerOp), `${kc.driverCpuMsPerOp.toFixed(1)} / ${ins.driverCpuMsPerOp.toFixed(1)}`,
      `${fmt(kc.otherCores, 2)} / ${fmt(ins.otherCores, 2)}`]));
  console.log('CPU ms = per sign-in: Keycloak\'s JVM (its H2 database inside it), insole\'s process and its dev database (a Java process of its own).');
  for (const { concurrency, kc, ins } of rows) {
    console.log(`HEADLINE concurrency ${concurrency}: insole ${ins.perSecond.toFixed(1)} vs Keycloak ${kc.perSecond.toFixed(1)} sign-ins/s = ${(ins.perSecond / kc.perSecond).toFixed(2)}x (goal >= 2)`);
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await insole.stop();
  await db.stop();
  await keycloak.stop();
}
process.exit(failed ? 1 : 0);

/**
 * The distribution under `dir`, fetched with Maven and built for BUILD_OPTIONS the first time. Built
 * here rather than by the first `start`: a run whose `start` had to build first measured Keycloak at
 * about 60 % of its speed in the runs after it (13.8 / 20.6 against 24.1 / 42.5 sign-ins/s, 2026-12-05).
 */
function unpackKeycloak(version: string, dir: string, javaHome: string): string {
  const home = resolve(dir, `keycloak-${version}`);
  const built = resolve(home, '.built-for-bench'); // ours: the distribution ships built for its defaults
  if (existsSync(built) && readFileSync(built, 'utf8') === BUILD_OPTIONS.join(' ')) return home;
  mkdirSync(dir, { recursive: true });
  const artifact = `org.keycloak:keycloak-quarkus-dist:${version}:zip`;
  const zip = resolve(dir, `keycloak-quarkus-dist-${version}.zip`);
  if (!existsSync(zip)) spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${dir}`], { stdio: 'inherit' });
  if (!existsSync(zip)) throw new Error(`could not fetch ${artifact} with Maven`);
  if (spawnSync('unzip', ['-q', '-o', zip, '-d', dir], { stdio: 'inherit' }).status !== 0) throw new Error('could not unzip Keycloak');
  if (spawnSync(resolve(home, 'bin/kc.sh'), ['build', ...BUILD_OPTIONS], { env: keycloakEnv(javaHome), stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error('kc.sh build failed');
  writeFileSync(built, BUILD_OPTIONS.join(' '));
  return home;
}

/** `kc.sh start` (production mode) on a free loopback port; resolves once the master realm answers. */
async function startKeycloak(home: string, javaHome: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const env = { ...keycloakEnv(javaHome), KC_BOOTSTRAP_ADMIN_USERNAME: 'admin', KC_BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-password' };
  const args = ['start', ...BUILD_OPTIONS, '--http-enabled=true', '--hostname-strict=false', `--http-port=${port}`, '--http-host=127.0.0.1', '--http-management-port=0'];
  // exec: kc.sh becomes this child itself, so the JVM is it or its child (jvmPid, for its CPU from /proc).
  const child: ChildProcess = spawn('bash', ['-c', `exec "${home}/bin/kc.sh" "$@"`, 'kc.sh', ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Keycloak exited (code ${child.exitCode}); is ${javaHome} a Java 21+ home?`);
    if (Date.now() > deadline) throw new Error('Keycloak did not start within 4 minutes');
    if (await fetch(`${url}/realms/master`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    url, pid: jvmPid(child.pid!),
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', () => { clearTimeout(timer); done(); });
      child.kill('SIGTERM');
    }),
  };
}

/**
 * kc.sh runs java as its child and waits for it, unless Keycloak had to re-augment (exit 10), when it
 * execs java in its own place: the JVM is whichever of the two is java.
 */
function jvmPid(scriptPid: number): number {
  if (readFileSync(`/proc/${scriptPid}/comm`, 'utf8').trim() === 'java') return scriptPid;
  const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').trim().split(' ').map(Number);
  const java = children.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java');
  if (!java) throw new Error(`no Keycloak JVM under kc.sh (pid ${scriptPid})`);
  return java;
}

/** A fresh realm with the storefront client (confidential, code flow, PKCE S256) and users with passwords (hashed by Keycloak's default). */
async function setUpRealm(url: string): Promise<{ name: string; users: BenchUser[] }> {
  const tokenRes = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: 'bench-admin-password' }),
  });
  const { access_token: admin } = await tokenRes.json() as { access_token: string };
  const call = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${url}/admin/realms${path}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`Keycloak admin ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  };
  const name = `bench-${Date.now().toString(36)}`;
  await call('POST', '', { realm: name, enabled: true });
  await call('POST', `/${name}/clients`, {
    clientId: CLIENT.client_id, secret: CLIENT.client_secret, publicClient: false, standardFlowEnabled: true, directAccessGrantsEnabled: false,
    redirectUris: [CALLBACK], attributes: { 'pkce.code.challenge.method': 'S256' },
  });
  const users: BenchUser[] = [];
  for (let i = 0; i < USERS; i++) {
    const email = `bench.shopper${i}@innovashoes.example`;
    const password = `bench tempo run number ${i} uphill`;
    await call('POST', `/${name}/users`, {
      username: email, email, emailVerified: true, enabled: true, firstName: 'Bench', lastName: `Shopper ${i}`,
      credentials: [{ type: 'password', value: password, temporary: false }],
    });
    users.push({ email, password, userId: email, passwordHash: '' });
  }
  return { name, users };
}
