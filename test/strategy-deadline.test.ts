import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { Passport, Strategy } from 'passport';
import { runStrategy } from '../src/http/routes/run-strategy.ts';

const DEADLINE_MS = 100;

/** A provider leg that ends in passport's redirect to the provider only after `delayMs` (a slow handshake write, a slow request token). */
class LateRedirect extends Strategy {
  private readonly delayMs: number;
  constructor(delayMs: number) {
    super();
    this.delayMs = delayMs;
  }
  override authenticate(): void {
    setTimeout(() => this.redirect('https://provider.example/authorize'), this.delayMs);
  }
}

/**
 * The connect route's shape (social.routes.ts): run the strategy, and past its deadline record the
 * failure (a database write, here a wait) before showing the sign-in page with a 502.
 */
function connectApp(redirectAfterMs: number) {
  const passport = new Passport();
  passport.use('late', new LateRedirect(redirectAfterMs));
  const app = express();
  app.get('/connect', async (req, res) => {
    const outcome = await runStrategy(passport, 'late', req, res, DEADLINE_MS);
    if (outcome.kind === 'redirected') return;
    await sleep(300);
    res.status(502).send(`the sign-in page: ${outcome.kind === 'failed' ? outcome.reason : outcome.kind}`);
  });
  return app;
}

describe('a provider leg past its deadline', () => {
  const servers: ReturnType<ReturnType<typeof express>['listen']>[] = [];
  const urls: Record<'late' | 'prompt', string> = { late: '', prompt: '' };
  before(async () => {
    for (const [name, delay] of [['late', DEADLINE_MS + 100], ['prompt', 0]] as const) {
      const server = connectApp(delay).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      servers.push(server);
      urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/connect`;
    }
  });
  after(() => { for (const server of servers) server.close(); });

  test("passport's redirect that comes after the deadline, while the failure is being recorded, does not go out: the shopper gets the page", async () => {
    const res = await fetch(urls.late, { redirect: 'manual' });
    assert.equal(res.status, 502, `not sent to the provider after the deadline (Location: ${res.headers.get('location')})`);
    assert.equal(res.headers.get('location'), null);
    assert.equal(await res.text(), `the sign-in page: no answer from the provider within ${DEADLINE_MS} ms`);
  });

  test('within the deadline the redirect goes out as passport wrote it', async () => {
    const res = await fetch(urls.prompt, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'https://provider.example/authorize');
  });
});
