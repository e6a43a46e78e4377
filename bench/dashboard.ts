// `npm run bench:dashboard`: the dashboard at /admin over seeded shoppers (issue 11's figures):
//   1. time to all widgets filled in Chromium: navigation start until every chart is drawn (the
//      server renders every number; charts.js marks the moment the last chart is drawn), median; the
//      first load, which computes the summary roll-ups (max_age, config dashboard.report_max_age_seconds), apart;
//   2. server CPU (insole's process + the dev database) per dashboard page against the CPU of the
//      report endpoints that page calls, called directly with the same token, all at once as the page does.
// Goals: under 1 s at 100k users on the dev database; CPU ratio ≤ 1.2.
// Options (after `--`): --users N (default 100000), --loads N (timed loads, default 10), --log-level L.
// MONGODB_URI: a real MongoDB (1M users belongs there); unset: the embedded dev database.
// A measurement, not a test: exits 0 whatever the figures, non-zero on failure.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

process.env.NODE_ENV = 'test';
const { values: opts } = parseArgs({ options: { users: { type: 'string', default: '100000' }, loads: { type: 'string', default: '10' }, 'log-level': { type: 'string', default: 'silent' } } });
const USERS = Number(opts.users);
const LOADS = Number(opts.loads);
if (!(USERS >= 100 && LOADS >= 3)) throw new Error('--users must be at least 100 and --loads at least 3');

const { benchDatabase, median } = await import('./bench-kit.ts');
const { findChildPid, processCpuMs, startNoiseMeter } = await import('./machine-load.ts');
const database = await benchDatabase();
const { startTestInsole } = await import('../test/support/insole.ts');
const { m2mClientConfig } = await import('../test/support/management.ts');
const { READER, dashboardUser, readerToken, signInThroughHostedPage } = await import('../test/support/dashboard.ts');
const { launchBrowser } = await import('../test/support/browser.ts');
const { seedCommand } = await import('../src/cli/seed.command.ts');
const { createSessionCookies } = await import('../src/dashboard/session/session-cookie.ts');

