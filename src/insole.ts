import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from 'mongoose';
import type { Express } from 'express';
import { createApp } from './app.ts';
import { waitForDatabase } from './db/wait-for-database.ts';
import type { StartupPhase } from './http/routes/health.routes.ts';
import { createViewRenderer } from './http/views.ts';
import type { Area } from './area.ts';
import type { Config } from './config/schema.ts';
import { createCore, type Core } from './core.ts';
import type { Logger } from './lib/logger.ts';
import { createAdminArea, type AdminArea } from './admin/admin.area.ts';
import { createDashboardArea } from './dashboard/dashboard.area.ts';
import { createSocialArea } from './auth/social.area.ts';
import { CONNECTIONS } from './auth/connections.ts';
import { createHooksArea, type HooksArea } from './hooks/hooks.area.ts';
import type { DurableHooks } from './hooks/jobs/durable-hooks.ts';
import { createMetricsArea } from './http/metrics.area.ts';
import { createHostedPagesArea } from './http/pages.area.ts';
import { createOidcArea } from './oidc/oidc.area.ts';
import { createInsightArea, type InsightArea } from './insight/insight.area.ts';
import { createAccountsArea } from './users/accounts.area.ts';
import { finishedWithin } from './lib/finished-within.ts';

export interface RunningInsole {
  server: Server;
  url: string;
  connection: Connection;
  /** The durable hooks' queue and worker (metrics() per hook). */
  hooks: DurableHooks;
  /** The Management API: its routes and the OpenAPI document built from them. */
  admin: AdminArea;
  /** Customer insight: `sweepNow(at)` brings lifecycles to a moment (tests drive time with it). */
  insight: InsightArea;
  /**
   * Drains (readiness 503 for `shutdown.drain_ms` while still serving), stops accepting, lets
   * in-flight requests and work finish (up to `graceMs`, default `shutdown.grace_ms`), then closes the database.
   */
  stop(graceMs?: number): Promise<void>;
}

/** The composed insole, not yet serving: what route-level tests hand to supertest. */
export interface ComposedInsole {
  app: Express;
  core: Core;
  areas: Area[];
  hooks: HooksArea;
  admin: AdminArea;
  insight: InsightArea;
  /** Set when a shutdown begins: /health/ready answers 503 from then on. */
  lifecycle: { draining: boolean };
}

/** The composition root: shared core, then one line per area, then the app that mounts them. */
export async function composeInsole(config: Config, logger: Logger, mongodbUri: string, { signal }: { signal?: AbortSignal } = {}): Promise<ComposedInsole> {
  const core = await createCore(config, logger, mongodbUri, { signal });
  try {
    return await composeAreas(core);
  } catch (err) {
    await closeCore(core); // the database may have gone away half-way: the start is tried again from scratch
    throw err;
  }
}

async function composeAreas(core: Core): Promise<ComposedInsole> {
  const { config, logger } = core;
  // The two areas that read the database while being built, hooks first: oidc's key re-read timer
  // then starts only once nothing after it waits on the database.
  const hooks = await createHooksArea(core);
  const oidc = await createOidcArea(core);
  const accounts = createAccountsArea(core, { endSessions: oidc.endSessions, queueVerifiedHooks: hooks.durableHooks.queueVerified });
  const social = createSocialArea(core, accounts);
  const insight = createInsightArea(core);
  const admin = createAdminArea(core, { oidc: oidc.provider, accounts, insight, connections: CONNECTIONS });
  const pages = createHostedPagesArea(core, { oidc: oidc.provider, accounts, social, hooks });
  const dashboard = createDashboardArea(core, { oidc: oidc.provider, standingOf: admin.standingOf, dashboardSecret: oidc.dashboardSecret });
  const metrics = createMetricsArea(core, hooks.durableHooks);
  const areas: Area[] = [hooks, metrics, admin, pages, dashboard, oidc, insight];
  const lifecycle = { draining: false };
  const app = createApp({ config, logger, renderView: core.renderView, isDatabaseReady: core.isDatabaseReady, isDraining: () => lifecycle.draining, oidc: oidc.provider, areas });
  return { app, core, areas, hooks, admin, insight, lifecycle };
}

/** Composed, and the areas' background work started; a failure stops what started and closes the database. */
async function composeAndStart(config: Config, logger: Logger, mongodbUri: string, signal?: AbortSignal): Promise<ComposedInsole> {
  const composed = await composeInsole(config, logger, mongodbUri, { signal });
  try {
    for (const area of composed.areas) await area.start?.();
    return composed;
  } catch (err) {
    await Promise.all(composed.areas.map((area) => area.stop?.(0)));
    await closeCore(composed.core);
    throw err;
  }
}

