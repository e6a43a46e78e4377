import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deriveFacts } from '../src/insight/facts/user-facts.ts';
import { startFakeFullContact, fullContactPerson, type FakeFullContact } from './fakes/fake-fullcontact.ts';
import { hookSettings, newShopper, until, userByEmail } from './support/hooks.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { bindEventQueue, AMQP_URL, type EventQueue, type ReceivedEvent } from './support/rabbitmq.ts';
import { signInForTokens } from './support/relying-party.ts';
import { signUpVerified } from './support/verified-signup.ts';

const ADMIN = { client_id: 'insight-admin', client_secret: 'insight-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users'] };
const DAY = 86_400_000;

/** The facts as production derives them from the stored profile (the lifecycle and the rest aside). */
function recomputed(insole: TestInsole, user: Parameters<typeof deriveFacts>[0]) {
  const { lifecycle: _l, active_weeks: _w, segments: _s, rev: _r, computed_at: _c, ...stored } = user.facts as unknown as Record<string, unknown>;
  const { computed_at: _c2, ...fresh } = deriveFacts(user, {
    vocabulary: insole.config.insight.interests, now: new Date(), enrichmentEnabled: insole.config.hooks.fullcontact.enabled, sentimentThresholds: insole.config.hooks.sentiment,
  }) as unknown as Record<string, unknown>;
  return { stored, fresh };
}

