import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { Suite } from '../test/faults/suite.ts';
import { percentile } from '../test/faults/figures.ts';
import type { ProxiedRequest } from '../test/faults/balancer.ts';
import type { Attempt } from '../test/faults/load.ts';
import { findChildPid, gcThreadsCpuMs, machineBusyMs, processCpuMs, tcpCounters } from './machine-load.ts';

/** One sample of the soak, every `--every` seconds: per instance from its /metrics, the rest from MongoDB and the load. */
export interface Sample {
  at: number;
  /** Per instance: resident MB, V8 heap in use (MB), event-loop delay p99 and max (ms, over its last 10 s window), active resources, MongoDB pool connections. */
  instances: { rssMb: number; heapMb: number; loopP99Ms: number; loopMaxMs: number; handles: number; pool: number }[];
  /** Events not yet confirmed by RabbitMQ, and hook jobs pending or running (deployment-wide). */
  outboxBacklog: number;
  jobBacklog: number;
  /** Sign-ins completed since the previous sample, and their p99 (ms). */
  signIns: number;
  signInP99Ms: number;
  failed: number;
  /**
   * CPU per sign-in completed since the previous sample (ms): the three instances together and the dev
   * database; and the cores everything else on the machine kept busy (the load, RabbitMQ, the fakes,
   * other users of the VM). A p99 that rises while these stay flat is not the work per sign-in growing.
   * databaseGcMs: the part of the database's that its garbage collector's threads used.
   */
  cpu: { instancesMs: number; databaseMs: number; databaseGcMs: number; otherCores: number };
  /** The soak's own process (balancer, storefront, fakes, load generator), over the same window. */
  load: LoadProcess;
  /**
   * The machine's TCP counters over the window (every hop is a loopback connection: the balancer
   * opens one per request): a stall with no process busy or blocked may be a kernel timer.
   */
  tcp: Tcp;
}

export type Tcp = NonNullable<ReturnType<typeof tcpCounters>>;

/** TCP counters since the previous call (NaN where /proc/net is not there). */
export function tcpMeter(): () => Tcp {
  const none = { retransmits: Number.NaN, timeouts: Number.NaN, synRetransmits: Number.NaN, listenDrops: Number.NaN };
  let last = tcpCounters() ?? none;
  return () => {
    const now = tcpCounters() ?? none;
    const delta = { retransmits: now.retransmits - last.retransmits, timeouts: now.timeouts - last.timeouts, synRetransmits: now.synRetransmits - last.synRetransmits, listenDrops: now.listenDrops - last.listenDrops };
    last = now;
    return delta;
  };
}

/**
 * Every hop of every sign-in passes through this process (the balancer) and is timed by it (the
 * load generator): a stall here reads as a slow sign-in on every instance at once. Event-loop delay
 * p99 and max (ms), GC pause time in the window and its longest pause (ms), V8 heap in use (MB), and
 * its CPU per sign-in (ms).
 */
export interface LoadProcess { loopP99Ms: number; loopMaxMs: number; gcMs: number; gcMaxMs: number; heapMb: number; cpuMs: number }

export function loadProcessMeter(): (signIns: number) => LoadProcess {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let gcMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { gcMs += entry.duration; gcMaxMs = Math.max(gcMaxMs, entry.duration); }
  }).observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  return (signIns) => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const sample = {
      loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, gcMs, gcMaxMs,
      heapMb: process.memoryUsage().heapUsed / 1_048_576,
      cpuMs: signIns > 0 ? (used.user + used.system) / 1000 / signIns : Number.NaN,
    };
    loop.reset();
    gcMs = 0;
    gcMaxMs = 0;
    return sample;
  };
}

/**
 * The wall clock against the monotonic one: a VM paused by its host (a snapshot, a migration) stops
 * the monotonic clock and steps the wall clock on resuming. Nothing ran meanwhile, but every sign-in
 * in flight (timed by Date.now()) looks that much slower. read() gives a step of 0.5 s or more since
 * the previous read (ms), else 0; `steps` keeps them.
 */
export function clockStepMeter(): { read(): number; steps: number[] } {
  const steps: number[] = [];
  let wall = Date.now();
  let mono = performance.now();
  return {
    steps,
    read() {
      const [nowWall, nowMono] = [Date.now(), performance.now()];
      const step = nowWall - wall - (nowMono - mono);
      [wall, mono] = [nowWall, nowMono];
      if (Math.abs(step) < 500) return 0;
      steps.push(step);
      return step;
    },
  };
}

export type CpuMeter = (signIns: number) => Sample['cpu'];

