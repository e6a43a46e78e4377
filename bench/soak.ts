// The soak: `npm run soak` (30 minutes; `-- --minutes 3` in CI). Three instances behind the fault
// suite's balancer, a steady load of password and social sign-ins, a sample every 10 s of each
// instance's /metrics, of the backlogs and of the CPU used; charts, CSV and JSON in test-artifacts/soak/.
// Fails on a failed sign-in or a failed audit (nothing lost, nothing done twice); the flatness
// figures are printed against the goals and fail the run only with --strict (a 3-minute
// run on a shared 2-core machine is too short and too noisy to gate on them).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { audit } from '../test/faults/audit.ts';
import { ROOT } from '../test/faults/cluster.ts';
import { printBlock } from '../test/faults/figures.ts';
import { createHistory, startLoad } from '../test/faults/load.ts';
import { settle, sleep } from '../test/faults/settle.ts';
import { startSuite, type Suite } from '../test/faults/suite.ts';
import { soakChart } from './soak-chart.ts';
import { attemptsCsv, clockStepMeter, cpuMeter, loadProcessMeter, medianOver, signInP99, takeSample, tcpMeter, type Sample } from './soak-samples.ts';

const { values } = parseArgs({ options: {
  minutes: { type: 'string', default: '30' },
  every: { type: 'string', default: '10' },
  concurrency: { type: 'string', default: '3' },
  'think-ms': { type: 'string', default: '250' },
  strict: { type: 'boolean', default: false },
  broker: { type: 'string', default: 'stop-app' },
} });
const durationMs = Number(values.minutes) * 60_000;
const minutes = (ms: number) => Number((ms / 60_000).toFixed(1)).toString();
const everyMs = Number(values.every) * 1000;
// The issue compares minute 5 with the end of a 30-minute run; a shorter run uses the same share.
const baselineAt = Math.min(5 * 60_000, durationMs / 6);
// Both figures compare a sixth of the run at minute 5 (minutes 5-10) with the last sixth (25-30).
// Resident memory saws up and down by a third while V8's heap grows to its working size (major GCs
// hand pages back, then old garbage piles up again; a few minutes in a soak): a one-minute median at
// minute 5 measured where in that cycle it fell, and a leak still shows as a higher median at the
// end. A one-minute p99 is the 5th-slowest of about 500 sign-ins, which one database pause decides;
// over five minutes it is the 27th of about 2,700.
const windowMs = durationMs / 6;

