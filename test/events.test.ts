// Issue 5 and 6: every log event reaches RabbitMQ (topic exchange insole.events, routing key = type),
// survives broker outages, is published once per relay claim, and carries what a data team joins on.
// Real RabbitMQ (Debian's, from .ci/run); "broker down" is a TCP proxy cut, since other files share it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { mongo } from 'mongoose';
import { createAmqpPublisher } from '../src/events/amqp-publisher.ts';
import { createEventOutbox, type OutboxRecord, type OutboxState } from '../src/events/event-outbox.ts';
import { captureLogs } from './support/log-capture.ts';
import { signInLogsWritten, startTestInsole, STOREFRONT, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { AMQP_URL, bindEventQueue, connectBroker, EVENTS_EXCHANGE, type EventQueue, type ReceivedEvent } from './support/rabbitmq.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';

// The exchange is shared by every test run on this broker: this run's shoppers have their own names.
const RUN = randomUUID().slice(0, 8);

const PASSWORD = 'heel-to-toe drop 8mm';
const CONNECTION = 'Username-Password-Authentication';
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$/;
const OFF_MESSAGE = 'AMQP_URL is not set: login events are not published';

/** Test timing for the relay: poll often, reconnect quickly. */
const FAST = { poll_ms: 50, reconnect_min_ms: 50, reconnect_max_ms: 250 };

async function until(check: () => Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const outbox = (insole: TestInsole) => insole.db.collection<{ _id: string; state: string; expires_at?: Date }>('event_outbox');
const allSent = (insole: TestInsole, ids: string[]) => async () =>
  (await outbox(insole).countDocuments({ _id: { $in: ids }, state: 'sent' })) === ids.length;

/** The log_ids, once the sign-ins' own logs are written (by the batched move, within events.gather_ms). */
async function logIdsOf(insole: TestInsole, filter: mongo.Filter<mongo.Document>): Promise<string[]> {
  await signInLogsWritten(insole.db);
  return (await insole.db.collection('logs').find(filter).toArray()).map((l) => l.log_id as string);
}

/** `count` sign-ins, a few at a time, spread over the instances given. */
async function signInMany(instances: TestInsole[], email: string, count: number, parallel = 5): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await signInForTokens(instances[i % instances.length].issuer, { email, password: PASSWORD });
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

function brokerBehindProxy(proxy: TcpProxy): string {
  const url = new URL(AMQP_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.href;
}

function brokerTarget(): { host: string; port: number } {
  const url = new URL(AMQP_URL);
  return { host: url.hostname, port: Number(url.port || 5672) };
}

// Auth0 log events have one-word routing keys (their type code); insight events are dotted
// (lifecycle.new, segment.entered), so `*` binds the log events alone.
const LOG_EVENTS = '*';

const ids = (events: ReceivedEvent[]) => events.map((e) => e.body.log_id as string);
const sorted = (list: string[]) => [...list].sort();

describe('when RabbitMQ is down during 50 sign-ins, then back', () => {
  const email = `outage.runner.${RUN}@innovashoes.example`;
  const captured = captureLogs('debug');
  let queue: EventQueue;
  let proxy: TcpProxy;
  let insole: TestInsole;
  let stopped = false;
  let signupLogId: string;
  let downLogIds: string[];
  let downStates: string[];
  let logs: mongo.WithId<mongo.Document>[];
  let received: ReceivedEvent[];

  before(async () => {
    queue = await bindEventQueue(LOG_EVENTS);
    proxy = await startTcpProxy(brokerTarget());
    insole = await startTestInsole({ events: { amqp_url: brokerBehindProxy(proxy), ...FAST } }, testDatabaseUri(), captured.logger);

    await signInForTokens(insole.issuer, { email, password: PASSWORD }, 'signup');
    [signupLogId] = await logIdsOf(insole, { user_name: email, type: 'ss' });
    await until(allSent(insole, [signupLogId]), 'the sign-up event is published');

    await proxy.stop();
    await signInMany([insole], email, 50);
    downLogIds = await logIdsOf(insole, { user_name: email, type: 's' });
    // A log event reaches event_outbox within events.gather_ms of its log (one move for a burst).
    await until(async () => (await outbox(insole).countDocuments({ _id: { $in: downLogIds } })) === downLogIds.length, 'every log event is in the outbox', 5_000);
    downStates = (await outbox(insole).find({ _id: { $in: downLogIds } }).toArray()).map((r) => r.state);

    await proxy.start();
    await until(allSent(insole, downLogIds), 'the relay publishes the 50 waiting events');
    logs = await insole.db.collection('logs').find({ user_name: email }).toArray();
    // Stopped, the relay publishes nothing more: what the queue holds now is everything it sent.
    await insole.stop();
    stopped = true;
    received = (await queue.drain()).filter((e) => e.body.user_name === email);
  });
  after(async () => {
    if (!stopped) await insole?.stop();
    await proxy?.close();
    await queue?.close();
  });

  test('sign-ins keep working while the broker is down, and their events wait in event_outbox', () => {
    assert.equal(downLogIds.length, 50, 'all 50 sign-ins succeeded and were logged');
    assert.equal(downStates.length, 50, 'each log event has its outbox record');
    assert.deepEqual(new Set(downStates), new Set(['ready']), 'none was sent while the broker was unreachable');
  });

  test('once it is back, all 50 events arrive, and no log_id twice', () => {
    const signIns = received.filter((e) => e.body.type === 's');
    assert.equal(signIns.length, 50);
    assert.deepEqual(sorted(ids(signIns)), sorted(downLogIds));
    assert.equal(new Set(ids(received)).size, received.length, 'a log_id arrived twice');
    assert.deepEqual(sorted(ids(received)), sorted([signupLogId, ...downLogIds]), 'the sign-up too, once');
  });

  test('each message is its Auth0 log event, with what a data team joins logins on', () => {
    const user_id = logs[0].user_id as string;
    assert.match(user_id, /^auth0\|[0-9a-f]{24}$/);
    for (const event of received) {
      const log = logs.find((l) => l.log_id === event.body.log_id)!;
      const { _id, date, ...fields } = log;
      assert.equal(event.body.user_id, user_id);
      assert.equal(event.body.client_id, STOREFRONT.client_id);
      assert.equal(event.body.client_name, 'Test Storefront');
      assert.equal(event.body.connection, CONNECTION);
      assert.match(event.body.ip as string, LOOPBACK);
      assert.equal(typeof event.body.user_agent, 'string');
      assert.ok((event.body.user_agent as string).length > 0, 'user_agent');
      assert.match(event.body.date as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(event.body.log_id as string, /^[0-9a-f]{32}$/);
      assert.deepEqual(event.body, { ...fields, date: (date as Date).toISOString() }, 'the same fields and values as in `logs`');
    }
    assert.equal(received.find((e) => e.body.type === 'ss')?.body.description, 'Success Signup');
  });

  test('messages are persistent JSON on insole.events, routed by type, with log_id as the message id', () => {
    for (const { routingKey, exchange, properties, body } of received) {
      assert.equal(exchange, EVENTS_EXCHANGE);
      assert.equal(routingKey, body.type);
      assert.equal(properties.deliveryMode, 2, 'persistent');
      assert.equal(properties.messageId, body.log_id);
      assert.equal(properties.contentType, 'application/json');
      assert.equal(properties.type, body.type);
    }
  });

  test('the relay said once that the broker was unreachable, and reconnected without crashing', () => {
    const lines = captured.lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    const unreachable = lines.filter((l) => l.msg.startsWith('RabbitMQ unreachable'));
    assert.equal(unreachable.length, 1);
    assert.equal(unreachable[0].level, 40, 'warn');
    assert.equal(lines.filter((l) => l.msg.startsWith('connected to RabbitMQ')).length, 2, 'at start and after the outage');
    assert.ok(!captured.lines.some((l) => l.includes('guest:guest')), 'broker credentials never reach the log');
  });
});

describe('two insole instances on one database catching up on a backlog together', () => {
  const email = `two.relays.${RUN}@innovashoes.example`;
  let queue: EventQueue;
  let proxy: TcpProxy;
  let instances: TestInsole[] = [];
  let expected: string[];
  let received: ReceivedEvent[];

  before(async () => {
    queue = await bindEventQueue(LOG_EVENTS);
    proxy = await startTcpProxy(brokerTarget());
    await proxy.stop();
    // Small batches and fast polling, so both relays claim from the same backlog at the same time.
    const events = { amqp_url: brokerBehindProxy(proxy), ...FAST, poll_ms: 10, batch_size: 3 };
    const database = testDatabaseUri();
    instances.push(await startTestInsole({ events }, database));
    instances.push(await startTestInsole({ events }, database));

    await signInForTokens(instances[0].issuer, { email, password: PASSWORD }, 'signup');
    await signInMany(instances, email, 40, 8);
    expected = await logIdsOf(instances[0], { user_name: email });
    await proxy.start();
    await until(allSent(instances[0], expected), 'the backlog is published');
    await Promise.all(instances.map((i) => i.stop()));
    instances = [];
    received = (await queue.drain()).filter((e) => e.body.user_name === email);
  });
  after(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await proxy?.close();
    await queue?.close();
  });

  test('every event is published exactly once', () => {
    assert.equal(expected.length, 41, 'one sign-up and 40 sign-ins');
    assert.equal(new Set(ids(received)).size, received.length, 'a log_id arrived twice');
    assert.deepEqual(sorted(ids(received)), sorted(expected));
  });
});

describe('without AMQP_URL', () => {
  const email = `no.broker.${RUN}@innovashoes.example`;
  const captured = captureLogs('debug');
  const database = testDatabaseUri();
  let queue: EventQueue;
  let off: TestInsole;
  let on: TestInsole | undefined;

  before(async () => {
    queue = await bindEventQueue(LOG_EVENTS);
    off = await startTestInsole({}, database, captured.logger);
  });
  after(async () => {
    await off?.stop();
    await on?.stop();
    await queue?.close();
  });

  test('the relay is off and says so once at start; events are kept in MongoDB', async () => {
    assert.equal(captured.lines.filter((l) => l.includes(OFF_MESSAGE)).length, 1);
    await signInForTokens(off.issuer, { email, password: PASSWORD }, 'signup');
    const [logId] = await logIdsOf(off, { user_name: email });
    await until(async () => Boolean(await outbox(off).findOne({ _id: logId })), 'the log event is in the outbox', 5_000);
    const record = await outbox(off).findOne({ _id: logId });
    assert.equal(record?.state, 'ready');
    assert.equal((await off.db.collection('logs').findOne({ log_id: logId }))?.outbox_pending, undefined, 'the log at rest is Auth0-shaped');
  });

  test('an instance with AMQP_URL on the same database publishes what waited', async () => {
    on = await startTestInsole({ events: { amqp_url: AMQP_URL, ...FAST } }, database);
    const waiting = await logIdsOf(on, { user_name: email });
    await until(allSent(on, waiting), 'the waiting event is published');
    await on.stop();
    on = undefined;
    const received = (await queue.drain()).filter((e) => e.body.user_name === email);
    assert.deepEqual(ids(received), waiting);
  });
});

describe('an events exchange that exists on the broker with another type', () => {
  test('is reported as refused, at error level and naming the exchange, not as an unreachable broker', async () => {
    const exchange = `insole.test.misdeclared.${RUN}`;
    const broker = await connectBroker();
    const channel = await broker.createChannel();
    await channel.assertExchange(exchange, 'fanout', { durable: false, autoDelete: false });
    const captured = captureLogs('debug');
    const insole = await startTestInsole({ events: { amqp_url: AMQP_URL, exchange, ...FAST } }, testDatabaseUri(), captured.logger);
    try {
      const lines = () => captured.lines.map((l) => JSON.parse(l) as { level: number; msg: string; exchange?: string; err?: { message: string } });
      await until(async () => lines().some((l) => l.msg.startsWith('RabbitMQ refused')), 'the refusal is logged', 10_000);
      const refused = lines().filter((l) => l.msg.startsWith('RabbitMQ refused'));
      assert.equal(refused.length, 1, 'once; the retries after it at debug');
      assert.equal(refused[0].level, 50, 'error: an operator must act');
      assert.equal(refused[0].exchange, exchange);
      assert.match(refused[0].err!.message, /PRECONDITION_FAILED/);
      assert.equal(lines().filter((l) => l.msg.startsWith('RabbitMQ unreachable')).length, 0);
    } finally {
      await insole.stop();
      await channel.deleteExchange(exchange);
      await broker.close();
    }
  });
});

describe('an AMQP_URL whose password the broker refuses', () => {
  test('is reported as a refused connection, at error level, not as an unreachable broker, and the password stays out of the logs', async () => {
    const url = new URL(AMQP_URL);
    url.password = `wrong-${RUN}`;
    const captured = captureLogs('debug');
    const insole = await startTestInsole({ events: { amqp_url: url.href, ...FAST } }, testDatabaseUri(), captured.logger);
    try {
      const lines = () => captured.lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
      await until(async () => lines().filter((l) => l.msg.startsWith('RabbitMQ')).length >= 2, 'a retry is logged', 10_000);
      const refused = lines().filter((l) => l.msg.startsWith('RabbitMQ refused the connection'));
      assert.equal(refused.length, 1, 'once; the retries after it at debug');
      assert.equal(refused[0].level, 50, 'error: an operator must act');
      assert.match(refused[0].err!.message, /ACCESS.REFUSED/);
      assert.equal(lines().filter((l) => l.msg.startsWith('RabbitMQ unreachable')).length, 0);
      assert.ok(!captured.lines.some((l) => l.includes(`wrong-${RUN}`)), 'no log line holds the password');
    } finally {
      await insole.stop();
    }
  });
});

describe('a batch is published in date order, whatever order its records reached the outbox in', () => {
  const email = `date.order.${RUN}@innovashoes.example`;
  const database = testDatabaseUri();
  let queue: EventQueue;
  let off: TestInsole | undefined;
  let on: TestInsole | undefined;
  before(async () => {
    queue = await bindEventQueue(LOG_EVENTS);
    off = await startTestInsole({}, database); // no broker: the events wait in the outbox
  });
  after(async () => {
    await off?.stop();
    await on?.stop();
    await queue?.close();
  });

  test('records claimed newest event first still go out oldest first', async () => {
    await signInForTokens(off!.issuer, { email, password: PASSWORD }, 'signup');
    await signInMany([off!], email, 3, 1);
    await signInLogsWritten(off!.db);
    const logs = await off!.db.collection('logs').find({ user_name: email }).sort({ date: 1, log_id: 1 }).toArray();
    assert.deepEqual(logs.map((l) => l.type), ['ss', 's', 's', 's']);
    await until(async () => (await outbox(off!).countDocuments({ _id: { $in: logs.map((l) => l.log_id) } })) === logs.length, 'the events are in the outbox');
    // As when a sign-in's `s` reaches the outbox after a later event: the newest record looks oldest.
    const start = Date.now() - 60_000;
    await Promise.all(logs.map((log, i) => outbox(off!).updateOne({ _id: log.log_id }, { $set: { created_at: new Date(start - i * 1_000) } })));
    await off!.stop();
    off = undefined;

    on = await startTestInsole({ events: { amqp_url: AMQP_URL, ...FAST } }, database);
    await until(allSent(on, logs.map((l) => l.log_id)), 'the events are published');
    const received = (await queue.drain()).filter((e) => e.body.user_name === email);
    assert.deepEqual(ids(received), logs.map((l) => l.log_id as string));
  });
});

describe('events staged by an older insole whose writer stopped (a crash during a rolling upgrade)', () => {
  let queue: EventQueue;
  let insole: TestInsole;
  let stopped = false;

  before(async () => {
    queue = await bindEventQueue(LOG_EVENTS);
    insole = await startTestInsole({ events: { amqp_url: AMQP_URL, ...FAST, recover_after_ms: 1000 } });
  });
  after(async () => {
    if (!stopped) await insole?.stop();
    await queue?.close();
  });

  const USER_NAME = `crash.test.${RUN}@innovashoes.example`;
  const event = (log_id: string) => ({
    log_id, date: new Date().toISOString(), type: 's', description: 'Success Login', user_id: 'auth0|0123456789abcdef01234567',
    user_name: USER_NAME, connection: CONNECTION, details: {},
  });
  const record = (log_id: string, state: OutboxState, created_at = new Date()): OutboxRecord => ({
    _id: log_id, state, event: event(log_id), created_at, attempts: 0, claimed_until: new Date(0),
  });

  test('a staged event whose log was written is published; one whose log was not is dropped', async () => {
    const anHourAgo = new Date(Date.now() - 3600_000);
    const written = record('f0000000000a0000000000000000000a', 'new', anHourAgo);
    const orphan = record('f0000000000b0000000000000000000b', 'new', anHourAgo);
    const { date, ...fields } = written.event;
    await insole.db.collection('logs').insertOne({ ...fields, date: new Date(date) });
    await insole.db.collection<OutboxRecord>('event_outbox').insertMany([written, orphan]);

    await until(allSent(insole, [written._id]), 'the half-written event is published');
    await until(async () => (await outbox(insole).countDocuments({ _id: orphan._id })) === 0, 'the orphan is dropped');
    await insole.stop();
    stopped = true;
    const received = (await queue.drain()).filter((e) => e.body.user_name === USER_NAME);
    assert.deepEqual(sorted(ids(received)), ['f0000000000a0000000000000000000a']);
  });
});

// Found by the fault suite's 60 s broker outage on the dev database: a backlog of thousands made one
// claiming loop outlast its lease and take its own expired records again, and the publisher, waiting
// for one confirm per message, never finished a batch naming a message twice: the relay stalled.
describe('the outbox and its publisher with no relay competing: expiry, long claims, repeated messages', () => {
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole({}); }); // no AMQP_URL: no relay competes for the records
  after(() => insole?.stop());

  test('unsent records expire after undelivered_retention_days, sent ones after retention_days', async () => {
    const records = createEventOutbox(insole.connection, { retention_days: 7, undelivered_retention_days: 30 });
    const days = (d?: Date) => Math.round(((d?.getTime() ?? 0) - Date.now()) / (24 * 3600 * 1000));
    const kept = { _id: `e${RUN}`, event: { log_id: `e${RUN}`, date: new Date().toISOString(), type: 's', details: {} } } as OutboxRecord;
    await records.enqueue([kept.event]);
    assert.equal(days((await outbox(insole).findOne({ _id: kept._id }))?.expires_at), 30);
    await records.markSent([kept]);
    assert.equal(days((await outbox(insole).findOne({ _id: kept._id }))?.expires_at), 7);
    const ttl = (await outbox(insole).indexes()).find((index) => index.key.expires_at === 1);
    assert.equal(ttl?.expireAfterSeconds, 0);
  });

  test('a claim stops once a third of its lease is spent, so it never holds a record twice', async () => {
    const records = createEventOutbox(insole.connection, { retention_days: 7, undelivered_retention_days: 30 });
    const backlog = Array.from({ length: 40 }, (_, i) => ({
      log_id: `b${RUN}${String(i).padStart(4, '0')}`, date: new Date().toISOString(), type: 's', description: 'Success Login',
      user_id: 'auth0|0123456789abcdef01234567', user_name: `backlog.${RUN}@innovashoes.example`, connection: CONNECTION, details: {},
    }));
    await records.enqueue(backlog);
    // A 6 ms lease: forty claims one by one take longer than that on any database.
    const batch = await records.claimReady(100, 6);
    const ids = batch.map((r) => r._id);
    assert.ok(batch.length >= 1 && batch.length < backlog.length, `claimed ${batch.length} of ${backlog.length}`);
    assert.equal(new Set(ids).size, ids.length, 'no record twice in one batch');
    await records.markSent(batch);
    const rest = await records.claimReady(100, 60_000);
    assert.equal(rest.length + batch.length, backlog.length, 'the others are still there for the next round');
    await records.markSent(rest);
  });

  test('a batch naming one message twice is still confirmed and finished', async () => {
    const publisher = createAmqpPublisher({
      url: AMQP_URL, exchange: EVENTS_EXCHANGE, reconnectMinMs: 50, reconnectMaxMs: 250, confirmTimeoutMs: 5_000,
      logger: captureLogs('warn').logger, onReady: () => {},
    });
    publisher.start();
    try {
      await until(async () => publisher.isConnected(), 'the publisher is connected', 10_000);
      const message = { id: `twice-${RUN}`, routingKey: 'test.twice', body: { log_id: `twice-${RUN}` }, timestamp: new Date() };
      const outcome = await Promise.race([
        publisher.publish([message, message]),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('publish() never finished')), 10_000).unref()),
      ]);
      assert.deepEqual(outcome.confirmed, [message.id]);
      assert.deepEqual(outcome.failed, []);
    } finally {
      await publisher.stop();
    }
  });
});

