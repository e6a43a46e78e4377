import mongoose from 'mongoose';
import type { Logger } from '../lib/logger.ts';

// Refuse operator objects where a value is expected ({"$gt": ""}), and unknown query fields.
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
// Fail fast instead of queueing queries while the database is away: the caller answers 503.
mongoose.set('bufferCommands', false);

export async function connectDatabase(uri: string, logger: Logger): Promise<mongoose.Connection> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 5_000,
    // Notice an outage (and the recovery) within seconds, for /health/ready and the 503 gate.
    heartbeatFrequencyMS: 2_000,
    // Dev server and single-node setups have no replica set; production URIs carry their own options.
    autoIndex: true,
  });
  countPoolConnections(connection);
  connection.on('disconnected', () => logger.warn('database disconnected'));
  connection.on('reconnected', () => logger.info('database reconnected'));
  await connection.asPromise();
  return connection;
}

const poolSizes = new WeakMap<mongoose.Connection, { open: number }>();

/** The driver's pool connections (CMAP events), counted from the start: a leak shows as steady growth. */
function countPoolConnections(connection: mongoose.Connection): void {
  const count = { open: 0 };
  poolSizes.set(connection, count);
  const client = connection.getClient();
  client.on('connectionCreated', () => { count.open++; });
  client.on('connectionClosed', () => { count.open--; });
}

/** Open connections in this instance's pool to MongoDB (monitoring connections not included). */
export function openPoolConnections(connection: mongoose.Connection): number {
  return poolSizes.get(connection)?.open ?? 0;
}

export function isDatabaseReady(connection: mongoose.Connection): boolean {
  return connection.readyState === mongoose.ConnectionStates.connected;
}

/** Network-level failures mean "the database is away", not "your request is wrong". */
export function isDatabaseUnavailableError(err: unknown): boolean {
  const { name = '', code, stack = '' } = (err ?? {}) as { name?: string; code?: unknown; stack?: string };
  return ['MongoNetworkError', 'MongoServerSelectionError', 'MongooseServerSelectionError', 'MongoNotConnectedError',
    'MongoNetworkTimeoutError', 'MongoTopologyClosedError', 'MongoPoolClearedError'].includes(name)
    // The driver lets one socket error through unwrapped: a command written just after the server
    // closed the connection fails with Node's own EPIPE ("This socket has been ended by the other party").
    || ((code === 'EPIPE' || code === 'ECONNRESET') && /[\\/]mongodb[\\/]lib[\\/]cmap[\\/]/.test(stack));
}
