// `npm run bench:reports`: the customer-insight reports through the Management API against the
// bare driver (or the report's own function, no HTTP) producing the same numbers, in the same run:
//   1. the pre-order segment's count and breakdown (POST /reports/segments/preview) vs its aggregation run in process;
//   2. the pre-order list as CSV (POST /reports/segments/users?format=csv) vs a driver cursor to NDJSON;
//   3. the win-back list as CSV (GET /reports/dormant?format=csv) vs a driver cursor to NDJSON;
//   4. the overview (GET /reports/overview) vs its report function called in process;
//   5. the incremental membership cost per sign-in: CPU of one sign-in's insight update with 20
//      saved segments against none (src/insight/user-insight.ts, on the seeded profiles).
// Each size in --sizes is seeded into a database of its own (the demo-data generator), so
// time(larger) ÷ time(smaller) shows how each report scales. Goals (issue 10): API ≤ 1.3× the
// bare query; 1M ÷ 100k ≤ 10 (here: the sizes' ratio against their ratio of users); ≤ 1 ms of
// CPU per sign-in for 20 segments. Options: --sizes 10000,100000 --reps N (default 7).
// MONGODB_URI: a real MongoDB (1M belongs there); unset: the embedded dev database.
// A measurement, not a test: exits 0 whatever the figures, non-zero only when something fails.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';

process.env.NODE_ENV = 'test';
const { values: opts } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000' }, reps: { type: 'string', default: '7' } } });
const SIZES = opts.sizes.split(',').map(Number);
const REPS = Number(opts.reps);
if (SIZES.some((n) => !(n >= 1000)) || !(REPS >= 3)) throw new Error('--sizes must be numbers of at least 1000, --reps at least 3');

const { benchDatabase, pairedMedians } = await import('./bench-kit.ts');
const database = await benchDatabase();
const { startTestInsole, testDatabaseUri } = await import('../test/support/insole.ts');
const { m2mClientConfig, managementToken } = await import('../test/support/management.ts');
const { seedCommand } = await import('../src/cli/seed.command.ts');
const { PREORDER_SEGMENT_FILTER } = await import('../src/insight/segments/campaign-segments.ts');
const { compileSegmentFilter } = await import('../src/insight/segments/segment-filter.ts');
const { buildDormantFilter } = await import('../src/reports/dormant.report.ts');
const { createInsightReports } = await import('../src/reports/insight-reports.ts');
const { createUserInsight } = await import('../src/insight/user-insight.ts');
const { createSegmentMatcher } = await import('../src/insight/segments/segment-matcher.ts');
const { runSegmentPreview } = await import('../src/reports/segment-preview.report.ts');
const { createUserModel } = await import('../src/users/user.model.ts');

const READER = { client_id: 'bench-reports', client_secret: 'bench-reports-secret-0123456789abcdef', scopes: ['read:reports'] };
const NOW = new Date();


/** Twenty saved segments of the kinds marketing saves, for the membership cost. */
const SEGMENTS = Array.from({ length: 20 }, (_, i) => [
  PREORDER_SEGMENT_FILTER, { gender: 'female', interests: 'running' }, { lifecycle: ['never_returned', 'dormant'] }, { sentiment: 'negative' },
  { country: ['US', 'CA'], age: { min: 18 + i, max: 45 + i } }, { last_login: { within_days: 7 + i } }, { connection: 'facebook', interests: 'outdoor' },
  { any: [{ interests: 'fitness' }, { logins_count: { min: 10 + i } }] }, { q: `app_metadata.fullcontact.status:matched AND logins_count:[${i} TO *]` }, { signed_up: { within_days: 30 + i } },
][i % 10]);

