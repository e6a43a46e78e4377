import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { LAST_WRITES_MS } from '../src/insole.ts';
import { startTestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { newShopper, startRecordingApi, startWithRules } from './support/rules-fixtures.ts';

/** What a request that got no answer met: refused at connect (nothing sent: safe to send elsewhere), or cut after it was sent. */
const failure = (err: unknown) => String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);

/**
 * A load balancer in front of one instance, as the Kubernetes example's: it polls /health/ready
 * every 2 s and sends requests over keep-alive connections while the last poll said ready.
 */
function balancer(url: string, { pollMs = 2_000, senders = 8 } = {}) {
  let ready = true;
  let running = true;
  const failures: string[] = [];
  let answered = 0;
  const poll = async () => {
    while (running) {
      ready = await fetch(`${url}/health/ready`).then((res) => res.status === 200, () => false);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  const send = async () => {
    while (running) {
      if (!ready) { await new Promise((resolve) => setTimeout(resolve, 50)); continue; }
      try {
        const res = await fetch(`${url}/.well-known/openid-configuration`);
        await res.arrayBuffer();
        answered++;
      } catch (err) {
        failures.push(failure(err));
      }
    }
  };
  const loops = [poll(), ...Array.from({ length: senders }, send)];
  return { answered: () => answered, failures, stop: async () => { running = false; await Promise.all(loops); } };
}

describe('SIGTERM behind a load balancer that polls readiness', () => {
  test('with the default shutdown.drain_ms, no request sent by the balancer is lost: it stops sending before the server closes', async () => {
    const { drain_ms } = configSchema.shape.shutdown.parse(undefined);
    const insole = await startTestInsole({ shutdown: { drain_ms, grace_ms: 10_000 } });
    const lb = balancer(insole.url);
    try {
      while (lb.answered() < 50) await new Promise((resolve) => setTimeout(resolve, 20));
      await insole.stop();
      // Still sending after the close would be refused connections: the balancer's own next poll tells it first.
    } finally {
      await lb.stop();
    }
    assert.deepEqual(lb.failures, [], `lost ${lb.failures.length} of ${lb.answered() + lb.failures.length} requests: ${[...new Set(lb.failures)].join(', ')}`);
  });
});

// The outbound close waited for every call in flight: a rule still calling a silent API when the
// grace ended held the shutdown until the rule's own budget ran out (here 20 s).
describe('SIGTERM while a sign-in waits on a rule calling out', () => {
  test('the call is cut once the grace and the last writes are over', async () => {
    const silent = await startRecordingApi(() => ({ never: true }));
    const insole = await startWithRules({
      '01-asks-a-silent-api.js': `function (user, context, callback) {
  request.get({ url: '${silent.url}/sentiment', json: true }, function () { callback(null, user, context); });
}`,
    }, { timeout_ms: 20_000 });
    const GRACE_MS = 500;
    try {
      const signIn = signInForTokens(insole.issuer, newShopper('leaving'), 'signup').catch(() => 'cut');
      while (silent.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const started = performance.now();
      await insole.stop(GRACE_MS);
      const took = performance.now() - started;
      assert.ok(took < GRACE_MS + LAST_WRITES_MS + 2_000, `stopped after ${Math.round(took)} ms; the bound is the grace (${GRACE_MS} ms), the last writes' ${LAST_WRITES_MS} ms and a margin`);
      assert.equal(await signIn, 'cut', 'the sign-in was not answered: its connection was closed at the grace');
    } finally {
      await insole.stop();
      await silent.close();
    }
  });
});
