import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const run = promisify(execFile);

/**
 * Takes RabbitMQ away and brings it back.
 * - `stop-app` (default, what CI does): `rabbitmqctl stop_app` stops the broker application on the
 *   running node (connections close, the port stops answering) and `start_app` brings it back with
 *   its durable queues. The broker is never left stopped: `restore()` runs on every exit path.
 * - `proxy`: the instances reach the broker through a TCP proxy that the suite cuts and restores,
 *   for machines where other people's tests share the broker. The consumer connects directly.
 */
export type BrokerMode = 'stop-app' | 'proxy';

export interface BrokerControl {
  mode: BrokerMode;
  /** The AMQP_URL the insole instances get. */
  instanceUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Brings the broker back if it is stopped (idempotent, also synchronous at process exit). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function controlBroker(mode: BrokerMode, amqpUrl: string): Promise<BrokerControl> {
  let stopped = false;
  if (mode === 'proxy') {
    const target = new URL(amqpUrl);
    const proxy: TcpProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
    const through = new URL(amqpUrl);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    const start = async () => { await proxy.start(); stopped = false; };
    return {
      mode, instanceUrl: through.href, start,
      async stop() { stopped = true; await proxy.stop(); },
      async restore() { if (stopped) await start(); },
      close: () => proxy.close(),
    };
  }
  const atExit = () => { if (stopped) spawnSync('rabbitmqctl', ['-q', 'start_app'], { stdio: 'ignore' }); };
  process.on('exit', atExit);
  const control: BrokerControl = {
    mode, instanceUrl: amqpUrl,
    async stop() {
      stopped = true;
      await run('rabbitmqctl', ['-q', 'stop_app']);
    },
    async start() {
      await run('rabbitmqctl', ['-q', 'start_app']);
      await run('rabbitmqctl', ['-q', 'await_startup', '--timeout', '120']);
      stopped = false;
    },
    async restore() { if (stopped) await control.start(); },
    async close() { await control.restore(); process.off('exit', atExit); },
  };
  return control;
}

/** Connections to the broker that are not ours (other people's tests): the suite names them before it stops the broker. */
export async function foreignConnections(ownPids: number[]): Promise<string[]> {
  try {
    const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'client_properties']);
    return stdout.split('\n').filter((line) => line.trim() && !ownPids.some((pid) => line.includes(`pid ${pid}"`)));
  } catch {
    return [];
  }
}
