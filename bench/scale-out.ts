// `npm run bench:scale`: sign-ins per second through the balancer with one instance in rotation
// against all three, in alternating rounds of the same run, the other two idle but running (their
// workers and relays poll as in production). The goal: three give ≥ 0.9× the sign-ins/s of
// one on these 2 cores (no coordination overhead beyond the CPU they share). A measurement: it
// exits 0 whatever the ratio, non-zero only when a sign-in fails.
// Options: --rounds N (2) · --seconds S per round (30) · --concurrency C (4) · --broker stop-app|proxy
import { parseArgs } from 'node:util';
import { failures, percentile } from '../test/faults/figures.ts';
import { createHistory, startLoad } from '../test/faults/load.ts';
import { settle, sleep } from '../test/faults/settle.ts';
import { startSuite, type Suite } from '../test/faults/suite.ts';
import { findChildPid, machineBusyMs, processCpuMs } from './machine-load.ts';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '2' },
  seconds: { type: 'string', default: '30' },
  concurrency: { type: 'string', default: '4' },
  broker: { type: 'string', default: 'stop-app' },
} });
const roundMs = Number(values.seconds) * 1000;

interface Round { label: string; rate: number; p50: number; p99: number; noiseCores?: number }

async function round(suite: Suite, label: string, members: string[] | undefined): Promise<Round> {
  suite.balancer.pin(members);
  const history = createHistory();
  const pids = [process.pid, findChildPid('mongo-dev-server'), ...suite.instances.map((i) => i.pid())].filter((p): p is number => p !== undefined);
  const cpu0 = pids.map((pid) => processCpuMs(pid) ?? 0);
  const busy0 = machineBusyMs();
  const t0 = Date.now();
  const load = startLoad({ issuer: suite.balancer.url, storefront: suite.storefront, fakes: suite, concurrency: Number(values.concurrency), thinkMs: 0, retryForMs: 10_000, history });
  await sleep(roundMs);
  await load.stop();
  const elapsed = Date.now() - t0;
  const ours = pids.reduce((sum, pid, i) => sum + (processCpuMs(pid) ?? cpu0[i]!) - cpu0[i]!, 0);
  const busy1 = machineBusyMs();
  const failed = failures(history.attempts);
  if (failed.length) throw new Error(`${failed.length} sign-ins failed in "${label}": ${failed[0]!.detail}`);
  const done = history.attempts.filter((a) => a.ok).map((a) => a.end! - a.start);
  await settle(suite, 60_000); // the hooks' and relays' work of this round is not charged to the next
  return {
    label, rate: done.length / (elapsed / 1000), p50: percentile(done, 50), p99: percentile(done, 99),
    noiseCores: busy0 === undefined || busy1 === undefined ? undefined : Math.max(0, (busy1 - busy0 - ours) / elapsed),
  };
}

const suite = await startSuite({ brokerMode: values.broker === 'proxy' ? 'proxy' : 'stop-app', amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' });
try {
  console.log(`scale-out: ${values.concurrency} shoppers at a time, ${values.seconds} s rounds; warming up…`);
  await round(suite, 'warm-up', undefined);
  const rounds: Round[] = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    rounds.push(await round(suite, 'one instance', ['insole-a']));
    rounds.push(await round(suite, 'three instances', undefined));
  }
  console.log('\nround            sign-ins/s  p50 ms  p99 ms  other load (cores)');
  for (const r of rounds) console.log(`${r.label.padEnd(16)} ${r.rate.toFixed(2).padStart(10)}  ${r.p50.toFixed(0).padStart(6)}  ${r.p99.toFixed(0).padStart(6)}  ${r.noiseCores?.toFixed(2) ?? '–'}`);
  const mean = (label: string) => { const of = rounds.filter((r) => r.label === label); return of.reduce((s, r) => s + r.rate, 0) / of.length; };
  const ratio = mean('three instances') / mean('one instance');
  console.log(`\nthree / one: ${ratio.toFixed(2)}× (goal ≥ 0.9)`);
  if (rounds.some((r) => (r.noiseCores ?? 0) > 0.2)) console.log('note: other processes used more than 0.2 cores in some rounds; the figures are noisy');
} finally {
  await suite.close();
}
