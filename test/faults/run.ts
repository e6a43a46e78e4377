// The fault suite: `npm run test:faults` (CI durations) or `npm run test:faults -- --full` (the
// issue's: broker 60 s, APIs 2 × 2 min). Options: --only kill-9,broker,… · --broker stop-app|proxy
// · --concurrency N · --keep (leave the run's folder: instance logs, database file, report).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { audit, type CrashWindow } from './audit.ts';
import type { BrokerMode } from './broker.ts';
import { ROOT } from './cluster.ts';
import { confirmationFigures, printBlock } from './figures.ts';
import { deadlineAnswers } from './instance-logs.ts';
import { createHistory, startLoad } from './load.ts';
import type { Durations, Scenario } from './scenario.ts';
import { killNine, rollingRestart } from './scenarios-crash.ts';
import { apiOutage, brokerOutage, databaseRestart } from './scenarios-outage.ts';
import { keyRotation } from './scenario-keys.ts';
import { settle } from './settle.ts';
import { startSuite, type Suite } from './suite.ts';

const { values } = parseArgs({ options: {
  full: { type: 'boolean', default: false },
  only: { type: 'string' },
  broker: { type: 'string', default: 'stop-app' },
  concurrency: { type: 'string', default: '4' },
  keep: { type: 'boolean', default: false },
} });

const DURATIONS: Record<'ci' | 'full', Durations> = {
  ci: { baseMs: 6_000, tailMs: 6_000, brokerMs: 15_000, databaseMs: 20_000, apiPhaseMs: 10_000, settleMs: 120_000 },
  full: { baseMs: 15_000, tailMs: 15_000, brokerMs: 60_000, databaseMs: 20_000, apiPhaseMs: 120_000, settleMs: 300_000 },
};
const SCENARIOS: Scenario[] = [killNine, rollingRestart, brokerOutage, databaseRestart, apiOutage, keyRotation];

const durations = DURATIONS[values.full ? 'full' : 'ci'];
const chosen = values.only ? SCENARIOS.filter((s) => values.only!.split(',').includes(s.name)) : SCENARIOS;
if (!chosen.length) throw new Error(`--only: none of ${SCENARIOS.map((s) => s.name).join(', ')}`);
if (values.broker !== 'stop-app' && values.broker !== 'proxy') throw new Error('--broker is stop-app or proxy');
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let suite: Suite | undefined;
const stopOnSignal = () => void suite?.close().finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

const started = Date.now();
const results: { scenario: string; ok: boolean; checks: { name: string; ok: boolean; detail: string }[]; figures: Record<string, unknown> }[] = [];
try {
  console.log(`fault suite (${values.full ? 'full durations' : 'CI durations; --full for the issue\'s'}), broker fault: ${values.broker}`);
  suite = await startSuite({ brokerMode: values.broker as BrokerMode, amqpUrl });
  console.log(`three instances behind ${suite.balancer.url}; run folder ${suite.dir}\n`);
  const history = createHistory();
  const crash: CrashWindow = { jobIds: new Set() };
  for (const scenario of chosen) {
    const scenarioStart = Date.now();
    console.log(`▶ ${scenario.title}`);
    const load = startLoad({ issuer: suite.balancer.url, storefront: suite.storefront, fakes: suite, inbox: suite.inbox, confirmShare: 2 / 3, concurrency: Number(values.concurrency), thinkMs: 100, retryForMs: 60_000, history });
    let stopped = false;
    const stopLoad = async () => { if (!stopped) { stopped = true; await load.stop(); } };
    const outcome = await scenario.run({ suite, history, durations, crash, stopLoad }).finally(stopLoad);
    const settled = await settle(suite, durations.settleMs);
    const audited = await audit(suite, history.attempts, history.shoppers, crash);
    const checks = [...outcome.checks, { name: `background work settled (${settled.settled ? `${(settled.ms / 1000).toFixed(1)} s` : 'not in time'})`, ok: settled.settled, detail: '' }, ...audited.checks];
    const hung = await deadlineAnswers(suite, scenarioStart, Date.now());
    const windows = [...outcome.windows, { label: 'later', from: outcome.windows.at(-1)!.to, to: Infinity }];
    Object.assign(outcome.figures, confirmationFigures(history.shoppers, windows));
    printBlock('figures', { ...outcome.figures, 'requests cut by answer_within_ms (hung inside insole)': hung.length ? `${hung.length}: ${hung.slice(0, 3).join(', ')}` : 0 });
    printBlock('audit (the whole run so far)', audited.figures);
    for (const c of checks) console.log(`  ${c.ok ? '✔' : '✖'} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
    const ok = checks.every((c) => c.ok);
    console.log(`${ok ? '✔' : '✖'} ${scenario.title} (${((Date.now() - scenarioStart) / 1000).toFixed(0)} s)\n`);
    results.push({ scenario: scenario.name, ok, checks, figures: { ...outcome.figures, ...audited.figures } });
  }
} catch (err) {
  console.error('the fault suite stopped:', err);
  results.push({ scenario: 'suite', ok: false, checks: [{ name: 'ran to the end', ok: false, detail: String(err) }], figures: {} });
} finally {
  const dir = suite?.dir;
  await suite?.close().catch((err: unknown) => console.error('cleanup:', err));
  const artifacts = join(ROOT, 'test-artifacts', 'faults');
  await mkdir(artifacts, { recursive: true });
  await writeFile(join(artifacts, 'report.json'), JSON.stringify({ durations, broker: values.broker, results }, null, 2));
  if (dir && !values.keep && results.every((r) => r.ok)) await rm(dir, { recursive: true, force: true });
  else if (dir) console.log(`run folder kept: ${dir} (instance logs, database file)`);
}

const failed = results.filter((r) => !r.ok);
console.log(`${failed.length ? '✖' : '✔'} ${results.length - failed.length}/${results.length} scenarios passed in ${((Date.now() - started) / 60_000).toFixed(1)} min; report in test-artifacts/faults/report.json`);
process.exit(failed.length ? 1 : 0);
