import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { startTestInsole } from './support/insole.ts';

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
