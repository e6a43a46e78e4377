import { spawn, type ChildProcess } from 'node:child_process';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface Server { child: ChildProcess; output: () => string; exited: Promise<number | null> }

/**
 * `npm start` as a user runs it (node src/main.ts), with no MONGODB_URI unless `env` names one: the
 * embedded database. `group`: in a process group of its own, as in a terminal (signal it with `-pid`).
 * Returns once the output has `until` (by default, once it serves).
 */
export async function startServer(env: Record<string, string>, { group = false, until = 'insole is listening' } = {}): Promise<Server> {
  const { MONGODB_URI: _unused, ...inherited } = process.env;
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...inherited, NODE_ENV: 'development', LOG_LEVEL: 'info', ...env }, detached: group });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes(until)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, exited };
}
