import mongoose from 'mongoose';
import type { ServerHeartbeatFailedEvent } from 'mongodb';
import type { Logger } from '../lib/logger.ts';

// Refuse operator objects where a value is expected ({"$gt": ""}), and unknown query fields.
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
// Fail fast instead of queueing queries while the database is away: the caller answers 503.
mongoose.set('bufferCommands', false);

/**
 * MongoDB unreachable at start, or an address the driver cannot read: reported in one line, without
 * a stack. `unavailable`: the database did not answer (worth trying again), rather than refused us.
 */
export class DatabaseConnectError extends Error {
  override name = 'DatabaseConnectError';
  readonly unavailable: boolean;
  constructor(message: string, unavailable: boolean) {
    super(message);
    this.unavailable = unavailable;
  }
}

/**
 * `signal` ends an attempt still waiting for the server at once (a shutdown), rather than after the
 * 5-s server selection. `oneTry`: the first failed handshake (the driver's first heartbeat, whose
 * hello another program cannot answer) ends it too, for an address that may be stale.
 */
export async function connectDatabase(uri: string, logger: Logger, { signal, oneTry }: { signal?: AbortSignal; oneTry?: boolean } = {}): Promise<mongoose.Connection> {
  signal?.throwIfAborted();
  let handshakeFailure: Error | undefined;
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 5_000,
    // Notice an outage (and the recovery) within seconds, for /health/ready and the 503 gate.
    heartbeatFrequencyMS: 2_000,
    // Dev server and single-node setups have no replica set; production URIs carry their own options.
    autoIndex: true,
  });
  try {
    // An address the driver cannot parse leaves the connection without a client (the reason,
    // a MongoParseError, is in asPromise): reading its events first was a TypeError that hid it.
    if (connection.getClient()) {
      countPoolConnections(connection);
      watchReadiness(connection);
    }
    // connection.close() would wait for the connect; the client's forced close ends it now.
    const abort = () => void connection.getClient()?.close(true);
    signal?.addEventListener('abort', abort, { once: true });
    const giveUp = ({ failure }: ServerHeartbeatFailedEvent) => { handshakeFailure = failure; abort(); };
    if (oneTry) connection.getClient()?.once('serverHeartbeatFailed', giveUp);
    await connection.asPromise().finally(() => {
      signal?.removeEventListener('abort', abort);
      connection.getClient()?.off('serverHeartbeatFailed', giveUp); // connected: later outages are waited out as always
    });
    watchOutages(connection, logger); // only once connected: a failed attempt is no outage to warn of
    return connection;
  } catch (err) {
    await connection.close().catch(() => undefined);
    const reason = handshakeFailure ?? err;
    const message = `Cannot connect to MongoDB (MONGODB_URI): ${withoutPassword((reason as Error).message, uri)}`;
    throw new DatabaseConnectError(message, isDatabaseUnavailableError(reason));
  }
}

function watchOutages(connection: mongoose.Connection, logger: Logger): void {
  // mongoose emits 'disconnecting' when close() is called: a shutdown's own close is no outage to warn of.
  let closing = false;
  connection.on('disconnecting', () => { closing = true; });
  connection.on('disconnected', () => { if (!closing) logger.warn('database disconnected'); });
  connection.on('reconnected', () => logger.info('database reconnected'));
}

/**
 * The driver's messages name hosts, not credentials; this keeps it so should one ever quote the
 * address, or the password as the driver decoded it (`p%40ss` in the URI is `p@ss`).
 */
export function withoutPassword(message: string, uri: string): string {
  const password = /^mongodb(?:\+srv)?:\/\/[^:@/]*:([^@/]+)@/.exec(uri)?.[1];
  if (!password) return message;
  let decoded = password;
  try { decoded = decodeURIComponent(password); } catch { /* not valid percent-encoding: the driver refuses it too */ }
  return message.replaceAll(password, '***').replaceAll(decoded, '***');
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

const readiness = new WeakMap<mongoose.Connection, { writable: boolean; monitored: boolean; lastHeartbeat: number; heartbeatMs: number }>();

/**
 * Mongoose's readyState says the same as isDatabaseReady, but it times heartbeats by Date.now(): a
 * wall-clock step (a VM resumed after a pause, NTP stepping the clock) read as an outage on every
 * instance at once until the next heartbeat (the soak of 2026-12-04, run 10: ten sign-ins refused
 * with 503 after the host paused the machine for 11 s). performance.now() does not jump.
 */
function watchReadiness(connection: mongoose.Connection): void {
  const client = connection.getClient();
  const state = { writable: true, monitored: true, lastHeartbeat: performance.now(), heartbeatMs: client.options.heartbeatFrequencyMS };
  readiness.set(connection, state);
  client.on('topologyDescriptionChanged', ({ newDescription }) => {
    state.writable = [...newDescription.servers.values()].some((server) => server.isWritable);
    state.monitored = newDescription.type !== 'LoadBalanced'; // a load balancer gets no heartbeats
  });
  client.on('topologyClosed', () => { state.writable = false; });
  client.on('serverHeartbeatSucceeded', () => { state.lastHeartbeat = performance.now(); });
}

/**
 * A server to write to, heard from within two heartbeats: a database that stops answering without
 * closing its connections (hung, or cut off by the network) counts as away after seconds, not after
 * the driver's 30-s connect timeout.
 */
export function isDatabaseReady(connection: mongoose.Connection): boolean {
  const state = readiness.get(connection);
  if (!state) return false;
  return state.writable && (!state.monitored || performance.now() - state.lastHeartbeat < 2 * state.heartbeatMs);
}

/** Network-level failures mean "the database is away", not "your request is wrong". */
export function isDatabaseUnavailableError(err: unknown): boolean {
  const { name = '', code, stack = '', errorResponse } = (err ?? {}) as { name?: string; code?: unknown; stack?: string; errorResponse?: unknown };
  // A bulk write (insertMany, bulkWrite) that failed for a reason other than its documents wraps that error.
  if (name === 'MongoBulkWriteError' && errorResponse instanceof Error) return isDatabaseUnavailableError(errorResponse);
  return ['MongoNetworkError', 'MongoServerSelectionError', 'MongooseServerSelectionError', 'MongoNotConnectedError',
    'MongoNetworkTimeoutError', 'MongoTopologyClosedError', 'MongoPoolClearedError'].includes(name)
    // The driver lets one socket error through unwrapped: a command written just after the server
    // closed the connection fails with Node's own EPIPE ("This socket has been ended by the other party").
    || ((code === 'EPIPE' || code === 'ECONNRESET') && /[\\/]mongodb[\\/]lib[\\/]cmap[\\/]/.test(stack));
}