let suite: Suite | undefined;
process.once('SIGINT', () => void suite?.close().finally(() => process.exit(130)));
let failed = false;
try {
  suite = await startSuite({ brokerMode: values.broker === 'proxy' ? 'proxy' : 'stop-app', amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' });
  const history = createHistory();
  console.log(`soak: ${values.minutes} min, 3 instances behind ${suite.balancer.url}, ${values.concurrency} shoppers at a time, a sample every ${values.every} s`);
  const cpu = cpuMeter(suite);
  const loadProcess = loadProcessMeter();
  const tcp = tcpMeter();
  const started = Date.now();
  const load = startLoad({ issuer: suite.balancer.url, storefront: suite.storefront, fakes: suite, concurrency: Number(values.concurrency), thinkMs: Number(values['think-ms']), retryForMs: 60_000, history });
  const samples: Sample[] = [];
  const clockSteps = clockStepMeter();
  let last = started;
  while (Date.now() - started < durationMs) {
    await sleep(Math.max(0, last + everyMs - Date.now()));
    const sample = await takeSample(suite, history.attempts, last, cpu, loadProcess, tcp);
    samples.push(sample);
    last = sample.at;
    const step = clockSteps.read();
    if (step) process.stderr.write(`  ${((sample.at - started) / 60_000).toFixed(1)} min  the wall clock jumped ${(step / 1000).toFixed(1)} s against the monotonic one: the machine was paused\n`);
    const mb = sample.instances.map((i) => i.rssMb.toFixed(0)).join('/');
    const heap = sample.instances.map((i) => i.heapMb.toFixed(0)).join('/');
    process.stderr.write(`  ${((sample.at - started) / 60_000).toFixed(1)} min  rss ${mb} MB  heap ${heap} MB  loop p99/max ${Math.max(...sample.instances.map((i) => i.loopP99Ms)).toFixed(0)}/${Math.max(...sample.instances.map((i) => i.loopMaxMs)).toFixed(0)} ms  handles ${sample.instances.map((i) => i.handles).join('/')}  pool ${sample.instances.map((i) => i.pool).join('/')}  backlog ${sample.outboxBacklog}/${sample.jobBacklog}  sign-ins ${sample.signIns} p99 ${sample.signInP99Ms.toFixed(0)} ms  cpu/sign-in insole ${sample.cpu.instancesMs.toFixed(1)} db ${sample.cpu.databaseMs.toFixed(1)} (gc ${sample.cpu.databaseGcMs.toFixed(1)}) ms  other ${sample.cpu.otherCores.toFixed(2)} cores  load loop p99/max ${sample.load.loopP99Ms.toFixed(0)}/${sample.load.loopMaxMs.toFixed(0)} gc ${sample.load.gcMs.toFixed(0)} (max ${sample.load.gcMaxMs.toFixed(0)}) ms heap ${sample.load.heapMb.toFixed(0)} MB  tcp retransmits/timeouts ${sample.tcp.retransmits}/${sample.tcp.timeouts}\n`);
  }
  await load.stop();
  const end = Date.now();
  const settled = await settle(suite, 180_000);
  const audited = await audit(suite, history.attempts, history.shoppers, { jobIds: new Set() });

  const base = started + baselineAt;
  const early = (f: (s: Sample) => number) => medianOver(samples, base, base + windowMs, f);
  const late = (f: (s: Sample) => number) => medianOver(samples, end - windowMs, end + 1, f);
  const rssOf = (i: number) => (s: Sample) => s.instances[i]!.rssMb;
  const growth = suite.instances.map((_, i) => late(rssOf(i)) / early(rssOf(i)) - 1);
  const p99Ratio = signInP99(history.attempts, end - windowMs, end) / signInP99(history.attempts, base, base + windowMs);
  const change = (f: (s: Sample) => number, digits: number) => `${early(f).toFixed(digits)} → ${late(f).toFixed(digits)}`;
  const maxOf = (f: (s: Sample) => number) => Math.max(...samples.map(f));
  const failures = history.attempts.filter((a) => a.ok === false && a.reason !== 'already exists');
  const windows = `minutes ${minutes(baselineAt)}–${minutes(baselineAt + windowMs)} against the last ${minutes(windowMs)}`;
  const goals = [
    { name: `memory growth < 5 % (median resident MB, ${windows})`, ok: growth.every((g) => g < 0.05), value: growth.map((g) => `${(g * 100).toFixed(1)} %`).join(', ') },
    { name: `sign-in p99 at the end ≤ 1.2 × at minute ${minutes(baselineAt)} (${windows})`, ok: p99Ratio <= 1.2, value: `${p99Ratio.toFixed(2)}×` },
  ];
  const figures = {
    'sign-ins completed': history.attempts.filter((a) => a.ok).length,
    'sign-ins failed': failures.length,
    'sign-ins per second': (history.attempts.filter((a) => a.ok).length / ((end - started) / 1000)).toFixed(1),
    'resident MB, first → last sample': suite.instances.map((_, i) => `${samples[0]!.instances[i]!.rssMb.toFixed(0)} → ${samples.at(-1)!.instances[i]!.rssMb.toFixed(0)}`).join(', '),
    'event-loop p99, max of any window': `${maxOf((s) => Math.max(...s.instances.map((i) => i.loopP99Ms))).toFixed(0)} ms`,
    'active handles, first → last': suite.instances.map((_, i) => `${samples[0]!.instances[i]!.handles} → ${samples.at(-1)!.instances[i]!.handles}`).join(', '),
    'MongoDB pool, first → last': suite.instances.map((_, i) => `${samples[0]!.instances[i]!.pool} → ${samples.at(-1)!.instances[i]!.pool}`).join(', '),
    [`CPU ms per sign-in, ${windows} (instances / database / its GC threads)`]: `${change((s) => s.cpu.instancesMs, 1)} / ${change((s) => s.cpu.databaseMs, 1)} / ${change((s) => s.cpu.databaseGcMs, 1)}`,
    [`other load, ${windows}`]: `${change((s) => s.cpu.otherCores, 2)} cores`,
    [`the soak's own process, ${windows}: event-loop p99 / GC ms per window / heap MB`]: `${change((s) => s.load.loopP99Ms, 0)} / ${change((s) => s.load.gcMs, 0)} / ${change((s) => s.load.heapMb, 0)}`,
    'TCP on the machine during the run: retransmitted segments / timeouts / SYNs sent again / listen drops': (['retransmits', 'timeouts', 'synRetransmits', 'listenDrops'] as const).map((k) => samples.reduce((sum, s) => sum + s.tcp[k], 0)).join(' / '),
    'backlogs, max (outbox / jobs)': `${maxOf((s) => s.outboxBacklog)} / ${maxOf((s) => s.jobBacklog)}`,
    'wall-clock steps (the machine paused; sign-ins in flight look that much slower)': clockSteps.steps.length ? clockSteps.steps.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') : 'none',
    'background work settled after the load': settled.settled ? `${(settled.ms / 1000).toFixed(1)} s` : 'NOT in time',
  };
  printBlock('figures', figures);
  printBlock('audit', audited.figures);
  for (const goal of goals) console.log(`  ${goal.ok ? '✔' : '✖'} goal: ${goal.name} — ${goal.value}${values.strict ? '' : ' (printed, not enforced without --strict)'}`);
  for (const c of audited.checks.filter((x) => !x.ok)) console.log(`  ✖ ${c.name} — ${c.detail}`);

  const folder = join(ROOT, 'test-artifacts', 'soak');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'soak.svg'), soakChart(samples, started, `insole soak: ${values.minutes} min, 3 instances, ${figures['sign-ins per second']} sign-ins/s`));
  await writeFile(join(folder, 'soak.json'), JSON.stringify({ minutes: Number(values.minutes), started, figures, goals, samples }, null, 2));
  // One list of columns, so the header and the rows cannot drift apart.
  const perInstance = (['a', 'b', 'c'] as const).flatMap((n, i): [string, (s: Sample) => string | number][] => [
    [`rss_mb_${n}`, (s) => s.instances[i]!.rssMb.toFixed(1)], [`heap_mb_${n}`, (s) => s.instances[i]!.heapMb.toFixed(1)],
    [`loop_p99_ms_${n}`, (s) => s.instances[i]!.loopP99Ms.toFixed(1)], [`loop_max_ms_${n}`, (s) => s.instances[i]!.loopMaxMs.toFixed(1)],
    [`handles_${n}`, (s) => s.instances[i]!.handles], [`pool_${n}`, (s) => s.instances[i]!.pool],
  ]);
  const columns: [string, (s: Sample) => string | number][] = [
    ['seconds', (s) => ((s.at - started) / 1000).toFixed(0)], ...perInstance,
    ['outbox_backlog', (s) => s.outboxBacklog], ['job_backlog', (s) => s.jobBacklog], ['sign_ins', (s) => s.signIns], ['sign_in_p99_ms', (s) => s.signInP99Ms.toFixed(0)],
    ['instances_cpu_ms_per_sign_in', (s) => s.cpu.instancesMs.toFixed(2)], ['database_cpu_ms_per_sign_in', (s) => s.cpu.databaseMs.toFixed(2)], ['database_gc_cpu_ms_per_sign_in', (s) => s.cpu.databaseGcMs.toFixed(2)], ['other_load_cores', (s) => s.cpu.otherCores.toFixed(2)],
    ['load_loop_p99_ms', (s) => s.load.loopP99Ms.toFixed(1)], ['load_loop_max_ms', (s) => s.load.loopMaxMs.toFixed(1)], ['load_gc_ms', (s) => s.load.gcMs.toFixed(1)],
    ['load_gc_max_ms', (s) => s.load.gcMaxMs.toFixed(1)], ['load_heap_mb', (s) => s.load.heapMb.toFixed(1)], ['load_cpu_ms_per_sign_in', (s) => s.load.cpuMs.toFixed(2)],
    ['tcp_retransmits', (s) => s.tcp.retransmits], ['tcp_timeouts', (s) => s.tcp.timeouts], ['tcp_syn_retransmits', (s) => s.tcp.synRetransmits], ['tcp_listen_drops', (s) => s.tcp.listenDrops],
  ];
  const header = columns.map(([name]) => name).join(',');
  const csv = samples.map((s) => columns.map(([, value]) => value(s)).join(','));
  await writeFile(join(folder, 'soak.csv'), `${header}\n${csv.join('\n')}\n`);
  await writeFile(join(folder, 'attempts.csv'), attemptsCsv(history.attempts, started, suite.balancer.log));
  console.log('charts: test-artifacts/soak/soak.svg (and soak.csv, soak.json; every sign-in with its hops in attempts.csv)');
  failed = failures.length > 0 || !settled.settled || audited.checks.some((c) => !c.ok) || (values.strict && goals.some((g) => !g.ok));
} catch (err) {
  console.error('the soak stopped:', err);
  failed = true;
} finally {
  const dir = suite?.dir;
  await suite?.close().catch(() => undefined);
  if (dir && !failed) await rm(dir, { recursive: true, force: true });
  else if (dir) console.log(`run folder kept: ${dir}`);
}
process.exit(failed ? 1 : 0);
