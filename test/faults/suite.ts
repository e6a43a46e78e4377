import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.ts';
import { startFakeTwitter, type FakeTwitter } from '../fakes/fake-twitter.ts';
import { freePort } from '../support/insole.ts';
import { startInbox, type Inbox } from '../support/smtp.ts';
import { startBalancer, type Balancer } from './balancer.ts';
import { controlBroker, type BrokerControl, type BrokerMode } from './broker.ts';
import { createInstance, startDatabase, type Database, type Instance } from './cluster.ts';
import { startEventCounter, type EventCounter } from './event-counter.ts';
import { startSuiteApis, type SuiteFullContact, type SuiteXApi } from './fake-apis.ts';
import { connectStorefront, SHOP_API, STOREFRONT, type Storefront } from './storefront.ts';

/**
 * Everything a fault scenario runs against: the dev database (H2 file), three insole processes
 * behind the balancer, RabbitMQ with a consumer counting events, the fake social providers and
 * APIs, an SMTP server receiving insole's mails, and the storefront. The knobs that make crashes and outages resolve in seconds rather
 * than minutes (leases, polls, back-off) are in the INSOLE_CONFIG file written here.
 */
export interface Suite {
  dir: string;
  db: Database;
  instances: (Instance & { start(): Promise<void> })[];
  balancer: Balancer;
  broker: BrokerControl;
  counter: EventCounter;
  fullcontact: SuiteFullContact;
  x: SuiteXApi;
  google: FakeGoogle;
  twitter: FakeTwitter;
  /** The SMTP server every instance sends its mails to (the shoppers' inboxes). */
  inbox: Inbox;
  storefront: Storefront;
  /** The suite's own connection, for audits (it reconnects after a database restart, like insole). */
  mongo: mongoose.Connection;
  settings: SuiteSettings;
  /** Bearer token of the instances' GET /metrics. */
  metricsToken: string;
  /** The secrets every instance shares (the CLI needs the key to rotate signing keys). */
  keyEncryptionKey: string;
  cookieSecret: string;
  close(): Promise<void>;
}

export interface SuiteSettings {
  hookLeaseMs: number;
  outboxClaimMs: number;
  keyRefreshSeconds: number;
  keyActivateSeconds: number;
  drainMs: number;
}

export const SETTINGS: SuiteSettings = { hookLeaseMs: 5_000, outboxClaimMs: 3_000, keyRefreshSeconds: 2, keyActivateSeconds: 3, drainMs: 1_500 };

function instanceConfig(fakes: { fullcontact: SuiteFullContact; x: SuiteXApi; google: FakeGoogle; twitter: FakeTwitter; inbox: Inbox }, dir: string, s: SuiteSettings, metricsToken: string, exchange: string) {
  const { fullcontact, x, google, twitter, inbox } = fakes;
  return {
    data_dir: join(dir, 'data'),
    log_level: 'info',
    signup: { verify_email_first: false },
    mail: { smtp_url: inbox.url },
    clients: [{ client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri], client_name: 'Fault-suite storefront' }],
    apis: [{ identifier: SHOP_API, scopes: ['read:orders'] }],
    connections: {
      timeout_ms: 5_000,
      'google-oauth2': { client_id: 'faults-google', client_secret: 'faults-google-secret', authorization_url: google.endpoints.authorizationURL, token_url: google.endpoints.tokenURL, userinfo_url: google.endpoints.userProfileURL },
      twitter: { consumer_key: 'faults-x-key', consumer_secret: 'faults-x-secret', request_token_url: twitter.endpoints.requestTokenURL, authorization_url: twitter.endpoints.userAuthorizationURL, access_token_url: twitter.endpoints.accessTokenURL, profile_url: twitter.endpoints.userProfileURL },
    },
    hooks: {
      // Retries every few seconds, for as long as an outage lasts (max_attempts is no limit here).
      worker: { poll_ms: 200, concurrency: 8, lease_ms: s.hookLeaseMs, max_attempts: 1_000, base_delay_ms: 250, max_delay_ms: 3_000 },
      fullcontact: { api_key: fullcontact.apiKey, base_url: fullcontact.url, timeout_ms: 2_000 },
      sentiment: { mode: 'builtin', x_bearer_token: x.bearerToken, x_base_url: x.url, timeout_ms: 2_000 },
    },
    events: { exchange, poll_ms: 200, claim_ms: s.outboxClaimMs, recover_after_ms: 3_000, reconnect_min_ms: 250, reconnect_max_ms: 2_000 },
    signing_keys: { refresh_seconds: s.keyRefreshSeconds, activate_after_seconds: s.keyActivateSeconds },
    shutdown: { drain_ms: s.drainMs, grace_ms: 10_000 },
    answer_within_ms: 20_000, // a request hung inside insole ends as a 503 and is named (run.ts), rather than held for the client's 300 s
    metrics_token: metricsToken,
  };
}

