// Auth0's account linking through the Management API (POST /users/{id}/identities): the secondary
// user's identities move to the primary, the secondary stops existing, and its provider account then
// signs in to the primary; against insole with the fake Google, Facebook and X on loopback.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { UserDoc } from '../src/users/user.model.ts';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { STOREFRONT } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { postBackChannel } from './support/oauth-wire.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshFacebook, freshGoogle, healAll, openSealedTokens, socialTrip, storefrontTokens, usersOf } from './support/social-steps.ts';
import { until } from './support/hooks.ts';
import { startLogoutReceiver } from './support/logout-receiver.ts';
import { seededUser } from './support/user-jobs.ts';

const client = (id: string, scopes: string[]) => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });
const LINKER = client('linker', ['read:users', 'update:users']);
const GRANTER = client('linker-granter', ['update:users', 'create:role_members']);
const REMOVER = client('linker-remover', ['update:users', 'delete:role_members']);
const READER = client('linker-reader', ['read:users']);
const CLIENTS = [LINKER, GRANTER, REMOVER, READER];
const ADMIN_EMAIL = 'linked.boss@innovashoes.example';
// The storefront also calls the Management API (client credentials): link_with takes ID tokens issued
// to the client that calls. Its back-channel logout endpoint hears when a linked user's sessions end.
const storefront = (backchannel_logout_uri: string) => ({
  client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, client_name: 'Test Storefront', redirect_uris: [STOREFRONT.redirect_uri],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], grants: [{ scope: ['update:users'] }], backchannel_logout_uri,
});