const insole = await startTestInsole({
  log_level: opts['log-level'], clients: [m2mClientConfig(READER)],
  admin_api: { rate_limit: { requests: 1_000_000 } }, hooks: { enabled: false }, insight: { sweep_seconds: 86_400, events_poll_ms: 3_600_000 },
});
const dbPid = database.embedded ? findChildPid('mongo-dev-server') : undefined;
const browser = await launchBrowser();
let failed = false;
try {
  console.log(`insole bench: the dashboard — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${USERS} users, database: ${database.embedded ? 'embedded dev server' : 'MONGODB_URI'}`);
  const seeding = performance.now();
  await seedCommand(insole.connection, insole.config, { users: USERS, seed: 1, months: 12, now: new Date(), append: false, force: false }, { log: () => {}, progress: { write: () => true } });
  console.log(`seeded ${USERS} shoppers in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  const reader = await readerToken(insole);
  await dashboardUser(insole, reader, 'bench.admin@innovashoes.example', ['admin']);
  const page = await browser.context.newPage();
  page.setDefaultTimeout(600_000); // at 100k on the dev database a page takes far longer than Playwright's 30 s default
  await signInThroughHostedPage(page, insole, 'bench.admin@innovashoes.example');
  const cookie = (await browser.context.cookies(insole.issuer)).find((c) => c.name === 'insole.dashboard')!;
  const session = createSessionCookies(insole.config).readSession({ cookies: { [cookie.name]: cookie.value } } as never)!;

  // 1. In Chromium: navigation start → every chart drawn (all numbers are in the HTML before that).
  const filled: number[] = [];
  let first = 0;
  await insole.db.collection('report_rollups').deleteMany({}); // the sign-in's landing on /admin made them: the first load computes them again
  for (let i = 0; i < LOADS + 1; i++) {
    await page.goto(`${insole.issuer}/admin`, { waitUntil: 'load' });
    await page.waitForSelector('html[data-charts-drawn]');
    const charts = await page.locator('canvas[data-chart]').count();
    if (charts < 10) throw new Error(`only ${charts} charts on the page`);
    const drawn = Number(await page.getAttribute('html', 'data-charts-drawn'));
    if (i === 0) first = drawn;
    else filled.push(drawn);
  }
  await page.goto('about:blank'); // the live stream closes: its feed stops polling
  filled.sort((x, y) => x - y);

  // 2. CPU: the page (its HTML, as a browser gets it) against the calls it makes, made directly.
  const range = (() => { const d = (ms: number) => new Date(ms).toISOString().slice(0, 10); const now = Date.now(); return { from: d(now - 29 * 86_400_000), to: d(now + 86_400_000) }; })();
  const maxAge = `max_age=${insole.config.dashboard.report_max_age_seconds}`;
  const summaries = [`/reports/overview?from=${range.from}&to=${range.to}`, '/reports/lifecycle?weeks=12', '/reports/dormant/summary?mode=never_returned', '/reports/dormant/summary?mode=inactive'];
  const lists = ['/reports/dormant?mode=never_returned&take=5', '/reports/dormant?mode=inactive&take=5', '/reports/sentiment?label=negative&take=5'];
  // As the page asks them: the summaries and the short lists accept roll-ups.
  const calls = [...[...summaries, ...lists].map((path) => `${path}&${maxAge}`), `/reports/demographics?${maxAge}`, '/segments'];
  const ok = async (res: Response) => { if (res.status !== 200) throw new Error(`${res.url}: HTTP ${res.status}`); await res.arrayBuffer(); };
  const loadPage = () => fetch(`${insole.issuer}/admin`, { headers: { cookie: `${cookie.name}=${cookie.value}`, accept: 'text/html' } }).then(ok);
  const loadReports = () => Promise.all(calls.map((path) => fetch(`${insole.issuer}/api/v2${path}`, { headers: { authorization: `Bearer ${session.access_token}` } }).then(ok)));
  async function cpuPer(run: () => Promise<unknown>) {
    await run();
    const noise = startNoiseMeter(dbPid);
    const own0 = process.cpuUsage();
    const db0 = dbPid ? processCpuMs(dbPid) ?? 0 : 0;
    const wall = await median(run, LOADS, 0);
    const own = process.cpuUsage(own0);
    const db = dbPid ? (processCpuMs(dbPid) ?? 0) - db0 : 0;
    return { wall, node: (own.user + own.system) / 1000 / LOADS, db: db / LOADS, noise: noise.end() };
  }
  const pageCpu = await cpuPer(loadPage);
  const reportCpu = await cpuPer(loadReports);
  const total = (x: typeof pageCpu) => x.node + x.db;

  const fmt = (n: number) => n.toFixed(1).padStart(8);
  console.log(`\n1. /admin in Chromium, navigation start → every widget filled (${LOADS} loads): median ${filled[Math.floor(filled.length / 2)]} ms, min ${filled[0]}, max ${filled.at(-1)}   (goal < 1000 ms)`);
  console.log(`   the first load, which computed the roll-ups: ${first} ms`);
  console.log('\n2. CPU per dashboard (ms)          wall median    node      DB   total   other load (cores)');
  for (const [label, x] of [['GET /admin (server-rendered page)', pageCpu], [`its ${calls.length} report calls, made directly`, reportCpu]] as const) {
    console.log(`${label.padEnd(34)} ${fmt(x.wall)} ${fmt(x.node)} ${fmt(x.db)} ${fmt(total(x))}   ${x.noise?.toFixed(2) ?? 'n/a'}`);
  }
  console.log('\n3. Where the time goes when the roll-ups are computed: each report call alone, computed now (wall ms, median of 3)');
  for (const path of [...summaries, ...lists, '/reports/demographics', '/segments']) {
    const alone = await median(() => fetch(`${insole.issuer}/api/v2${path}`, { headers: { authorization: `Bearer ${session.access_token}` } }).then(ok), 3, 0);
    console.log(`${fmt(alone)}  ${path}`);
  }
  console.log(`\nCPU ratio page / report calls: ${(total(pageCpu) / total(reportCpu)).toFixed(2)}   (goal ≤ 1.2; node = this process: insole and the bench's HTTP client, DB = the dev database's process)`);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await browser.close();
  await insole.stop();
  await database.stop();
}
process.exit(failed ? 1 : 0);
