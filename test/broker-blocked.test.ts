// A broker that blocks publishers (a RabbitMQ memory or disk alarm: connection.blocked) is said in
// the log and in /metrics, and the relay waits for 'unblocked' instead of timing out confirms.
// The real broker is put under a memory alarm for a few seconds; other test runs share it, so the
// watermark is restored in a `finally` the moment the block is seen.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { until } from './support/hooks.ts';
import { signInLogsWritten, startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { captureLogs } from './support/log-capture.ts';
import { AMQP_URL, bindEventQueue, rabbitmqctl, type EventQueue } from './support/rabbitmq.ts';
import { signInForTokens } from './support/relying-party.ts';

const TOKEN = 'scraper-token-blocked-broker-0001';
/** RabbitMQ's default, and this machine's setting (`rabbitmqctl status`). */
const NORMAL_WATERMARK = '0.4';

describe('when RabbitMQ blocks publishers (a memory alarm)', () => {
  const email = `blocked.${randomUUID().slice(0, 8)}@innovashoes.example`;
  const password = 'forefoot strike on wet cobbles';
  const captured = captureLogs('info');
  let insole: TestInsole;
  let queue: EventQueue;
  const relayLines = () => captured.lines.map((l) => JSON.parse(l)).filter((l) => l.component === 'event-relay');
  const gauges = async () => {
    const text = await (await fetch(`${insole.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    return { connected: /^insole_event_relay_connected (\d)$/m.exec(text)?.[1], blocked: /^insole_event_relay_blocked (\d)$/m.exec(text)?.[1] };
  };
  const sentEvent = (type: string) => insole.db.collection('logs').findOne({ user_name: email, type }).then((log) =>
    log && insole.db.collection('event_outbox').findOne({ _id: log.log_id, state: 'sent' }));

  before(async () => {
    queue = await bindEventQueue('s');
    insole = await startTestInsole({ events: { amqp_url: AMQP_URL, poll_ms: 50 }, metrics_token: TOKEN }, testDatabaseUri(), captured.logger);
    await signInForTokens(insole.issuer, { email, password }, 'signup');
    await signInLogsWritten(insole.db);
    await until('the sign-up event is published', () => sentEvent('ss'));
  });
  after(async () => {
    await insole?.stop();
    await queue?.close();
  });

  test('one warn line with the reason on blocked, one on unblocked, the gauge follows, and the waiting event goes out after', async () => {
    assert.deepEqual(await gauges(), { connected: '1', blocked: '0' });
    let whileBlocked: Awaited<ReturnType<typeof gauges>> | undefined;
    try {
      await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001');
      await signInForTokens(insole.issuer, { email, password }); // its event is what the broker blocks
      await until('the relay to say the broker blocks it', () => relayLines().some((l) => /blocking publishers/.test(l.msg)), 6_000);
      whileBlocked = await gauges();
    } finally {
      await rabbitmqctl('set_vm_memory_high_watermark', NORMAL_WATERMARK);
    }
    assert.deepEqual(whileBlocked, { connected: '1', blocked: '1' });
    await until('the relay to say the broker unblocked it', () => relayLines().some((l) => /unblocked/.test(l.msg)), 15_000);
    await until('the sign-in event is published once the broker unblocks', () => sentEvent('s'), 15_000);
    assert.deepEqual(await gauges(), { connected: '1', blocked: '0' });

    const said = relayLines().filter((l) => l.level >= 40);
    const [blocked, unblocked] = said;
    assert.equal(said.length, 2, `exactly two warn lines, no confirm timeout or reconnect: ${JSON.stringify(said.map((l) => l.msg))}`);
    assert.equal(blocked.level, 40);
    assert.match(blocked.reason, /memory/i, 'the broker\'s own reason');
    assert.equal(blocked.msg, `RabbitMQ is blocking publishers (${blocked.reason}): login events wait in MongoDB until it unblocks`);
    assert.equal(unblocked.level, 40);
    assert.equal(unblocked.msg, 'RabbitMQ unblocked publishers: sending the events that waited');
    assert.ok(unblocked.blocked_ms > 0);
    assert.ok(!JSON.stringify(said).includes('guest:guest'), 'the broker is named without its credentials');
    const received = (await queue.drain()).filter((e) => e.body.user_name === email);
    assert.equal(received.length, 1, 'the sign-in event arrived once');
  });
});
