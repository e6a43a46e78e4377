import assert from 'node:assert/strict';
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
async function databaseBack(proxy: TcpProxy, issuer: string): Promise<void> {
  await proxy.start();
  await until('the database to be reachable again', async () => (await fetch(`${issuer}/health/ready`)).status === 200);
}

/**
 * A request that meets the database lost at the write `cut` waits for: it answers 503. Returns once
 * the database is back, for the test's retry of the same request.
 */
export async function lostThenBack(proxy: TcpProxy, issuer: string, cut: Promise<void>, request: () => Promise<{ status: number }>): Promise<void> {
  assert.equal((await request()).status, 503, 'the database lost mid-request: a 503');
  await cut;
  await databaseBack(proxy, issuer);
}