async function closeCore(core: Core): Promise<void> {
  await core.mailer.close();
  await core.http.close(0);
  await core.connection.close();
}

/**
 * Takes the port, composes, serves, and starts the areas' background work. main.ts and the tests
 * start insole here. The port comes first: one in use is reported before anything is set up. Until
 * the start is done, /health/live answers and every other request gets the outage's 503; a MongoDB
 * that is away is waited for (`mongodb_wait_at_start_seconds`). `signal` (a shutdown) ends that wait:
 * the promise then rejects with an AbortError.
 */
export async function startInsole(config: Config, logger: Logger, mongodbUri: string, { signal }: { signal?: AbortSignal } = {}): Promise<RunningInsole> {
  let phase: StartupPhase = 'starting';
  const renderView = createViewRenderer(config);
  const startingApp = createApp({ config, logger, renderView, isDatabaseReady: () => false, startup: () => phase, areas: [] });
  const server = createServer(startingApp);
  await listen(server, config.port);
  let composed: ComposedInsole;
  try {
    composed = await waitForDatabase(() => composeAndStart(config, logger, mongodbUri, signal), {
      logger, uri: mongodbUri, signal,
      giveUpAfterMs: config.mongodb_wait_at_start_seconds === undefined ? undefined : config.mongodb_wait_at_start_seconds * 1000,
      onWaiting: () => { phase = 'waiting for the database'; },
    });
  } catch (err) {
    server.close();
    server.closeAllConnections();
    throw err;
  }
  const { app, core, hooks, admin, insight, lifecycle, areas } = composed;
  server.off('request', startingApp).on('request', app);
  const { port } = server.address() as AddressInfo;
  logger.info({ port, issuer: config.issuer }, 'insole is listening');
  const stopRelay = core.startRelay();
  let stopping: Promise<void> | undefined;

  return {
    server, connection: core.connection, hooks: hooks.durableHooks, admin, insight,
    url: `http://127.0.0.1:${port}`,
    // Once: a second call (a signal during a shutdown, a test's cleanup) waits for the first.
    stop(graceMs = config.shutdown.grace_ms) {
      stopping ??= shutDown(graceMs);
      return stopping;
    },
  };

  async function shutDown(graceMs: number): Promise<void> {
    lifecycle.draining = true;
    if (config.shutdown.drain_ms > 0) {
      logger.info({ drain_ms: config.shutdown.drain_ms }, 'draining: readiness fails, requests are still served');
      await new Promise((resolve) => setTimeout(resolve, config.shutdown.drain_ms));
    }
    const graceEnds = performance.now() + graceMs;
    const areasStopped = Promise.all(areas.map((area) => area.stop?.(graceMs))); // no new work; in-flight work gets the grace
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
    // Answered requests may still be sending their mail (a verification or reset link the page promised).
    if (core.mailer.sending()) logger.info({ mails: core.mailer.sending() }, 'waiting for the mails being sent');
    const mailsSent = core.mailer.close(Math.max(0, graceEnds - performance.now()));
    const lastWork = (async () => {
      await stopRelay(); // before the database: its last round marks what the broker confirmed
      await areasStopped; // before the database: the last attempts record their outcome
      await mailsSent;
    })();
    // Those last writes need the database. Up, they take milliseconds, even after the grace (a job
    // or hook attempt cut short hands its lease back then, for another instance to take at once).
    // Gone, each would wait out the driver's server selection (5 s) in turn: past the grace and
    // LAST_WRITES_MS, what is unfinished is left to the leases and claims that cover a crash (an
    // unconfirmed event is sent again, a job is taken over when its lease ends).
    const lastWritesEnd = Math.max(graceEnds, performance.now()) + LAST_WRITES_MS;
    if (!(await finishedWithin(lastWork, lastWritesEnd - performance.now()))) {
      logger.warn({ grace_ms: graceMs, last_writes_ms: LAST_WRITES_MS }, 'shutdown grace is over: closing with work unfinished (is the database away?); it is picked up as after a crash');
    }
    // After the hooks: their last attempts may still be calling out. A call still out at the end
    // (a request's rule waiting on a silent API, its connection already closed) is cut.
    await core.http.close(lastWritesEnd - performance.now());
    // The driver's close first ends its pooled sessions, one more command: with the database gone it
    // too would wait out the server selection. Those sessions expire on the server by themselves.
    await finishedWithin(core.connection.close(), lastWritesEnd - performance.now());
  }
}

/** After the grace, how long the last database writes (hand-backs, the relay's marks) may still take. */
export const LAST_WRITES_MS = 1_000;

/** Listening, or the reason it could not (a port in use is an error to report, not a wait forever). */
function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
