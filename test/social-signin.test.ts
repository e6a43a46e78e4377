import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { socialSignIn, startSocialWorld, tokensFor, type SocialWorld } from './support/social.ts';

describe('social sign-in with Google, Facebook and X', () => {
  let world: SocialWorld;
  before(async () => { world = await startSocialWorld(); });
  after(async () => { await world.close(); });

  test('Google: the first sign-in creates an Auth0-shaped user, the second lands on the same user', async () => {
    const first = await tokensFor(await socialSignIn(world.insole, 'google-oauth2'));
    const sub = first.claims()!.sub;
    assert.equal(sub, `google-oauth2|${world.google.account.sub}`);
    const second = await tokensFor(await socialSignIn(world.insole, 'google-oauth2'));
    assert.equal(second.claims()!.sub, sub);
    const users = await world.insole.db.collection('users').find({ user_id: sub }).toArray();
    assert.equal(users.length, 1);
    assert.equal(users[0].logins_count, 2);
  });
});
