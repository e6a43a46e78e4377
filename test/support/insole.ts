import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Config } from '../../src/config/schema.ts';
import { composeInsole, startInsole, type RunningInsole } from '../../src/insole.ts';
import { createLogger, type Logger } from '../../src/lib/logger.ts';
import { until } from './hooks.ts';

export const STOREFRONT = {
  client_id: 'test-storefront',
  client_secret: 'test-storefront-secret-0123456789',
  redirect_uri: 'http://127.0.0.1:4999/callback',
  post_logout_redirect_uri: 'http://127.0.0.1:4999/',
};

export const TEST_API = 'https://api.test.example/';

export interface TestInsole extends RunningInsole {
  config: Config;
  issuer: string;
  db: mongoose.mongo.Db;
}

/**
 * Waits until every sign-in's own log (`s`, `ss`) in this database is written: insole writes them
 * in its batched move (events.gather_ms), after the sign-in answered, and takes each off the user
 * that carried it (`pending_logs`) once written.
 */
export async function signInLogsWritten(db: mongoose.mongo.Db, boundMs = 10_000): Promise<void> {
  await until('the sign-ins\' logs are written', async () => !(await db.collection('users').findOne({ 'pending_logs.0': { $exists: true } }, { projection: { _id: 1 } })), boundMs);
}

/** A fresh database name on the run's MongoDB-wire server (test/run.ts starts it). */
export function testDatabaseUri(): string {
  const base = process.env.MONGODB_URI;
  if (!base) throw new Error('MONGODB_URI is not set: run the tests with `npm test`.');
  const url = new URL(base);
  url.pathname = `/insole_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return url.toString();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts a real insole on loopback with the test config; `databaseUri` lets two instances share one
 * database, `logger` lets a test read what insole logs (see log-capture.ts).
 */
export async function startTestInsole(overrides: Record<string, unknown> = {}, databaseUri = testDatabaseUri(), logger?: Logger): Promise<TestInsole> {
  for (let attempt = 1; ; attempt++) {
    // The issuer names the port, so it is chosen first; another process may take it before insole
    // listens (test files and the fault suite run side by side): then try another.
    const port = await freePort();
    const config = testConfig(`http://127.0.0.1:${port}`, port, overrides);
    try {
      const running = await startInsole(config, logger ?? createLogger(config.log_level), databaseUri);
      return { ...running, config, issuer: config.issuer, db: running.connection.db! };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) throw err;
    }
  }
}

/**
 * insole composed but not listening, for route-level tests with supertest (`request(app)`). The
 * issuer is a name only (tokens carry it); nothing listens there. `close()` ends its database connection.
 */
export async function composeTestInsole(overrides: Record<string, unknown> = {}, databaseUri = testDatabaseUri()) {
  const config = testConfig('http://insole.test', 0, overrides);
  const composed = await composeInsole(config, createLogger(config.log_level), databaseUri);
  return { ...composed, config, db: composed.core.connection.db!, close: () => composed.core.connection.close() };
}

function testConfig(issuer: string, port: number, overrides: Record<string, unknown>): Config {
  return loadConfig({
    env: { NODE_ENV: 'test' },
    overrides: {
      port, issuer,
      // Mails without an SMTP server and other files go to a throwaway folder, not ./data.
      data_dir: join(tmpdir(), `insole-test-${randomUUID().slice(0, 8)}`),
      clients: [{
        client_id: STOREFRONT.client_id,
        client_secret: STOREFRONT.client_secret,
        client_name: 'Test Storefront',
        redirect_uris: [STOREFRONT.redirect_uri],
        post_logout_redirect_uris: [STOREFRONT.post_logout_redirect_uri],
      }],
      apis: [{ identifier: TEST_API, scopes: ['read:orders'] }],
      ...overrides,
    },
  });
}
