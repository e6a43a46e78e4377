import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { RequestWrites } from '../src/oidc/request-writes.ts';

type Doc = { _id: string; v: number };

/** A RequestWrites whose batches are recorded, with the moment each was sent relative to the route. */
function recorded() {
  const events: string[] = [];
  const writes = new RequestWrites<Doc>(async (docs) => { events.push(`sent ${docs.map((d) => `${d._id}=${d.v}`).join(',')}`); });
  const ctx = {} as KoaContextWithOIDC;
  const hold = (doc: Doc) => writes.held(ctx)!.set(doc._id, doc);
  return { events, writes, ctx, hold };
}

describe('a request\'s held writes (src/oidc/request-writes.ts)', () => {
  test('are sent once, as one batch, after the route and before the middleware returns; the last write of a record wins', async () => {
    const { events, writes, ctx, hold } = recorded();
    await writes.middleware(ctx, async () => {
      hold({ _id: 'Grant:g', v: 1 });
      hold({ _id: 'AuthorizationCode:c', v: 1 });
      hold({ _id: 'Grant:g', v: 2 });
      assert.equal(writes.held(ctx)!.get('Grant:g')!.v, 2, 'the request reads what it holds');
      events.push('route done');
    });
    assert.deepEqual(events, ['route done', 'sent Grant:g=2,AuthorizationCode:c=1']);
    assert.equal(writes.held(ctx), undefined, 'nothing is held once the request is over');
  });

  test('a write that depends on what is stored sends the held ones first; what follows is sent at the end', async () => {
    const { events, writes, ctx, hold } = recorded();
    await writes.middleware(ctx, async () => {
      hold({ _id: 'Session:s', v: 1 });
      await writes.send(ctx);
      events.push('conditional write');
      hold({ _id: 'AccessToken:a', v: 1 });
    });
    assert.deepEqual(events, ['sent Session:s=1', 'conditional write', 'sent AccessToken:a=1']);
  });

  test('a route that throws still has its writes sent (as they would have been at once), and its error goes on', async () => {
    const { events, writes, ctx, hold } = recorded();
    const failure = new Error('the route failed');
    await assert.rejects(writes.middleware(ctx, async () => { hold({ _id: 'Session:s', v: 1 }); throw failure; }), (err) => err === failure);
    assert.deepEqual(events, ['sent Session:s=1']);
  });

  test('a failed send fails the request (the guard outside answers 503), and a request that wrote nothing sends nothing', async () => {
    const lost = new Error('connection closed');
    const failing = new RequestWrites<Doc>(async () => { throw lost; });
    const ctx = {} as KoaContextWithOIDC;
    await assert.rejects(failing.middleware(ctx, async () => { failing.held(ctx)!.set('Grant:g', { _id: 'Grant:g', v: 1 }); }), (err) => err === lost);
    await failing.middleware(ctx, async () => {}); // would throw had it sent an empty batch
    assert.equal(failing.held(undefined), undefined, 'outside oidc-provider\'s requests writes are not held');
  });
});
