import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { proxiedDatabase } from './support/proxied-database.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshGoogle, freshTwitter, healAll, logsSince, storefrontTokens, socialTrip, type Connection } from './support/social-steps.ts';
import type { HeldWrite, TcpProxy } from './support/tcp-proxy.ts';

// The provider budget (connections.timeout_ms), short; each write below is held past it.
const TIMEOUT_MS = 1_000;
const HELD_MS = TIMEOUT_MS + 700;

/** insole's own write of a handshake record of `kind`: `insert` (the state, the request-token secret stored) or `findAndModify` (consumed). */
const handshakeWrite = (command: 'insert' | 'findAndModify', kind: 'state' | 'request_token') => (chunk: Buffer) =>
  chunk.includes(command) && chunk.includes('social_handshakes') && chunk.includes(kind);

/** Holds the write at the wire until well past the provider budget, then lets it through. */
async function holdPastTheBudget(hold: HeldWrite): Promise<void> {
  await hold.held;
  await sleep(HELD_MS);
  hold.release();
}

/**
 * The provider budget (connections.timeout_ms) is for the provider's answers: the token exchange,
 * the profile, X's request token. insole's own handshake writes inside the strategy run (the state
 * stored on the way out and consumed on the way back; X's request-token secret) do not count: a slow
 * database must not read "Google is not answering" (provider-clock.ts).
 */
describe('a social sign-in whose own handshake write is slow, past the provider budget', () => {
  let proxy: TcpProxy;
  let world: SocialWorld;
  before(async () => {
    let uri: string;
    ({ proxy, uri } = await proxiedDatabase());
    world = await startSocialWorld({ connections: { timeout_ms: TIMEOUT_MS } }, undefined, {}, uri);
  });
  after(async () => { await world.close(); await proxy.close(); });
  beforeEach(() => healAll(world));

  const cases: { connection: Connection; leg: 'connect' | 'callback'; command: 'insert' | 'findAndModify'; kind: 'state' | 'request_token' }[] = [
    { connection: 'google-oauth2', leg: 'connect', command: 'insert', kind: 'state' },
    { connection: 'google-oauth2', leg: 'callback', command: 'findAndModify', kind: 'state' },
    { connection: 'twitter', leg: 'connect', command: 'insert', kind: 'request_token' },
    { connection: 'twitter', leg: 'callback', command: 'findAndModify', kind: 'request_token' },
  ];
  for (const { connection, leg, command, kind } of cases) {
    test(`${connection}: the ${kind} record's ${command} on the ${leg} held past timeout_ms → the sign-in finishes, no "not answering", no f event`, async () => {
      const id = connection === 'twitter' ? `twitter|${freshTwitter(world).id_str}` : `google-oauth2|${freshGoogle(world).sub}`;
      const since = new Date();
      let holding: Promise<void> = Promise.resolve();
      const holdNow = () => { holding = holdPastTheBudget(proxy.holdAt(handshakeWrite(command, kind))); };
      if (leg === 'connect') holdNow();
      const started = performance.now();
      const trip = await socialTrip(world.insole, connection, leg === 'callback' ? { atProvider: holdNow } : {});
      await holding;
      assert.ok(performance.now() - started >= HELD_MS, 'the write was held for the whole wait');
      assert.ok(trip.landing.left, `back to the storefront, not the sign-in page: ${trip.landing.html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
      assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.sub, id);
      assert.deepEqual((await logsSince(world.insole, since, { type: 'f' })).map((l) => l.details?.error), [], 'no failure logged');
      assert.deepEqual(trip.agent.serverErrors(), []);
    });
  }
});