describe('linking user accounts through the Management API (POST /users/{id}/identities)', () => {
  let world: SocialWorld;
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;
  const tokens: Record<string, string> = {};
  let serial = 0;
  before(async () => {
    receiver = await startLogoutReceiver();
    world = await startSocialWorld({
      clients: [storefront(`${receiver.url}/ok`), ...CLIENTS.map(m2mClientConfig)],
      dashboard: { admins: [ADMIN_EMAIL], roles: { admin: ['read:users', 'update:users'], marketing: ['read:users'] } },
      admin_api: { rate_limit: { requests: 10_000 } },
    });
    for (const c of CLIENTS) tokens[c.client_id] = (await managementToken(world.insole, c)).access_token;
  });
  after(async () => { await world.close(); await receiver.close(); });
  beforeEach(() => healAll(world));

  const users = () => usersOf(world.insole);
  const stored = (userId: string) => users().findOne({ user_id: userId }) as Promise<UserDoc | null>;
  const linkPath = (userId: string) => `/users/${encodeURIComponent(userId)}/identities`;
  const link = (who: { client_id: string }, userId: string, body: unknown) => api(world.insole, tokens[who.client_id], 'POST', linkPath(userId), body);
  const apiEvents = (userId: string) => world.insole.db.collection('logs').find({ user_id: userId, type: { $in: ['sapi', 'fapi'] } }).sort({ log_id: 1 }).toArray();
  const identityKeys = (user: Pick<UserDoc, 'identities'> | null) => (user?.identities ?? []).map((i) => `${i.provider}|${i.user_id}`);
  /** The logout token the storefront was sent when `userId`'s sessions ended. */
  const logoutTokenOf = (userId: string) => until(`a back-channel logout for ${userId}`, () => receiver.received.find((r) => r.logoutToken && decodeJwt(r.logoutToken).sub === userId)?.logoutToken);

  /** A password user seeded in the database. */
  async function seedPasswordUser(extra: Partial<UserDoc> = {}): Promise<UserDoc> {
    const user = seededUser(9000 + ++serial, { email_verified: true, ...extra });
    await users().insertOne(user as never);
    return user;
  }

  /** A Google user seeded in the database, as a first Google sign-in makes it (the sub: the fake Google's account, when it is to sign in). */
  async function seedGoogleUser(sub = `g${Date.now()}${++serial}`, extra: Partial<UserDoc> = {}): Promise<UserDoc> {
    const now = new Date();
    const user: UserDoc = {
      user_id: `google-oauth2|${sub}`, email: `g${sub}@gmail.example`, email_verified: true,
      identities: [{ provider: 'google-oauth2', user_id: sub, connection: 'google-oauth2', isSocial: true }],
      created_at: now, updated_at: now, logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {}, ...extra,
    };
    await users().insertOne(user as never);
    return user;
  }

  /** The Google account of the fake provider signs in on the storefront: whose user the storefront gets. */
  async function signInWithGoogle(): Promise<string> {
    const trip = await socialTrip(world.insole, 'google-oauth2');
    return (await storefrontTokens(trip, trip.landing)).claims()!.sub;
  }

  test('a Google user linked into a password user: its identity (sealed tokens too) moves, it is gone, and Google then signs in to the primary', async () => {
    const email = `runner.${Date.now()}@innovashoes.example`;
    const primaryId = (await signInForTokens(world.insole.issuer, { email, password: 'heel toe heel toe marathon' }, 'signup')).tokens.claims()!.sub;
    const google = freshGoogle(world);
    const secondaryId = await signInWithGoogle();
    assert.equal(secondaryId, `google-oauth2|${google.sub}`, 'a user of its own first');
    await users().updateOne({ user_id: secondaryId }, { $set: { user_metadata: { shoe_size: 45 }, app_metadata: { plan: 'gold' } } });
    const secondary = (await users().findOne({ user_id: secondaryId }))!;
    const before = (await stored(primaryId))!;

    const res = await link(LINKER, primaryId, { provider: 'google-oauth2', user_id: google.sub });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body, [
      { provider: 'auth0', user_id: primaryId.slice('auth0|'.length), connection: 'Username-Password-Authentication', isSocial: false },
      { provider: 'google-oauth2', user_id: google.sub, connection: 'google-oauth2', isSocial: true },
    ], 'the identities, without provider tokens or profile data');

    assert.equal(await stored(secondaryId), null, 'the secondary user no longer exists');
    assert.ok(await logoutTokenOf(secondaryId), 'its sessions ended: the storefront was told (back-channel logout)');
    const primary = (await stored(primaryId))!;
    assert.deepEqual([primary.email, primary.user_metadata, primary.app_metadata], [email, before.user_metadata, before.app_metadata], 'nothing of the secondary\'s profile or metadata merged');
    assert.deepEqual(openSealedTokens(world.insole, primary.identities[1].sealed_tokens!), openSealedTokens(world.insole, secondary.identities[0].sealed_tokens), 'the provider tokens moved with it');
    const facts = (user: UserDoc) => user.facts as unknown as { rev: number; connections: string[] };
    assert.ok(facts(primary).rev > facts(before).rev, 'written through the user changes');
    assert.deepEqual(facts(primary).connections, ['Username-Password-Authentication', 'google-oauth2'], 'facts follow the new identities');

    assert.equal(await signInWithGoogle(), primaryId, 'Google signs in to the primary now');
    assert.equal(await users().countDocuments({ 'identities.user_id': google.sub }), 1, 'and no user was made for it');
    const events = await world.insole.db.collection('logs').find({ user_id: primaryId, type: { $in: ['sapi', 'link'] } }).sort({ log_id: 1 }).toArray();
    assert.deepEqual(events.map((e) => [e.type, e.description]), [['link', 'Account Linked'], ['sapi', 'Link a User Account']]);
    assert.deepEqual([events[0].details.linked, events[0].details.by], [secondaryId, `api:${LINKER.client_id}`]);
    assert.equal(events[1].client_id, LINKER.client_id);
  });

  test('a secondary with linked identities moves whole; the whole user_id and a number are accepted as Auth0\'s user_id', async () => {
    const primary = await seedPasswordUser();
    const secondary = await seedGoogleUser('4242');
    const facebook = { provider: 'facebook', user_id: `fb${serial}`, connection: 'facebook', isSocial: true };
    await users().updateOne({ user_id: secondary.user_id }, { $push: { identities: facebook } } as never);
    const res = await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: 4242 });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(identityKeys(await stored(primary.user_id)), [`auth0|${primary.identities[0].user_id}`, 'google-oauth2|4242', `facebook|${facebook.user_id}`]);
    assert.equal(await stored(secondary.user_id), null);

    const other = await seedGoogleUser();
    assert.equal((await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: other.user_id })).status, 201);
    assert.equal(identityKeys(await stored(primary.user_id)).length, 4);
  });

  test('refusals answer 4xx, write nothing and are fapi events', async () => {
    const primary = await seedPasswordUser({ user_metadata: { shoe_size: 41 } });
    const secondary = await seedGoogleUser();
    const password = await seedPasswordUser();
    const migrated = `migrated${++serial}`; // a password user a migration stored without identities
    await users().insertOne({ user_id: `auth0|${migrated}`, email: `${migrated}@innovashoes.example`, created_at: new Date() });
    const sub = secondary.identities[0].user_id;
    const named = { provider: 'google-oauth2', user_id: sub };
    const snapshot = async () => [await stored(primary.user_id), await stored(secondary.user_id), await stored(password.user_id)];
    const was = await snapshot();
    const refusals = [
      [LINKER, { provider: 'google-oauth2', user_id: 'nobody' }, 400, /The secondary user does not exist: no user signs in with google-oauth2\|nobody/],
      [LINKER, { provider: 'auth0', user_id: migrated }, 400, /A password \(database\) user cannot be the secondary/],
      [LINKER, { provider: 'auth0', user_id: primary.identities[0].user_id }, 400, /cannot be linked to itself/],
      [LINKER, { provider: 'auth0', user_id: password.identities[0].user_id }, 400, /A password \(database\) user cannot be the secondary/],
      [LINKER, { link_with: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' }, 400, /link_with is not a valid ID token for this client/],
      [LINKER, { link_with: 'x', ...named }, 400, /link_with cannot be sent with provider, user_id or connection_id/],
      [LINKER, {}, 400, /provider and user_id \(or link_with\) are required/],
      [LINKER, { provider: { $gt: '' }, user_id: sub }, 400, /provider/],
      [LINKER, { ...named, connection_id: 'facebook' }, 400, /is in connection google-oauth2, not facebook/],
      [LINKER, { ...named, primary: true }, 400, /primary/],
      [READER, named, 403, /expected any of: update:users/],
    ] as const;
    for (const [who, body, status, message] of refusals) {
      const res = await link(who, primary.user_id, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
    assert.deepEqual(await snapshot(), was, 'nothing written');
    const events = await apiEvents(primary.user_id);
    assert.deepEqual(events.map((e) => [e.type, e.details.response.statusCode]), refusals.map(([, , status]) => ['fapi', status]));

    const unknown = await link(LINKER, 'auth0|nobody', named);
    assert.deepEqual([unknown.status, unknown.body.errorCode], [404, 'inexistent_user']);
    assert.deepEqual(await snapshot(), was);
  });

  test('a blocked secondary (blocked, or brute-force blocks in blocked_for) is a 400 writing nothing: its Google still cannot sign in', async () => {
    const primary = await seedPasswordUser();
    const google = freshGoogle(world);
    const blocked = await seedGoogleUser(google.sub, { blocked: true });
    const throttled = await seedGoogleUser(undefined, { blocked_for: [{ identifier: 'someone@innovashoes.example', ip: '10.0.0.9' }] });
    const was = [await stored(primary.user_id), await stored(blocked.user_id), await stored(throttled.user_id)];
    for (const [secondary, message] of [[blocked, /is blocked: linking it would let it sign in again as the primary/], [throttled, /is blocked \(brute-force blocks in blocked_for\)/]] as const) {
      const res = await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: secondary.identities[0].user_id });
      assert.deepEqual([res.status, res.body.errorCode], [400, 'operation_not_supported'], JSON.stringify(res.body));
      assert.match(res.body.message, message);
    }
    assert.deepEqual([await stored(primary.user_id), await stored(blocked.user_id), await stored(throttled.user_id)], was, 'nothing written');
    const trip = await socialTrip(world.insole, 'google-oauth2');
    assert.deepEqual([trip.landing.status, trip.landing.left], [403, undefined], 'the blocked Google account still cannot sign in');
  });

  test('a blocked primary (an admin\'s block) is a 400 writing nothing: the secondary stays whole and its Google still signs in to it', async () => {
    const primary = await seedPasswordUser({ blocked: true });
    const google = freshGoogle(world);
    const secondary = await seedGoogleUser(google.sub);
    const was = [await stored(primary.user_id), await stored(secondary.user_id)];
    const res = await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: google.sub });
    assert.deepEqual([res.status, res.body.errorCode], [400, 'operation_not_supported'], JSON.stringify(res.body));
    assert.equal(res.body.message, `The primary user ${primary.user_id} is blocked: the secondary's identities would move into an account that cannot sign in, `
      + 'and the secondary would be deleted. Unblock it first if that is meant.');
    assert.deepEqual([await stored(primary.user_id), await stored(secondary.user_id)], was, 'nothing written (no claim on the secondary either)');
    assert.equal(await signInWithGoogle(), secondary.user_id);
  });

  test('link_with: the secondary named by its ID token, issued to the client that calls; one for another client, not signed by insole or no ID token is a 400', async () => {
    const primary = await seedPasswordUser();
    const google = freshGoogle(world);
    const trip = await socialTrip(world.insole, 'google-oauth2');
    const idToken = (await storefrontTokens(trip, trip.landing)).id_token!;
    const token = await postBackChannel(world.insole.issuer, '/oauth/token', { grant_type: 'client_credentials', audience: `${world.insole.issuer}/api/v2/` });
    const asStorefront = (body: unknown) => api(world.insole, token.body.access_token as string, 'POST', linkPath(primary.user_id), body);
    // The same claims and key id, signed by a key that is not insole's.
    const { privateKey } = await generateKeyPair('RS256');
    const foreign = await new SignJWT(decodeJwt(idToken)).setProtectedHeader(decodeProtectedHeader(idToken) as { alg: string }).sign(privateKey);

    const refusals = [
      await link(LINKER, primary.user_id, { link_with: idToken }), // issued to the storefront, not to the linker
      await asStorefront({ link_with: foreign }),
      await asStorefront({ link_with: token.body.access_token }), // an access token: for the API, typ at+jwt
      await asStorefront({ link_with: `${idToken.slice(0, -6)}AAAAAA` }),
    ];
    for (const res of refusals) {
      assert.deepEqual([res.status, res.body.errorCode], [400, 'invalid_body']);
      assert.match(res.body.message, /link_with is not a valid ID token for this client: it must be issued by insole to the client that calls \(aud\)/);
    }
    assert.ok(await stored(`google-oauth2|${google.sub}`), 'nothing written');

    const res = await asStorefront({ link_with: idToken });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(identityKeys(await stored(primary.user_id)).slice(1), [`google-oauth2|${google.sub}`]);
    assert.equal(await stored(`google-oauth2|${google.sub}`), null);

    // A logout token is signed by the same keys for the same client, with a sub: its typ (logout+jwt) tells it apart.
    const logoutToken = await logoutTokenOf(`google-oauth2|${google.sub}`);
    const refused = await api(world.insole, token.body.access_token as string, 'POST', linkPath((await seedPasswordUser()).user_id), { link_with: logoutToken });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /link_with is not a valid ID token for this client/);
  });

  test('one secondary linked into two primaries at once: one link wins, the other is refused (409, or 400 once the secondary is gone), and the identity is on one user', async () => {
    const [first, second] = [await seedPasswordUser(), await seedPasswordUser()];
    const secondary = await seedGoogleUser();
    const body = { provider: 'google-oauth2', user_id: secondary.identities[0].user_id };
    const answers = await Promise.all([link(LINKER, first.user_id, body), link(LINKER, second.user_id, body)]);
    // The loser is a 409 while the winner holds the claim, or a 400 once the winner has deleted the
    // secondary (a loaded machine can run the two one after the other): never a second 201.
    const [winner, loser] = [answers.filter((a) => a.status === 201), answers.filter((a) => a.status !== 201)];
    assert.equal(winner.length, 1, `exactly one link succeeds: ${answers.map((a) => a.status)}`);
    assert.ok([409, 400].includes(loser[0].status), `the other is refused: ${loser[0].status}`);
    assert.match(loser[0].body.message, loser[0].status === 409 ? /is being linked to another user/ : /secondary user does not exist/);
    assert.equal(await users().countDocuments({ 'identities.user_id': body.user_id }), 1);
  });

  test('an identity already on the primary is a 409', async () => {
    const primary = await seedPasswordUser();
    const secondary = await seedGoogleUser();
    assert.equal((await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: secondary.identities[0].user_id })).status, 201);
    const again = await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: secondary.identities[0].user_id });
    assert.deepEqual([again.status, again.body.errorCode, again.body.message], [409, 'identity_already_linked', `The identity ${secondary.user_id} is already linked to this user.`]);
    assert.equal(identityKeys(await stored(primary.user_id)).length, 2);
  });


  test('a primary a migration stored without identities keeps its own identity first: Google then signs in without rewriting its profile, and can be unlinked', async () => {
    const primaryId = `auth0|migrated${++serial}`;
    await users().insertOne({ user_id: primaryId, email: `migrated${serial}@innovashoes.example`, name: 'Migrated Runner', created_at: new Date('2025-03-01T10:00:00Z') });
    const google = freshGoogle(world);
    await seedGoogleUser(google.sub);
    const res = await link(LINKER, primaryId, { provider: 'google-oauth2', user_id: google.sub });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body, [
      { provider: 'auth0', user_id: primaryId.slice('auth0|'.length), connection: 'Username-Password-Authentication', isSocial: false },
      { provider: 'google-oauth2', user_id: google.sub, connection: 'google-oauth2', isSocial: true },
    ], 'its main identity, named by its user_id, stays identities[0]');

    assert.equal(await signInWithGoogle(), primaryId);
    assert.equal((await stored(primaryId))!.name, 'Migrated Runner', 'a secondary identity\'s sign-in does not rewrite the root profile');
    const unlink = await api(world.insole, tokens[LINKER.client_id], 'DELETE', `${linkPath(primaryId)}/google-oauth2/${google.sub}`);
    assert.equal(unlink.status, 200, JSON.stringify(unlink.body));
    assert.deepEqual(identityKeys(await stored(primaryId)), [primaryId]);
  });

  test('a secondary a migration stored without identities moves its main identity, named by its user_id, and Google then signs in to the primary', async () => {
    const primary = await seedPasswordUser();
    const google = freshGoogle(world);
    const secondaryId = `google-oauth2|${google.sub}`;
    await users().insertOne({ user_id: secondaryId, email: 'migrated.google@innovashoes.example', created_at: new Date('2025-03-01T10:00:00Z') });
    const res = await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: google.sub });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(identityKeys(await stored(primary.user_id)), [primary.user_id, secondaryId]);
    assert.equal(await stored(secondaryId), null);
    assert.equal(await signInWithGoogle(), primary.user_id);
  });
  test('roles: a primary with dashboard roles needs create:role_members, a secondary with roles delete:role_members (admin by dashboard.admins included)', async () => {
    const admin = await seedPasswordUser({ app_metadata: { roles: ['admin'] } });
    const attacker = await seedGoogleUser();
    const named = { provider: 'google-oauth2', user_id: attacker.identities[0].user_id };
    const takeover = await link(LINKER, admin.user_id, named);
    assert.equal(takeover.status, 403);
    assert.match(takeover.body.message, /change the identities of a user with dashboard roles \(admin\): expected create:role_members/);
    assert.deepEqual([identityKeys(await stored(admin.user_id)).length, Boolean(await stored(attacker.user_id))], [1, true], 'nothing written');
    assert.equal((await link(GRANTER, admin.user_id, named)).status, 201);

    const shopper = await seedPasswordUser();
    for (const holder of [await seedGoogleUser(undefined, { app_metadata: { roles: ['marketing'] } }), await seedGoogleUser(undefined, { email: ADMIN_EMAIL })]) {
      const body = { provider: 'google-oauth2', user_id: holder.identities[0].user_id };
      const refused = await link(LINKER, shopper.user_id, body);
      assert.equal(refused.status, 403);
      assert.match(refused.body.message, /expected delete:role_members \(it would take away the role (marketing|admin)\)/);
      assert.ok(await stored(holder.user_id), 'the role holder is still there');
      assert.equal((await link(REMOVER, shopper.user_id, body)).status, 201);
    }
  });

  test('a move cut short after its first write (identities on both users): sign-ins go to the primary, and the same request finishes it', async () => {
    const google = freshGoogle(world);
    const facebook = freshFacebook(world);
    // The secondary first: read in natural order, it would be the first of the two holders found.
    const secondary = await seedGoogleUser(google.sub);
    const primary = await seedPasswordUser();
    const second = { provider: 'facebook', user_id: facebook.id, connection: 'facebook', isSocial: true };
    await users().updateOne({ user_id: secondary.user_id }, { $push: { identities: second } } as never);
    // The state the first write leaves: the secondary's identities added to the primary, the secondary not deleted yet.
    await users().updateOne({ user_id: primary.user_id }, { $push: { identities: { $each: [secondary.identities[0], second] } } } as never);

    assert.equal(await signInWithGoogle(), primary.user_id, 'the main identity of the secondary signs in to the primary');
    const trip = await socialTrip(world.insole, 'facebook');
    assert.equal((await storefrontTokens(trip, trip.landing)).claims()!.sub, primary.user_id, 'and so does its linked one');

    const res = await link(LINKER, primary.user_id, { provider: 'google-oauth2', user_id: google.sub });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(identityKeys(await stored(primary.user_id)), [`auth0|${primary.identities[0].user_id}`, `google-oauth2|${google.sub}`, `facebook|${facebook.id}`], 'each once');
    assert.equal(await stored(secondary.user_id), null);
  });

  test('a link cut short whose primary was then deleted does not hold the secondary: it links into another user', async () => {
    const secondary = await seedGoogleUser();
    const gone = await seedPasswordUser();
    const other = await seedPasswordUser();
    // What a link into `gone` leaves when it stops after its claim (a crash, a 503 never sent again) and `gone` is deleted.
    await users().updateOne({ user_id: secondary.user_id }, { $set: { linked_to: gone.user_id } });
    await users().deleteOne({ user_id: gone.user_id });
    const named = { provider: 'google-oauth2', user_id: secondary.identities[0].user_id };
    const res = await link(LINKER, other.user_id, named);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(identityKeys(await stored(other.user_id)), [`auth0|${other.identities[0].user_id}`, secondary.user_id]);
    assert.equal(await stored(secondary.user_id), null);
    // A claim whose primary exists still holds: a link into a third user is refused and writes nothing.
    const held = await seedGoogleUser();
    await users().updateOne({ user_id: held.user_id }, { $set: { linked_to: other.user_id } });
    const third = await seedPasswordUser();
    const refused = await link(LINKER, third.user_id, { provider: 'google-oauth2', user_id: held.identities[0].user_id });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal((await stored(held.user_id))?.linked_to, other.user_id);
  });

  test('a secondary whose sign-in log is still waiting in it is not deleted (the log would be lost): a 503, and sent again once it moved, the link finishes', async () => {
    const primary = await seedPasswordUser();
    const secondary = await seedGoogleUser(undefined, { pending_logs: [{ log_id: `90${Date.now()}`, type: 's', date: new Date(), user_id: 'x' } as never] });
    const named = { provider: 'google-oauth2', user_id: secondary.identities[0].user_id };
    const cut = await link(LINKER, primary.user_id, named);
    assert.deepEqual([cut.status, cut.headers.get('retry-after')], [503, '5']);
    assert.match(cut.body.message, /send the same request again to finish the link/);
    assert.ok(await stored(secondary.user_id), 'not deleted with its log');
    assert.deepEqual(identityKeys(await stored(primary.user_id)).slice(1), [secondary.user_id], 'its identity is on the primary already');

    await users().updateOne({ user_id: secondary.user_id }, { $unset: { pending_logs: '' } }); // as the log outbox moves it
    assert.equal((await link(LINKER, primary.user_id, named)).status, 201);
    assert.equal(await stored(secondary.user_id), null);
    assert.equal(identityKeys(await stored(primary.user_id)).length, 2);
  });
});
