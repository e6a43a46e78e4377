import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { connectDatabase } from '../db/connect.ts';
import { startEmbeddedMongo } from '../db/embedded-mongo.ts';
import { createLogger } from '../lib/logger.ts';

export class CliError extends Error { override name = 'CliError'; }

/** File where a running `npm start` notes the embedded database's address, so the CLI can reach it. */
export function embeddedUriFile(config: Config): string {
  return resolve(config.data_dir, 'mongo', 'uri');
}

/** A loopback server that listens accepts at once, however busy; this bound only matters for an address that drops packets. */
const PROBE_MS = 1_000;

/**
 * Whether anything refuses connections at the address a uri file names. `npm start` removes the file
 * when it stops, but not when it is killed (`kill -9`, a crash): the driver would then wait its whole
 * server selection timeout (5 s) on a dead port. A refused TCP connection says so at once. Anything
 * else (it accepts, the address cannot be read, no answer) is left to the driver's first handshake.
 */
async function refusesConnections(uri: string): Promise<{ address: string } | undefined> {
  const match = /^mongodb:\/\/([^/,@]+):(\d+)(?:\/|$)/.exec(uri);
  if (!match) return undefined;
  const [host, port] = [match[1]!.replace(/^\[|\]$/g, ''), Number(match[2])];
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: PROBE_MS });
    const done = (answer: boolean) => { socket.destroy(); resolve(answer); };
    socket.once('connect', () => done(false));
    socket.once('timeout', () => done(false));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
  });
  return refused ? { address: `${match[1]}:${port}` } : undefined;
}

/**
 * MONGODB_URI when set. Otherwise the embedded database: the running server's (its data file is
 * locked while it runs), or a short-lived one on the same data file when no server is running.
 */
export async function connectToConfiguredDatabase(config: Config): Promise<{ connection: Connection; close(): Promise<void> }> {
  const logger = createLogger('error');
  if (config.mongodb_uri) {
    const connection = await connectDatabase(config.mongodb_uri, logger);
    return { connection, close: () => connection.close() };
  }
  const uriFile = embeddedUriFile(config);
  const running = (await readFile(uriFile, 'utf8').catch(() => undefined))?.trim();
  const stale = running ? await refusesConnections(running) : undefined;
  // The file stays: another `npm start` may be writing its own address there right now.
  if (stale) console.error(`${uriFile} names ${stale.address}, where no server listens (one was stopped without removing it): starting the embedded database.`);
  if (running && !stale) {
    // Something listens: the database's own answer to the driver's handshake tells it from another
    // program that took the port since, which would otherwise hold the CLI for the 5-s server selection.
    const connection = await connectDatabase(running, logger, { oneTry: true }).catch(() => {
      console.error(`${uriFile} names ${running}, where something listens that does not answer as the database (another program took its port, or it is not up): starting the embedded database.`);
    });
    if (connection) return { connection, close: () => connection.close() };
  }
  const embedded = await startEmbeddedMongo({ dataFile: resolve(config.data_dir, 'mongo', 'insole.mv') });
  const connection = await connectDatabase(`${embedded.uri}/insole`, logger);
  return { connection, close: async () => { await connection.close(); await embedded.stop(); } };
}
