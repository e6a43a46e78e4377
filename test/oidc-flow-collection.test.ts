import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mongoose from 'mongoose';
import { freePort, startTestInsole, STOREFRONT, testDatabaseUri } from './support/insole.ts';
import { buildAuthorization, discoverStorefront, oidc, signInForTokens } from './support/relying-party.ts';

const OLD_COLLECTIONS = ['oidc_session', 'oidc_interaction', 'oidc_grant', 'oidc_authorizationcode', 'oidc_accesstoken', 'oidc_refreshtoken'];

type FlowRecord = { _id: string; model: string; payload: Record<string, unknown>; expiresAt?: Date; rule_claims?: boolean };

/** Puts the flow collection's records back as an insole before it kept them: a collection per model, `_id` the model's own id. */
async function asEarlierVersionsKeptThem(db: mongoose.mongo.Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { _id, model, ...rest } of await db.collection<FlowRecord>('oidc_flow').find().toArray()) {
    await db.collection<{ _id: string }>(`oidc_${model.toLowerCase()}`).insertOne({ _id: _id.slice(model.length + 1), ...rest });
    counts[model] = (counts[model] ?? 0) + 1;
  }
  await db.collection('oidc_flow').drop();
  return counts;
}

async function countByModel(db: mongoose.mongo.Db): Promise<Record<string, number>> {
  const groups = await db.collection('oidc_flow').aggregate<{ _id: string; n: number }>([{ $group: { _id: '$model', n: { $sum: 1 } } }]).toArray();
  return Object.fromEntries(groups.map(({ _id, n }) => [_id, n]));
}

describe('sessions and tokens stored by an earlier version (a collection per model)', () => {
  test('are moved into the flow collection at start: the shopper stays signed in and the refresh token still works', async () => {
    const uri = testDatabaseUri();
    const port = await freePort();
    const sameAddress = { port, issuer: `http://127.0.0.1:${port}` }; // tokens name their issuer
    const shopper = { email: 'upgrade@innovashoes.example', password: 'tempo run on thursday' };

    const before = await startTestInsole(sameAddress, uri);
    const { tokens, agent } = await signInForTokens(before.issuer, shopper, 'signup');
    await before.stop();

    const connection = await mongoose.createConnection(uri).asPromise();
    try {
      const moved = await asEarlierVersionsKeptThem(connection.db!);
      assert.ok(moved.Session === 1 && moved.Grant === 1 && moved.RefreshToken === 1, `a session, a grant and a refresh token to move: ${JSON.stringify(moved)}`);

      const after = await startTestInsole(sameAddress, uri);
      try {
        const names = (await connection.db!.listCollections({}, { nameOnly: true }).toArray()).map(({ name }) => name);
        assert.deepEqual(names.filter((name) => OLD_COLLECTIONS.includes(name)), [], 'the old collections are dropped');
        assert.deepEqual(await countByModel(connection.db!), moved, 'every record moved, once');

        const config = await discoverStorefront(after.issuer);
        const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
        assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub, 'the refresh token from before works');

        const again = await agent.get((await buildAuthorization(config)).url);
        assert.ok(again.left?.startsWith(`${STOREFRONT.redirect_uri}?code=`), 'the browser\'s session from before signs it in without a page');
      } finally {
        await after.stop();
      }
    } finally {
      await connection.close();
    }
  });
});
