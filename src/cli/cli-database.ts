import { readFile } from 'node:fs/promises';
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
  const running = await readFile(embeddedUriFile(config), 'utf8').catch(() => undefined);
  if (running) {
    const connection = await connectDatabase(running.trim(), logger).catch(() => undefined);
    if (connection) return { connection, close: () => connection.close() };
  }
  const embedded = await startEmbeddedMongo({ dataFile: resolve(config.data_dir, 'mongo', 'insole.mv') });
  const connection = await connectDatabase(`${embedded.uri}/insole`, logger);
  return { connection, close: async () => { await connection.close(); await embedded.stop(); } };
}
