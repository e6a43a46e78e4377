// What every bench measures the same way: a fixed number of operations at a given concurrency, with
// the CPU of each party (this process, the insole process, the dev database) and the noise of others.
import { machineBusyMs, processCpuMs } from './machine-load.ts';
import type { InsoleProcess } from './insole-child.ts';

export interface Measured {
  ops: number; seconds: number; perSecond: number;
  /** This process (the load driver: the relying party, fetch, argon2 for bare verifies), all threads. */
  driverCpuMsPerOp: number;
  /** The insole process, all threads (event loop, libuv threadpool with argon2, V8 helpers). */
  insoleCpuMsPerOp?: number;
  /** The insole process's event-loop thread: where its JavaScript runs. */
  insoleLoopCpuMsPerOp?: number;
  dbCpuMsPerOp?: number;
  /** Cores kept busy by other processes on the machine during the measurement (noise), when /proc/stat is readable. */
  otherCores?: number;
}

export interface Parties { insole?: Pick<InsoleProcess, 'cpu'>; dbPid?: number }

/** Runs `op` exactly `count` times with `concurrency` in flight; wall time and every party's CPU. */
export async function runBounded(op: () => Promise<void>, count: number, concurrency: number, { insole, dbPid }: Parties = {}): Promise<Measured> {
  let started = 0;
  const insole0 = await insole?.cpu();
  const cpu0 = process.cpuUsage();
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
  const db1 = dbPid ? processCpuMs(dbPid) : undefined;
  const machine1 = machineBusyMs();
  const insole1 = await insole?.cpu();
  const ownMs = (cpu.user + cpu.system) / 1000;
  const insoleMs = insole0 && insole1 ? insole1.totalMs - insole0.totalMs : undefined;
  const dbMs = db0 !== undefined && db1 !== undefined ? db1 - db0 : undefined;
  return {
    ops: count, seconds, perSecond: count / seconds,
    driverCpuMsPerOp: ownMs / count,
    insoleCpuMsPerOp: insoleMs === undefined ? undefined : insoleMs / count,
    insoleLoopCpuMsPerOp: insole0 && insole1 ? (insole1.loopMs - insole0.loopMs) / count : undefined,
    dbCpuMsPerOp: dbMs === undefined ? undefined : dbMs / count,
    otherCores: machine0 !== undefined && machine1 !== undefined
      ? Math.max(0, (machine1 - machine0 - ownMs - (insoleMs ?? 0) - (dbMs ?? 0)) / (seconds * 1000)) : undefined,
  };
}

/** Several measurements of the same thing as one: rates from the sums, CPU weighted by operations. */
export function combine(runs: Measured[]): Measured {
  const ops = runs.reduce((s, r) => s + r.ops, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const weighted = (pick: (r: Measured) => number | undefined) =>
    runs.some((r) => pick(r) === undefined) ? undefined : runs.reduce((s, r) => s + pick(r)! * r.ops, 0) / ops;
  const otherCores = runs.some((r) => r.otherCores === undefined) ? undefined
    : runs.reduce((s, r) => s + r.otherCores! * r.seconds, 0) / seconds;
  return {
    ops, seconds, perSecond: ops / seconds, driverCpuMsPerOp: weighted((r) => r.driverCpuMsPerOp)!,
    insoleCpuMsPerOp: weighted((r) => r.insoleCpuMsPerOp), insoleLoopCpuMsPerOp: weighted((r) => r.insoleLoopCpuMsPerOp),
    dbCpuMsPerOp: weighted((r) => r.dbCpuMsPerOp), otherCores,
  };
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export const fmt = (n: number | undefined, digits = 1) => (n === undefined ? 'n/a' : n.toFixed(digits));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function positiveInt(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}