describe('insight: facts are written with every change of the profile, and their events reach RabbitMQ', () => {
  let fullcontact: FakeFullContact;
  let insole: TestInsole;
  let queue: EventQueue;
  let token: string;
  const received: ReceivedEvent[] = [];
  const eventsOf = async (userId: string) => {
    received.push(...await queue.drain());
    return received.filter((e) => e.body.user_id === userId);
  };

  before(async () => {
    fullcontact = await startFakeFullContact();
    queue = await bindEventQueue('lifecycle.#');
    insole = await startTestInsole({
      ...hookSettings({ fullcontact }),
      events: { amqp_url: AMQP_URL, poll_ms: 50 },
      insight: { events_poll_ms: 50 },
      clients: [m2mClientConfig(ADMIN), { client_id: 'test-storefront', client_secret: 'test-storefront-secret-0123456789', redirect_uris: ['http://127.0.0.1:4999/callback'] }],
    });
    token = (await managementToken(insole, ADMIN)).access_token;
  });
  after(async () => { await insole.stop(); await queue.close(); await fullcontact.close(); });

  test('a sign-up stores facts and lifecycle new; FullContact enrichment updates them in the same write; a lifecycle.new event is published', async () => {
    const shopper = newShopper('facts');
    fullcontact.know(shopper.email, fullContactPerson({ email: shopper.email, gender: 'Male', ageRange: '30-39' }));
    await signUpVerified(insole, shopper);
    const enriched = await until('enrichment', async () => {
      const user = await userByEmail(insole, shopper.email);
      return user?.app_metadata?.fullcontact?.status === 'matched' && user;
    });
    assert.equal(enriched.facts.gender, 'male');
    assert.ok(enriched.facts.interest_keys.includes('fitness'), `interest keys ${enriched.facts.interest_keys}`);
    assert.equal(enriched.facts.enrichment, 'matched');
    assert.equal(enriched.facts.lifecycle.state, 'new');
    assert.deepEqual(enriched.facts.active_weeks, [0]);
    const { stored, fresh } = recomputed(insole, enriched as never);
    assert.deepEqual(stored, fresh, 'the stored facts are what the stored profile says');

    const events = await until('lifecycle.new on the broker', async () => {
      const mine = await eventsOf(enriched.user_id);
      return mine.length > 0 && mine;
    });
    assert.deepEqual(events.map((e) => e.routingKey), ['lifecycle.new']);
    assert.equal(events[0].body.type, 'lifecycle.new');
    assert.equal(typeof events[0].body.log_id, 'string');
    assert.deepEqual((await insole.db.collection('users').findOne({ user_id: enriched.user_id }))!.pending_events, [], 'moved out of the user');
  });

  test('the Management API: a metadata change moves the facts in the same write', async () => {
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'facts.api@innovashoes.example', password: 'a long api secret', email_verified: true, verify_email: false });
    const id = encodeURIComponent(created.body.user_id);
    await api(insole, token, 'PATCH', `/users/${id}`, { app_metadata: { age: 27, gender: 'female' } });
    const user = (await insole.db.collection('users').findOne({ user_id: created.body.user_id }))!;
    assert.equal(user.facts.gender, 'female');
    assert.equal(user.facts.age_source, 'age');
    // The Auth0 profile never shows them; asked for, the API does.
    assert.equal((await api(insole, token, 'GET', `/users/${id}`)).body.facts, undefined);
    const withFacts = (await api(insole, token, 'GET', `/users/${id}?include_facts=true`)).body;
    assert.equal(withFacts.facts.gender, 'female');
    assert.equal(withFacts.facts.lifecycle.state, 'new');
    assert.equal(withFacts.facts.rev, undefined, 'the write revision is internal');
    const { stored, fresh } = recomputed(insole, user as never);
    assert.deepEqual(stored, fresh);
  });

  test('time alone: the sweep turns a silent sign-up into never_returned, and the next sign-in reactivates it; each an event', async () => {
    const shopper = newShopper('winback');
    await signInForTokens(insole.issuer, shopper, 'signup');
    const user = (await userByEmail(insole, shopper.email))!;
    // The shopper signed up 20 days ago (as far as the database knows).
    const past = new Date(Date.now() - 20 * DAY);
    await insole.db.collection('users').updateOne({ user_id: user.user_id }, { $set: { created_at: past, last_login: past, 'facts.lifecycle.since': past } });
    assert.ok((await insole.insight.sweepNow()).lifecycle >= 1);
    assert.equal((await userByEmail(insole, shopper.email))!.facts.lifecycle.state, 'never_returned');
    assert.equal((await insole.insight.sweepNow()).lifecycle, 0, "a second sweep finds nothing to do");

    await signInForTokens(insole.issuer, shopper);
    const back = (await userByEmail(insole, shopper.email))!;
    assert.equal(back.facts.lifecycle.state, 'reactivated');
    assert.deepEqual(back.facts.active_weeks, [0, 2], 'signed in the sign-up week and again two weeks later');
    const types = await until('three lifecycle events', async () => {
      const mine = (await eventsOf(user.user_id)).map((e) => e.routingKey);
      return mine.length >= 3 && mine;
    });
    assert.deepEqual(types, ['lifecycle.new', 'lifecycle.never_returned', 'lifecycle.reactivated']);
  });

  test('concurrent writes of one user: none is lost and the facts describe the final profile', async () => {
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'facts.race@innovashoes.example', password: 'race you to the top', email_verified: true, verify_email: false });
    const id = encodeURIComponent(created.body.user_id);
    const patches = Array.from({ length: 8 }, (_, i) => api(insole, token, 'PATCH', `/users/${id}`, { user_metadata: { [`k${i}`]: i } }));
    const signIns = Array.from({ length: 3 }, () => signInForTokens(insole.issuer, { email: 'facts.race@innovashoes.example', password: 'race you to the top' }));
    await Promise.all([...patches, ...signIns]);
    // The first sign-in also queued FullContact, which does not know this shopper: one more write.
    const user = await until('FullContact\'s answer', async () => {
      const found = await insole.db.collection('users').findOne({ user_id: created.body.user_id });
      return found?.app_metadata?.fullcontact?.status === 'no_match' && found;
    });
    assert.deepEqual(Object.keys(user.user_metadata).sort(), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    assert.equal(user.logins_count, 3);
    assert.equal(user.facts.rev, 13, 'one facts revision per write: the insert, 8 patches, 3 sign-ins, the enrichment');
    assert.equal(user.facts.enrichment, 'no_match');
    const { stored, fresh } = recomputed(insole, user as never);
    assert.deepEqual(stored, fresh);
  });
});