// A consumer's queue with a length limit and overflow reject-publish: RabbitMQ nacks what it cannot
// take. Handed back at once, those records were published again every poll (to every other queue
// too), without a log line, and a batch full of them held up every event behind it.
describe('events RabbitMQ refuses (basic.nack: a bound queue full with overflow reject-publish)', () => {
  const exchange = `insole.test.nack.${RUN}`;
  const captured = captureLogs('info');
  let broker: Awaited<ReturnType<typeof connectBroker>>;
  let insole: TestInsole;
  before(async () => {
    broker = await connectBroker();
    const channel = await broker.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(queue, exchange, 'ss');
    // A backoff far longer than a round: the refused batch is not due again before the event behind it is claimed.
    insole = await startTestInsole({ events: { amqp_url: AMQP_URL, exchange, poll_ms: 50, reconnect_min_ms: 5_000, reconnect_max_ms: 10_000, batch_size: 5 } }, testDatabaseUri(), captured.logger);
  });
  after(async () => {
    await insole?.stop();
    await broker?.close(); // its exclusive queue goes with it
    const cleanup = await connectBroker();
    await (await cleanup.createChannel()).deleteExchange(exchange);
    await cleanup.close();
  });

  test('are retried with backoff and logged, and the events behind a batch of them still go out', async () => {
    const record = (log_id: string, type: string, created_at: Date): OutboxRecord => ({
      _id: log_id, state: 'ready', created_at, attempts: 0, claimed_until: new Date(0),
      event: { log_id, date: created_at.toISOString(), type, user_name: `nack.${RUN}@innovashoes.example`, details: {} },
    });
    // Five `ss` the full queue refuses fill a batch; the `s` behind them reached the outbox later.
    const refused = Array.from({ length: 5 }, (_, i) => record(`n${RUN}refused${i}`, 'ss', new Date(Date.now() - 1_000)));
    const behind = record(`n${RUN}behind`, 's', new Date());
    await insole.db.collection<OutboxRecord>('event_outbox').insertMany([...refused, behind]);

    await until(allSent(insole, [behind._id]), 'the event behind the refused batch is published');
    const lines = captured.lines.map((l) => JSON.parse(l) as { level: number; msg: string; refused?: number });
    const said = lines.filter((l) => l.msg.startsWith('RabbitMQ refused events'));
    assert.equal(said.length, 1, 'said once');
    assert.equal(said[0].level, 40);
    const waiting = await insole.db.collection<OutboxRecord>('event_outbox').find({ _id: { $in: refused.map((r) => r._id) } }).toArray();
    assert.ok(waiting.every((r) => r.state === 'ready' && r.last_error === 'refused by RabbitMQ (basic.nack)'), 'still to be sent, and why not yet');
  });
});