const rows: string[][] = [];
const results = new Map<number, Record<string, number>>();
try {
  console.log(`insole bench: customer-insight reports through the API vs the bare query — ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; database: ${database.embedded ? 'embedded dev server' : 'MONGODB_URI'}`);
  for (const size of SIZES) {
    const databaseUri = testDatabaseUri();
    const insole = await startTestInsole({ log_level: 'silent', clients: [m2mClientConfig(READER)], admin_api: { rate_limit: { requests: 1_000_000 } } }, databaseUri);
    try {
      const seeding = performance.now();
      await seedCommand(insole.connection, insole.config, { users: size, seed: 11, months: 12, now: NOW, append: false, force: false }, { log: () => {}, progress: { write: () => true } });
      console.log(`\n${size} shoppers seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
      const token = (await managementToken(insole, READER)).access_token;
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${insole.issuer}/api/v2${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
        return text;
      };
      const users = insole.db.collection('users');
      const preorder = compileSegmentFilter(PREORDER_SEGMENT_FILTER, { now: NOW, vocabulary: insole.config.insight.interests });
      const winback = buildDormantFilter({ mode: 'never_returned' }, insole.config.insight.lifecycle, NOW);
      const drain = async (filter: Record<string, unknown>) => {
        let lines = 0;
        for await (const user of users.find(filter, { projection: { password_hash: 0 }, batchSize: 1000 })) lines += JSON.stringify(user).length > 0 ? 1 : 0;
        return lines;
      };
      const expected = await users.countDocuments(preorder);
      const previewed = JSON.parse(await call('POST', '/reports/segments/preview', { filter: PREORDER_SEGMENT_FILTER })).count as number;
      if (previewed !== expected) throw new Error(`the preview counts ${previewed}, the driver ${expected}`);
      const listed = (await call('POST', '/reports/segments/users?format=csv', { filter: PREORDER_SEGMENT_FILTER })).trim().split('\r\n').length - 1;
      if (listed !== expected) throw new Error(`the pre-order list has ${listed} rows, the driver counts ${expected}`);
      const reports = createInsightReports(insole.connection, insole.config.insight, () => NOW);
      const range = { from: new Date(NOW.getTime() - 30 * 86_400_000), to: NOW };
      // Each API call and its bare query in alternation, so background work (the insight sweep) weighs on both alike.
      const paired = (api: () => Promise<unknown>, bare: () => Promise<unknown>) => pairedMedians(api, bare, REPS, 1);
      const [preview, previewBare] = await paired(() => call('POST', '/reports/segments/preview', { filter: PREORDER_SEGMENT_FILTER }), () => runSegmentPreview(createUserModel(insole.connection), preorder, NOW));
      const [preorderCsv, preorderBare] = await paired(() => call('POST', '/reports/segments/users?format=csv', { filter: PREORDER_SEGMENT_FILTER }), () => drain(preorder));
      const [dormantCsv, dormantBare] = await paired(() => call('GET', '/reports/dormant?mode=never_returned&format=csv'), () => drain(winback));
      const [overview, overviewBare] = await paired(() => call('GET', `/reports/overview?from=${range.from.toISOString().slice(0, 10)}&to=${NOW.toISOString().slice(0, 10)}`), () => reports.overview(range, NOW));
      const figures = { preview, previewBare, preorderCsv, preorderBare, dormantCsv, dormantBare, overview, overviewBare };
      results.set(size, figures);
      rows.push(
        [`${size}`, `pre-order preview (${expected})`, figures.preview.toFixed(1), figures.previewBare.toFixed(1), (figures.preview / figures.previewBare).toFixed(2)],
        [`${size}`, 'pre-order list, CSV', figures.preorderCsv.toFixed(1), figures.preorderBare.toFixed(1), (figures.preorderCsv / figures.preorderBare).toFixed(2)],
        [`${size}`, 'win-back list, CSV', figures.dormantCsv.toFixed(1), figures.dormantBare.toFixed(1), (figures.dormantCsv / figures.dormantBare).toFixed(2)],
        [`${size}`, 'overview (30 days)', figures.overview.toFixed(1), figures.overviewBare.toFixed(1), (figures.overview / figures.overviewBare).toFixed(2)],
      );

      // 5. The membership part of a sign-in's write, pure CPU, with 20 segments against none.
      if (size === SIZES.at(-1)) {
        const sample = await users.find({}, { limit: 2000, projection: { password_hash: 0 } }).toArray() as never[];
        const matchers = SEGMENTS.map((filter) => createSegmentMatcher(compileSegmentFilter(filter as never, { now: NOW, vocabulary: insole.config.insight.interests })));
        const membership = {
          evaluate: (user: object) => ({ evaluated: new Set(matchers.map((_, i) => `s${i}`)), matching: matchers.flatMap((m, i) => (m(user) ? [`s${i}`] : [])) }),
          describe: () => ({ segment_key: 'k', segment_name: 'n', quiet: false }),
        };
        const cpuPerSignIn = (insight: ReturnType<typeof createUserInsight>) => {
          const start = process.cpuUsage();
          for (const user of sample) insight.update('signin', user, { ...(user as object), last_login: NOW } as never, NOW);
          const used = process.cpuUsage(start);
          return (used.user + used.system) / 1000 / sample.length;
        };
        const none = createUserInsight(insole.config);
        const twenty = createUserInsight(insole.config, () => membership);
        cpuPerSignIn(none); cpuPerSignIn(twenty); // warm-up
        const [base, withSegments] = [cpuPerSignIn(none), cpuPerSignIn(twenty)];
        console.log(`\nmembership per sign-in (CPU, ${sample.length} seeded profiles): facts without segments ${base.toFixed(3)} ms, with 20 segments ${withSegments.toFixed(3)} ms → the 20 segments add ${(withSegments - base).toFixed(3)} ms (goal ≤ 1 ms)`);
      }
    } finally {
      await insole.stop();
    }
  }
  console.log('\nusers   report                              API ms   bare ms   ratio (goal ≤ 1.30)');
  for (const [size, what, api, bare, ratio] of rows) console.log(`${size.padEnd(7)} ${what.padEnd(34)} ${api.padStart(8)} ${bare.padStart(9)} ${ratio.padStart(7)}`);
  if (SIZES.length > 1) {
    const [small, large] = [SIZES[0]!, SIZES.at(-1)!];
    const a = results.get(small)!;
    const b = results.get(large)!;
    console.log(`\nscaling ${small} → ${large} users (×${large / small}): ` + ['preview', 'preorderCsv', 'dormantCsv', 'overview'].map((k) => `${k} ×${(b[k]! / a[k]!).toFixed(1)}`).join(', ') + ` (goal: no worse than ×${large / small})`);
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await database.stop();
}
