// A social user a store's migration script wrote without identities (stored-user.ts reads them as
// []): its user_id still names its provider account, so that account signs in to it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshGoogle, read, socialTrip, storefrontTokens, usersOf } from './support/social-steps.ts';

describe('a social user migrated without identities', () => {
  let world: SocialWorld;
  before(async () => { world = await startSocialWorld(); });
  after(() => world.close());

  test('its Google account signs in to it, and its identity is stored', async () => {
    const google = freshGoogle(world);
    const userId = `google-oauth2|${google.sub}`;
    // The migration kept the address the shopper had then; Google says another one now.
    await usersOf(world.insole).insertOne({ user_id: userId, email: 'moved.on@innovashoes.example', created_at: new Date('2025-03-01T10:00:00Z') });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.sub, userId);
    const stored = await usersOf(world.insole).findOne({ user_id: userId });
    assert.deepEqual(stored!.identities.map((i: { provider: string; user_id: string }) => `${i.provider}|${i.user_id}`), [userId]);
    assert.equal(stored!.logins_count, 1);
    assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': google.sub }), 1, 'no second user was made');
    assert.equal(stored!.email, 'moved.on@innovashoes.example', 'the address as migrated');
    assert.notEqual(stored!.email_verified, true, 'Google vouching for another address verifies nothing');
  });

  test('its address stored in other letter case is the one Google now vouches for: verified, and kept as stored', async () => {
    const google = freshGoogle(world, { email_verified: true });
    const userId = `google-oauth2|${google.sub}`;
    const asMigrated = google.email.replace(/^a/, 'A').replace('lovelace', 'Lovelace').replace('gmail.com', 'Gmail.COM');
    assert.notEqual(asMigrated, google.email);
    await usersOf(world.insole).insertOne({ user_id: userId, email: asMigrated, email_verified: false, created_at: new Date('2025-03-01T10:00:00Z') });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    const claims = (await storefrontTokens(trip, trip.landing)).claims()!;
    assert.deepEqual([claims.sub, claims.email_verified], [userId, true]);
    const stored = (await usersOf(world.insole).findOne({ user_id: userId }))!;
    assert.deepEqual([stored.email, stored.email_verified, stored.logins_count], [asMigrated, true, 1]);
  });

  test('a linked (secondary) Google vouching for the address in other letter case verifies nothing', async () => {
    const google = freshGoogle(world, { email_verified: true });
    const userId = `facebook|migrated${google.sub.slice(-8)}`;
    const asMigrated = google.email.toUpperCase();
    await usersOf(world.insole).insertOne({
      user_id: userId, email: asMigrated, email_verified: false, created_at: new Date('2025-03-01T10:00:00Z'),
      identities: [
        { provider: 'facebook', user_id: `migrated${google.sub.slice(-8)}`, connection: 'facebook', isSocial: true },
        { provider: 'google-oauth2', user_id: google.sub, connection: 'google-oauth2', isSocial: true },
      ],
    });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.sub, userId);
    const stored = (await usersOf(world.insole).findOne({ user_id: userId }))!;
    assert.deepEqual([stored.email, stored.email_verified, stored.logins_count], [asMigrated, false, 1]);
  });

  test('one stored without created_at signs in too: dated by its ObjectId _id, and the date stored', async () => {
    const google = freshGoogle(world);
    const userId = `google-oauth2|${google.sub}`;
    const { insertedId } = await usersOf(world.insole).insertOne({ user_id: userId, email: google.email });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.sub, userId);
    assert.deepEqual((await usersOf(world.insole).findOne({ _id: insertedId }))!.created_at, insertedId.getTimestamp());
  });

  test('a new Google account whose email a password user stored without created_at holds is offered the link, not a server error', async () => {
    const google = freshGoogle(world);
    await usersOf(world.insole).insertOne({
      user_id: `auth0|undated${google.sub.slice(-6)}`, email: google.email,
      identities: [{ provider: 'auth0', user_id: `undated${google.sub.slice(-6)}`, connection: 'Username-Password-Authentication', isSocial: false }],
    });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal(trip.landing.status, 200, trip.landing.html.slice(0, 300));
    assert.match(read.notice(trip.landing.html) ?? '', new RegExp(`You already have an account with ${google.email.replaceAll('.', '\\.')}`));
  });

  test('a user_id held by a document neither lookup finds is a server error at once, not a loop until the request times out', async () => {
    const google = freshGoogle(world);
    const other = { provider: 'facebook', user_id: 'fb-of-another-account', connection: 'facebook', isSocial: true };
    await usersOf(world.insole).insertOne({ user_id: `google-oauth2|${google.sub}`, email: 'odd@innovashoes.example', identities: [other], created_at: new Date() });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.equal(trip.landing.status, 500, trip.landing.html.slice(0, 300));
  });
});