// Found by the fault suite: the database stopped between a sign-up's user insert and its `ss` log's
// insert, leaving a user whose first login was counted and never logged (no transactions on the dev
// database, nor across collections without a replica set). The login's log now travels in the user write.
describe('a counted login whose log was never written (crash or lost database between the two writes)', () => {
  let queue: EventQueue;
  let insole: TestInsole;
  before(async () => {
    queue = await bindEventQueue(LOG_EVENTS);
    insole = await startTestInsole({ events: { amqp_url: AMQP_URL, ...FAST, recover_after_ms: 1000 } });
  });
  after(async () => {
    await insole?.stop();
    await queue?.close();
  });

  const email = `carried.${RUN}@innovashoes.example`;
  const users = () => insole.db.collection<{ user_id: string; logins_count: number; pending_logs?: { log_id: string }[] }>('users');
  const logsOf = (userId: string) => insole.db.collection('logs').find({ user_id: userId, type: { $in: ['s', 'ss'] } }).toArray();

  test('a sign-up and a sign-in carry their log in the user write, and the move takes it off again', async () => {
    await signInForTokens(insole.issuer, { email, password: PASSWORD }, 'signup');
    await signInForTokens(insole.issuer, { email, password: PASSWORD });
    const user = (await users().findOne({ email }))!;
    await until(async () => !(await users().findOne({ email, 'pending_logs.0': { $exists: true } })), 'the carried logs are pulled');
    assert.deepEqual((await logsOf(user.user_id)).map((l) => l.type).sort(), ['s', 'ss']);
    assert.equal(user.logins_count, 2);
  });

  test('the sweep writes such a log once, publishes it, and leaves logins_count equal to the logins logged', async () => {
    const user = (await users().findOne({ email }))!;
    const lost = { log_id: `0${Date.now().toString(16)}lost${RUN}`, date: new Date(Date.now() - 60_000), type: 's', description: 'Success Login', user_id: user.user_id, user_name: email, connection: CONNECTION, strategy: 'auth0', strategy_type: 'database', details: {} };
    const [written] = await logsOf(user.user_id);
    const { _id, ...copy } = written!;
    // What the crash leaves: the login counted with its log carried, the log's insert never made;
    // and a log written but not yet taken off the user (the crash came before the move).
    await users().updateOne({ user_id: user.user_id }, { $inc: { logins_count: 1 }, $push: { pending_logs: { $each: [{ ...copy, date: new Date(Date.now() - 60_000) } as never, lost as never] } } });

    await until(async () => !(await users().findOne({ user_id: user.user_id, 'pending_logs.0': { $exists: true } })), 'the sweep takes the carried logs');
    const logs = await logsOf(user.user_id);
    assert.equal(new Set(logs.map((l) => l.log_id)).size, logs.length, 'no log twice');
    assert.equal(logs.length, 3, 'ss, s, and the lost s');
    assert.ok(logs.some((l) => l.log_id === lost.log_id), 'the lost log is written');
    assert.equal((await users().findOne({ user_id: user.user_id }))!.logins_count, logs.length, 'every counted login is logged');
    await until(allSent(insole, [lost.log_id]), 'its event is published');
    const received = (await queue.drain()).filter((e) => e.body.log_id === lost.log_id);
    assert.equal(received.length, 1);
  });
});