/** CPU counters from /proc, read at each sample; each call gives what was used since the previous one. */
export function cpuMeter(suite: Suite): CpuMeter {
  const read = () => {
    const dbPid = findChildPid('mongo-dev-server');
    return {
      at: Date.now(),
      instances: suite.instances.map((i) => i.pid()).filter((pid) => pid !== undefined).map((pid) => ({ pid, ms: processCpuMs(pid) ?? 0 })),
      database: dbPid === undefined ? undefined : { pid: dbPid, ms: processCpuMs(dbPid) ?? 0 },
      databaseGc: dbPid === undefined ? undefined : { pid: dbPid, ms: gcThreadsCpuMs(dbPid) ?? 0 },
      machineMs: machineBusyMs() ?? Number.NaN,
    };
  };
  let last = read();
  // A process restarted since the previous read (another pid) counts from zero.
  const since = (now: { pid: number; ms: number } | undefined, before: { pid: number; ms: number }[]) =>
    now === undefined ? 0 : now.ms - (before.find((b) => b.pid === now.pid)?.ms ?? 0);
  return (signIns) => {
    const now = read();
    const instancesMs = now.instances.reduce((sum, i) => sum + since(i, last.instances), 0);
    const databaseMs = since(now.database, last.database ? [last.database] : []);
    const databaseGcMs = since(now.databaseGc, last.databaseGc ? [last.databaseGc] : []);
    const otherCores = (now.machineMs - last.machineMs - instancesMs - databaseMs) / (now.at - last.at);
    last = now;
    const per = (ms: number) => (signIns > 0 ? ms / signIns : Number.NaN);
    return { instancesMs: per(instancesMs), databaseMs: per(databaseMs), databaseGcMs: per(databaseGcMs), otherCores };
  };
}

const metric = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);

export async function takeSample(suite: Suite, attempts: Attempt[], since: number, cpu: CpuMeter, load: (signIns: number) => LoadProcess, tcp: () => Tcp): Promise<Sample> {
  const at = Date.now();
  const instances = await Promise.all(suite.instances.map(async (instance) => {
    const text = await (await fetch(`http://127.0.0.1:${instance.port}/metrics`, { headers: { authorization: `Bearer ${suite.metricsToken}` } })).text();
    return {
      rssMb: metric(text, /^process_resident_memory_bytes (\d+)$/m) / 1_048_576,
      heapMb: metric(text, /^nodejs_heap_size_used_bytes (\d+)$/m) / 1_048_576,
      loopP99Ms: metric(text, /^nodejs_eventloop_lag_seconds\{quantile="0\.99"\} ([\d.e-]+)$/m) * 1000,
      loopMaxMs: metric(text, /^nodejs_eventloop_lag_seconds\{quantile="1"\} ([\d.e-]+)$/m) * 1000,
      handles: metric(text, /^nodejs_active_resources_total (\d+)$/m),
      pool: metric(text, /^insole_mongodb_pool_connections (\d+)$/m),
    };
  }));
  const db = suite.mongo.db!;
  const [outboxBacklog, jobBacklog] = await Promise.all([
    db.collection('event_outbox').countDocuments({ state: { $in: ['new', 'ready'] } }), // on the {state, created_at} index: a sample reads the backlog, not every record kept
    db.collection('hook_jobs').countDocuments({ state: { $in: ['pending', 'running'] } }),
  ]);
  const done = attempts.filter((a) => a.end !== undefined && a.end >= since && a.end < at);
  const durations = done.filter((a) => a.ok).map((a) => a.end! - a.start);
  return { at, instances, outboxBacklog, jobBacklog, signIns: durations.length, signInP99Ms: percentile(durations, 99), failed: done.filter((a) => !a.ok).length, cpu: cpu(durations.length), load: load(durations.length), tcp: tcp() };
}

/** Median of the samples taken in [from, to): steadier than one sample against GC and scheduling noise. */
export function medianOver(samples: Sample[], from: number, to: number, value: (s: Sample) => number): number {
  return percentile(samples.filter((s) => s.at >= from && s.at < to).map(value).filter(Number.isFinite), 50);
}

/** p99 of sign-in durations completed in [from, to). */
export function signInP99(attempts: Attempt[], from: number, to: number): number {
  return percentile(attempts.filter((a) => a.ok && a.end! >= from && a.end! < to).map((a) => a.end! - a.start), 99);
}

/**
 * One line per sign-in, for finding which kind of sign-in or which hop makes a tail: when it started
 * (seconds into the run), the connection and screen, the outcome, its duration, and each hop as
 * `METHOD path@instance +ms c/a` (ms since the previous hop's answer; ids in paths read `:id`; as the
 * balancer saw it: c ms from its receiving the request to its connection to the instance being up,
 * a ms to the instance's answer). A hop slow in `+ms` but not in `a` waited outside the instance.
 */
export function attemptsCsv(attempts: Attempt[], started: number, balancerLog: ProxiedRequest[]): string {
  const byId = new Map(balancerLog.map((r) => [r.id, r]));
  const rows = attempts.filter((a) => a.end !== undefined).map((a) => {
    let previous = a.start;
    const hops = a.steps.map((step) => {
      const seen = step.requestId === undefined ? undefined : byId.get(step.requestId);
      const hop = `${step.method} ${step.path.replace(/\/[\w-]{16,}/g, '/:id')}@${step.upstream ?? '-'} +${step.at - previous} ${seen?.connectedMs ?? '-'}/${seen?.answeredMs ?? '-'}`;
      previous = step.at;
      return hop;
    });
    return [((a.start - started) / 1000).toFixed(1), a.shopper.connection, a.screen, a.ok ? 'ok' : 'failed', a.end! - a.start, hops.join(';')].join(',');
  });
  return `seconds,connection,screen,outcome,duration_ms,hops\n${rows.join('\n')}\n`;
}
