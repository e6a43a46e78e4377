import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../src/db/embedded-mongo.ts';

/**
 * The processes of a three-instance deployment on one machine: one dev database (the H2 file
 * backend, so it can be stopped and started again on the same data), and insole instances started
 * as `npm start` starts them (`node src/main.ts`; not through npm, so that a signal reaches insole
 * itself), each with its own PORT and the same ISSUER, MONGODB_URI, AMQP_URL and INSOLE_CONFIG.
 * Every instance writes its log to <dir>/<name>.log.
 */
export const ROOT = resolve(import.meta.dirname, '../..');

export interface Instance {
  name: string;
  port: number;
  child?: ChildProcess;
  /** Resolves with the exit code (null after a signal) of the current process. */
  exited?: Promise<number | null>;
  pid(): number | undefined;
}

export interface Database {
  uri: string;
  port: number;
  running(): boolean;
  stop(): Promise<void>;
  /** Starts again on the same port and data file; resolves once it answers (prints READY). */
  start(): Promise<void>;
}

export async function startDatabase(dataFile: string, port: number): Promise<Database> {
  let server: EmbeddedMongo | undefined = await startEmbeddedMongo({ dataFile, port });
  return {
    uri: `mongodb://127.0.0.1:${port}/insole`,
    port,
    running: () => server !== undefined,
    async stop() {
      const stopping = server;
      server = undefined;
      await stopping?.stop();
    },
    async start() {
      server = await startEmbeddedMongo({ dataFile, port });
    },
  };
}

export interface InstanceEnv {
  issuer: string;
  mongodbUri: string;
  amqpUrl: string;
  configFile: string;
  cookieSecret: string;
  keyEncryptionKey: string;
  logDir: string;
}

export function createInstance(name: string, port: number, env: InstanceEnv): Instance & { start(): Promise<void> } {
  const instance: Instance & { start(): Promise<void> } = {
    name, port,
    pid: () => instance.child?.pid,
    async start() {
      const log = openSync(join(env.logDir, `${name}.log`), 'a');
      const child = spawn(process.execPath, ['src/main.ts'], {
        cwd: ROOT,
        stdio: ['ignore', log, log],
        env: {
          PATH: process.env.PATH, HOME: process.env.HOME,
          // test: views cached as in production; production itself would insist on an https issuer.
          NODE_ENV: 'test', PORT: String(port), ISSUER: env.issuer, MONGODB_URI: env.mongodbUri, AMQP_URL: env.amqpUrl,
          INSOLE_CONFIG: env.configFile, INSOLE_COOKIE_SECRETS: env.cookieSecret, INSOLE_KEY_ENCRYPTION_KEY: env.keyEncryptionKey,
          TRUST_PROXY: 'loopback',
        },
      });
      closeSync(log);
      instance.child = child;
      instance.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
      await waitUntilReady(instance);
    },
  };
  return instance;
}

/** Bounded wait (a readable failure, not a speed check): start-up on a loaded 2-core machine takes seconds. */
export async function waitUntilReady(instance: Instance, boundMs = 90_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (instance.child?.exitCode !== null && instance.child?.exitCode !== undefined) throw new Error(`${instance.name} exited (code ${instance.child.exitCode}) while starting: see its log`);
    try {
      const res = await fetch(`http://127.0.0.1:${instance.port}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${instance.name} not ready after ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sends a signal to the instance's own process (never by name): SIGKILL is `kill -9`. */
export async function signal(instance: Instance, sig: NodeJS.Signals): Promise<number | null> {
  if (!instance.child || instance.child.exitCode !== null) throw new Error(`${instance.name} is not running`);
  instance.child.kill(sig);
  return instance.exited!;
}
