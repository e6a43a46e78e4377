import { until } from './hooks.ts';
import { testDatabaseUri } from './insole.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/**
 * The database of a new test behind a TCP proxy, so a test can hold a write at the wire (holdAt) or
 * cut the connection at one exact write (stopAt): its URI for insole.
 */
export async function proxiedDatabase(): Promise<{ proxy: TcpProxy; uri: string }> {
  const database = new URL(testDatabaseUri());
  const proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port) });
  database.port = String(proxy.port);
  return { proxy, uri: database.toString() };
}

/** The proxy is back and insole's driver has found the database again. */
export async function databaseBack(proxy: TcpProxy, issuer: string): Promise<void> {
  await proxy.start();
  await until('the database to be reachable again', async () => (await fetch(`${issuer}/health/ready`)).status === 200);
}
