import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { runCli } from '../../src/cli/insole.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * The CLI in-process against `databaseUri`, as `npm run insole -- …` would run it: its exit code,
 * what it printed (console.log and console.error, in order) and what it wrote to stderr (progress).
 */
export async function cli(databaseUri: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = { uri: process.env.MONGODB_URI, log: console.log, error: console.error, write: process.stderr.write };
  const [out, err]: [string[], string[]] = [[], []];
  process.env.MONGODB_URI = databaseUri;
  console.log = console.error = (...parts: unknown[]) => { out.push(parts.join(' ')); };
  process.stderr.write = ((chunk: string) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    return { code: await runCli(args), out: out.join('\n'), err: err.join('') };
  } finally {
    process.env.MONGODB_URI = saved.uri;
    console.log = saved.log;
    console.error = saved.error;
    process.stderr.write = saved.write;
  }
}

/** The CLI in-process with these environment variables set too (INSOLE_KEY_ENCRYPTION_KEY, …), restored after. */
export async function cliWithEnv(env: Record<string, string>, databaseUri: string, ...args: string[]): ReturnType<typeof cli> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    return await cli(databaseUri, ...args);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * The CLI as a process whose reader went away at once, as `insole … | head` once head has its line:
 * stdout is closed before the command writes its first line (it still has to start and connect).
 */
export async function cliWithStdoutClosed(databaseUri: string, ...args: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(process.execPath, ['src/cli/insole.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URI: databaseUri } });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const [code] = await once(child, 'close') as [number];
  return { code, stderr };
}

/** The CLI as its own process (`node src/cli/insole.ts …`, what `npm run insole` runs): its exit code and what it printed. */
export async function cliProcess(databaseUri: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['src/cli/insole.ts', ...args], { cwd: ROOT, env: { ...process.env, MONGODB_URI: databaseUri } });
  let [stdout, stderr] = ['', ''];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const [code] = await once(child, 'close') as [number];
  return { code, stdout, stderr };
}
