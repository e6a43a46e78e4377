import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STOREFRONT } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { proxiedDatabase } from './support/proxied-database.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshGoogle, socialTrip, storefrontTokens, usersOf } from './support/social-steps.ts';
import type { TcpProxy } from './support/tcp-proxy.ts';

const ADMIN = { client_id: 'verified-race-admin', client_secret: 'verified-race-admin-secret-0123456789', scopes: ['read:users', 'update:users'] };

/**
 * A returning Google sign-in that now vouches for the user's address verifies it in a write after
 * the login's (social-signin.service.ts). An admin changing the address in between wins: the new
 * address is not verified by what Google said of the old one.
 */
describe('a returning sign-in verifying its address vs an admin changing it meanwhile', () => {
  let proxy: TcpProxy;
  let world: SocialWorld;
  before(async () => {
    // The database behind a TCP proxy, so the verification's write can be held at the wire.
    let uri: string;
    ({ proxy, uri } = await proxiedDatabase());
    const clients = [m2mClientConfig(ADMIN), { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] }];
    world = await startSocialWorld({ clients }, undefined, {}, uri);
  });
  after(async () => { await world.close(); await proxy.close(); });

  test('the address an admin set while the verification waited stays unverified', async () => {
    const google = freshGoogle(world, { email_verified: false });
    const user_id = `google-oauth2|${google.sub}`;
    const first = await socialTrip(world.insole, 'google-oauth2');
    await storefrontTokens(first, first.landing);

    // The login's write carries its log (pending_logs); the verification's is the next write naming the user.
    const hold = proxy.holdAt((chunk) => chunk.includes('findAndModify') && chunk.includes(user_id) && !chunk.includes('pending_logs'));
    world.google.account = { ...google, email_verified: true };
    const signingIn = socialTrip(world.insole, 'google-oauth2');
    await hold.held;
    const token = (await managementToken(world.insole, ADMIN)).access_token;
    const newEmail = `moved.${google.sub.slice(-6)}@innovashoes.example`;
    const patched = await api(world.insole, token, 'PATCH', `/users/${encodeURIComponent(user_id)}`, { email: newEmail });
    assert.equal(patched.status, 200);
    hold.release();
    const trip = await signingIn;

    const claims = (await storefrontTokens(trip, trip.landing)).claims()!;
    assert.equal(claims.sub, user_id, 'the sign-in itself goes on');
    const user = (await usersOf(world.insole).findOne({ user_id }))!;
    assert.deepEqual([user.email, user.email_verified, user.logins_count], [newEmail, false, 2]);
  });
});
