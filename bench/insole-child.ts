// Starts bench/insole-process.ts (insole in its own process) and talks to it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CpuProfileSummary } from './profile.ts';

export interface BenchUser { email: string; password: string; userId: string; passwordHash: string }
export interface ProcessCpu { totalMs: number; loopMs: number }

export interface InsoleProcess {
  issuer: string;
  pid: number;
  config: { argon2: { memory_cost_kib: number; time_cost: number; parallelism: number } };
  /** insole's process CPU so far (getrusage: all threads), and its event-loop thread's. */
  cpu(): Promise<ProcessCpu>;
  /** Its resident memory now (VmRSS), in bytes. */
  residentMemory(): number;
  /** Database commands sent so far (only with monitorCommands). */
  commands(): Promise<{ total: number; counts: Record<string, number> }>;
  createUsers(n: number): Promise<BenchUser[]>;
  profileStart(): Promise<void>;
  profileStop(label: string): Promise<CpuProfileSummary>;
  stop(): Promise<void>;
}

/**
 * `databaseUri` names the database (two processes can share one); `monitorCommands` turns on the
 * driver's command monitoring, which costs CPU: only for the instance that counts, never the measured one.
 * `nodeOptions` are added to the child's node flags.
 */
export async function startInsoleProcess(databaseUri: string, overrides: Record<string, unknown>, { monitorCommands = false, nodeOptions = [] as string[] } = {}): Promise<InsoleProcess> {
  const uri = new URL(databaseUri);
  if (monitorCommands) uri.searchParams.set('monitorCommands', 'true');
  const child = fork(resolve(import.meta.dirname, 'insole-process.ts'), [JSON.stringify({ overrides, databaseUri: uri.toString(), monitorCommands })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...nodeOptions],
  });
  const ready = await new Promise<{ issuer: string; config: InsoleProcess['config'] }>((done, fail) => {
    child.once('message', (m) => done(m as { issuer: string; config: InsoleProcess['config'] }));
    child.once('exit', (code) => fail(new Error(`the insole process exited early (code ${code})`)));
  });
  const call = rpc(child);
  return {
    issuer: ready.issuer,
    pid: child.pid!,
    config: ready.config,
    cpu: () => call('cpu'),
    residentMemory: () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    commands: () => call('commands'),
    createUsers: (n) => call('createUsers', n),
    profileStart: () => call('profileStart'),
    profileStop: (label) => call('profileStop', label),
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      await call('stop').catch(() => {});
      await exited;
    },
  };
}

function rpc(child: ChildProcess) {
  let next = 0;
  const waiting = new Map<number, { done(v: unknown): void; fail(e: Error): void }>();
  child.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
    if (m.id === undefined) return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.fail(new Error(`insole process: ${m.error}`));
    else w?.done(m.result);
  });
  return <T>(op: string, ...args: unknown[]): Promise<T> => new Promise<T>((done, fail) => {
    const id = next++;
    waiting.set(id, { done: done as (v: unknown) => void, fail });
    child.send({ id, op, args });
  });
}