export async function startSuite({ brokerMode, amqpUrl, settings = SETTINGS }: { brokerMode: BrokerMode; amqpUrl: string; settings?: SuiteSettings }): Promise<Suite> {
  const dir = await mkdtemp(join(tmpdir(), 'insole-faults-'));
  const db = await startDatabase(join(dir, 'db', 'insole.mv'), await freePort());
  const { fullcontact, x } = await startSuiteApis();
  const google = await startFakeGoogle({ clientId: 'faults-google', clientSecret: 'faults-google-secret' });
  const twitter = await startFakeTwitter({ consumerKey: 'faults-x-key', consumerSecret: 'faults-x-secret' });
  const inbox = await startInbox();
  const ports = [await freePort(), await freePort(), await freePort()];
  const balancer = await startBalancer(ports.map((port, i) => ({ name: `insole-${'abc'[i]}`, port })));
  for (const [fake, connection] of [[google, 'google-oauth2'], [twitter, 'twitter']] as const) fake.registerRedirectUri(`${balancer.url}/login/callback/${connection}`);
  const broker = await controlBroker(brokerMode, amqpUrl);
  // An exchange of this run's own: other insole processes on the same broker (tests, a dev server) publish to insole.events.
  const runId = randomBytes(4).toString('hex');
  const exchange = `insole.faults.${runId}`;
  const counter = await startEventCounter(amqpUrl, { exchange, queue: `insole-faults-${runId}`, ownExchange: true });

  const metricsToken = randomBytes(16).toString('hex');
  const configFile = join(dir, 'insole.json');
  await writeFile(configFile, JSON.stringify(instanceConfig({ fullcontact, x, google, twitter, inbox }, dir, settings, metricsToken, exchange), null, 2));
  const env = {
    issuer: balancer.url, mongodbUri: db.uri, amqpUrl: broker.instanceUrl, configFile, logDir: dir,
    cookieSecret: randomBytes(32).toString('hex'), keyEncryptionKey: randomBytes(32).toString('hex'),
  };
  const instances = ports.map((port, i) => createInstance(`insole-${'abc'[i]}`, port, env));
  // One at a time: the first creates the signing key and the indexes, as in a real first deployment.
  for (const instance of instances) await instance.start();
  const mongo = await mongoose.createConnection(db.uri, { serverSelectionTimeoutMS: 5_000, heartbeatFrequencyMS: 1_000 }).asPromise();
  const storefront = await connectStorefront(balancer.url);

  return {
    dir, db, instances, balancer, broker, counter, fullcontact, x, google, twitter, inbox, storefront, mongo, settings, metricsToken,
    keyEncryptionKey: env.keyEncryptionKey, cookieSecret: env.cookieSecret,
    async close() {
      await broker.restore();
      for (const instance of instances) if (instance.child && instance.child.exitCode === null) { instance.child.kill('SIGTERM'); await instance.exited; }
      await Promise.allSettled([counter.close(), mongo.close(), balancer.close(), fullcontact.close(), x.close(), google.close(), twitter.close(), inbox.close(), broker.close()]);
      await db.stop();
    },
  };
}

