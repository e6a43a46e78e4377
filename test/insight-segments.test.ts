import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import { fullContactPerson } from './fakes/fake-fullcontact.ts';
import { until } from './support/hooks.ts';
import { captureLogs } from './support/log-capture.ts';
import { exportThroughApi, seededUser, seedUsers } from './support/user-jobs.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { AMQP_URL, bindEventQueue, type EventQueue, type ReceivedEvent } from './support/rabbitmq.ts';

const ADMIN = { client_id: 'segments-admin', client_secret: 'segments-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'read:segments', 'update:segments'] };
const READER = { client_id: 'segments-reader', client_secret: 'segments-reader-secret-0123456789abcdef', scopes: ['read:segments'] };
const DAY = 86_400_000;
const RUN = `${process.pid}${Date.now().toString(36)}`;

/** What FullContact (through the durable hook) says about a shopper, with the check made now. */
const enrichment = (email: string, gender: string, interests?: { name: string; category?: string }[]) => ({
  user_metadata: { fullcontact: fullContactPerson({ email, gender, ageRange: '30-39', ...(interests ? { interests } : {}) }) },
  app_metadata: { fullcontact: { status: 'matched', checked_at: new Date().toISOString() } },
});

describe('saved segments: kept current with every change, with enter/exit events on RabbitMQ', () => {
  const database = testDatabaseUri();
  let insole: TestInsole;
  let token: string;
  let queue: EventQueue;
  const received: ReceivedEvent[] = [];
  const eventsFor = async (segmentId: string) => {
    received.push(...await queue.drain());
    return received.filter((e) => (e.body.details as { segment_id?: string }).segment_id === segmentId).map((e) => [e.routingKey, e.body.user_id]);
  };
  const createUser = async (name: string) => (await api(insole, token, 'POST', '/users', {
    connection: 'Username-Password-Authentication', email: `${name}.${RUN}@innovashoes.example`, password: `${name} runs the long way home`, email_verified: true, verify_email: false,
  })).body as { user_id: string; email: string };
  const patch = (userId: string, body: object) => api(insole, token, 'PATCH', `/users/${encodeURIComponent(userId)}`, body);
  const calculated = (id: string) => until(`segment ${id} calculated`, async () => {
    const res = await api(insole, token, 'GET', `/segments/${id}`);
    return !res.body.is_calculating && res.body;
  });

  before(async () => {
    queue = await bindEventQueue('segment.#');
    insole = await startTestInsole({
      events: { amqp_url: AMQP_URL, poll_ms: 50 }, insight: { events_poll_ms: 50 },
      // Many Admin API calls in a row, the concurrent creates most of all: more than the default 50 a second.
      admin_api: { rate_limit: { requests: 1000 } },
      clients: [m2mClientConfig(ADMIN), m2mClientConfig(READER)],
    }, database);
    token = (await managementToken(insole, ADMIN)).access_token;
  });
  after(async () => { await insole.stop(); await queue.close(); });

  test('the pre-order segment: the first calculation is silent; shoppers enter and leave as their profiles change', async () => {
    const [runner, woman, casual] = [await createUser('runner'), await createUser('woman'), await createUser('casual')];
    await patch(runner.user_id, enrichment(runner.email, 'Male'));
    await patch(woman.user_id, enrichment(woman.email, 'Female'));
    await patch(casual.user_id, enrichment(casual.email, 'Male', [{ name: 'Chess', category: 'Games' }]));

    const created = await api(insole, token, 'POST', '/segments', { name: 'Pre-order: running shoe', key: `preorder-${RUN}`, filter: PREORDER_SEGMENT_FILTER });
    assert.equal(created.status, 201);
    assert.equal(created.body.is_calculating, true);
    assert.equal(created.body.filter_text, 'men aged 20–40 interested in fitness');
    const id = created.body.id as string;
    const segment = await calculated(id);
    assert.equal(segment.count, 1);
    assert.ok(segment.last_calculated_at);

    // The casual shopper takes up running: enters. The runner's profile now says female: leaves.
    await patch(casual.user_id, enrichment(casual.email, 'Male', [{ name: 'Marathon Training', category: 'Sports & Recreation' }]));
    await patch(runner.user_id, { app_metadata: { gender: 'female' } });
    const events = await until('two segment events', async () => {
      const mine = await eventsFor(id);
      return mine.length >= 2 && mine;
    });
    // Two shoppers' events: nothing orders one shopper's against the other's.
    assert.deepEqual(events.sort(), [['segment.entered', casual.user_id], ['segment.exited', runner.user_id]], 'none for the first calculation, one per change');
    const message = received.find((e) => e.routingKey === 'segment.entered')!;
    assert.equal((message.body.details as Record<string, unknown>).segment_key, `preorder-${RUN}`);

    const now = (await api(insole, token, 'GET', `/segments/${id}`)).body;
    assert.equal(now.count, 1);
    assert.deepEqual(now.recent, { ...now.recent, entered: 1, exited: 1 });
    const members = await api(insole, token, 'GET', `/segments/${id}/members`);
    assert.deepEqual(members.body.map((u: { user_id: string }) => u.user_id), [casual.user_id]);
    void woman;
  });

  test('a time-based segment: the sweep moves shoppers out when time passes, with an event', async () => {
    const shopper = await createUser('recent');
    await patch(shopper.user_id, { app_metadata: { plan: 'gold' } });
    const created = await api(insole, token, 'POST', '/segments', { name: 'Gold, signed up this week', filter: { signed_up: { within_days: 7 }, q: 'app_metadata.plan:gold' } });
    const id = created.body.id as string;
    assert.equal((await calculated(id)).count, 1);
    const moved = await insole.insight.sweepNow(new Date(Date.now() + 8 * DAY));
    assert.ok(moved.segments >= 1);
    assert.deepEqual(await until('the exit event', async () => {
      const mine = await eventsFor(id);
      return mine.length > 0 && mine;
    }), [['segment.exited', shopper.user_id]]);
  });

  test('a stored segment that no longer compiles (a q saved before __proto__ paths were refused) does not stop the sweep of the others', async () => {
    const broken = `seg_${'0bad'.repeat(6)}`;
    const long = new Date(Date.now() - 30 * DAY);
    await insole.db.collection('segments').insertOne({
      _id: broken, key: `broken-${RUN}`, name: `Broken ${RUN}`, type: 'dynamic', filter: { q: 'user_metadata.__proto__:x' },
      created_at: long, updated_at: long, version: 1, is_calculating: false,
    } as never);
    try {
      const shopper = await createUser('swept');
      await patch(shopper.user_id, { app_metadata: { plan: 'silver' } });
      const created = await api(insole, token, 'POST', '/segments', { name: 'Silver, signed up this week', filter: { signed_up: { within_days: 7 }, q: 'app_metadata.plan:silver' } });
      const id = created.body.id as string;
      assert.equal((await calculated(id)).count, 1);
      await insole.insight.sweepNow(new Date(Date.now() + 8 * DAY));
      assert.deepEqual(await until('the exit event', async () => {
        const mine = await eventsFor(id);
        return mine.length > 0 && mine;
      }), [['segment.exited', shopper.user_id]]);
    } finally {
      await insole.db.collection('segments').deleteOne({ _id: broken as never });
    }
  });

  test('PATCH takes a new q (or filter): calculated again without events, then kept current and swept by the new definition', async () => {
    const [gold, silver] = [await createUser('patchgold'), await createUser('patchsilver')];
    await patch(gold.user_id, { app_metadata: { plan: `gold-${RUN}` } });
    await patch(silver.user_id, { app_metadata: { plan: `silver-${RUN}` } });
    const id = (await api(insole, token, 'POST', '/segments', { name: `Plan ${RUN}`, q: `app_metadata.plan:gold-${RUN}` })).body.id as string;
    assert.equal((await calculated(id)).count, 1);

    const changed = await api(insole, token, 'PATCH', `/segments/${id}`, { q: `app_metadata.plan:silver-${RUN}` });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual([changed.body.is_calculating, changed.body.filter], [true, { q: `app_metadata.plan:silver-${RUN}` }]);
    assert.equal((await calculated(id)).count, 1);
    const members = await api(insole, token, 'GET', `/segments/${id}/members`);
    assert.deepEqual(members.body.map((u: { user_id: string }) => u.user_id), [silver.user_id], 'the new definition\'s members');

    // Profile writes follow the new q: the gold shopper turning silver enters, the only event so far
    // (the recalculation that moved both shoppers emitted none).
    await patch(gold.user_id, { app_metadata: { plan: `silver-${RUN}` } });
    assert.deepEqual(await until('the enter event', async () => {
      const mine = await eventsFor(id);
      return mine.length > 0 && mine;
    }), [['segment.entered', gold.user_id]]);

    // A time-based filter given by PATCH: the sweep moves both out once the week has passed.
    const timed = await api(insole, token, 'PATCH', `/segments/${id}`, { filter: { signed_up: { within_days: 7 }, q: `app_metadata.plan:silver-${RUN}` } });
    assert.equal(timed.status, 200);
    assert.equal((await calculated(id)).count, 2);
    await insole.insight.sweepNow(new Date(Date.now() + 8 * DAY));
    assert.deepEqual((await until('two exit events', async () => {
      const exits = (await eventsFor(id)).filter(([type]) => type === 'segment.exited');
      return exits.length >= 2 && exits;
    })).sort(), [['segment.exited', gold.user_id], ['segment.exited', silver.user_id]].sort());
  });

  test('PATCH of a definition is checked as POST\'s: one of filter, q or user_ids, matching the segment\'s type; a refusal changes nothing', async () => {
    const dynamic = (await api(insole, token, 'POST', '/segments', { name: `Checked ${RUN}`, q: 'app_metadata.plan:gold' })).body;
    const user = await createUser('static1');
    const fixed = (await api(insole, token, 'POST', '/segments', { name: `Fixed ${RUN}`, user_ids: [user.user_id] })).body;
    const refusals: [string, object, RegExp][] = [
      [dynamic.id, { q: 'app_metadata.plan:silver', filter: { gender: 'male' } }, /at most one of filter, q or user_ids/],
      [dynamic.id, { q: 'name:(' }, /q/],
      [dynamic.id, { q: 'user_metadata.__proto__:x' }, /no user_metadata key is named __proto__/],
      [dynamic.id, { user_ids: [user.user_id] }, /A dynamic segment has no user_ids/],
      [dynamic.id, { key: 'renamed' }, /key/],
      [fixed.id, { q: 'app_metadata.plan:gold' }, /A static segment has no filter or q/],
      [fixed.id, { user_ids: [] }, /user_ids/],
    ];
    for (const [id, body, message] of refusals) {
      const before = await insole.db.collection('segments').findOne({ _id: id as never });
      const res = await api(insole, token, 'PATCH', `/segments/${id}`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message, JSON.stringify(body));
      assert.deepEqual(await insole.db.collection('segments').findOne({ _id: id as never }), before, `${JSON.stringify(body)} changed nothing`);
    }

    // A static segment takes new members (all of them), calculated again as a new one is.
    const other = await createUser('static2');
    const moved = await api(insole, token, 'PATCH', `/segments/${fixed.id}`, { user_ids: [other.user_id, other.user_id] });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal((await calculated(fixed.id)).count, 1);
    const members = await api(insole, token, 'GET', `/segments/${fixed.id}/members`);
    assert.deepEqual(members.body.map((u: { user_id: string }) => u.user_id), [other.user_id]);
  });

  test('members page with a cursor and download as CSV; deleting a segment removes it from its members', async () => {
    const users = [await createUser('page1'), await createUser('page2'), await createUser('page3')];
    const created = await api(insole, token, 'POST', '/segments', { name: 'Hand-picked', user_ids: users.map((u) => u.user_id) });
    const id = created.body.id as string;
    assert.equal(created.body.type, 'static');
    assert.equal((await calculated(id)).count, 3);

    const seen: string[] = [];
    let url: string | undefined = `${insole.issuer}/api/v2/segments/${id}/members?take=2`;
    while (url) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      seen.push(...(await res.json() as { user_id: string }[]).map((u) => u.user_id));
      url = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    assert.deepEqual(seen.sort(), users.map((u) => u.user_id).sort());

    const exported = await exportThroughApi(insole, token, { segment_id: id, format: 'json', fields: [{ name: 'user_id' }, { name: 'email' }] });
    assert.equal(exported.job.segment_id, id);
    assert.deepEqual(exported.text.trim().split('\n').map((line) => JSON.parse(line).user_id).sort(), users.map((u) => u.user_id).sort(), 'the export job holds the members only');
    // Its progress (percentage_done, time_left_seconds) is counted against the members, not every user.
    const stored = await insole.db.collection('user_jobs').findOne({ job_id: exported.job.id });
    assert.equal(stored?.total, users.length);

    const csv = await fetch(`${insole.issuer}/api/v2/segments/${id}/members?format=csv`, { headers: { authorization: `Bearer ${token}` } });
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    assert.equal(lines.length, 4, 'a header and three members');
    for (const user of users) assert.ok(lines.some((line) => line.includes(user.email)), user.email);
    // Paging belongs to JSON, as on the report endpoints: csv and ndjson stream every member, so a from or take is refused.
    for (const query of ['format=csv&take=5', 'format=ndjson&take=5&from=x', 'format=csv&from=x']) {
      const refused = await fetch(`${insole.issuer}/api/v2/segments/${id}/members?${query}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(refused.status, 400, query);
      assert.equal((await refused.json() as { errorCode: string }).errorCode, 'invalid_query_string', query);
    }

    assert.equal((await api(insole, token, 'DELETE', `/segments/${id}`)).status, 204);
    assert.equal(await insole.db.collection('users').countDocuments({ 'facts.segments': id }), 0);
    assert.equal((await api(insole, token, 'GET', `/segments/${id}`)).status, 404);
    // An export of a deleted segment, or of one that never was, is refused: not a completed job with an empty file.
    const jobsBefore = await insole.db.collection('user_jobs').countDocuments();
    for (const missing of [id, 'seg_0123456789abcdef01234567']) {
      const refused = await api(insole, token, 'POST', '/jobs/users-exports', { segment_id: missing, format: 'csv' });
      assert.deepEqual(refused.body, { statusCode: 404, error: 'Not Found', message: 'The segment does not exist.', errorCode: 'inexistent_segment' }, missing);
    }
    assert.equal(await insole.db.collection('user_jobs').countDocuments(), jobsBefore, 'no job was created');

    // An instance that had not re-read the segments yet writes the deleted id on a profile: the sweep takes it off.
    const profiles = insole.db.collection('users');
    await profiles.updateOne({ user_id: users[0]!.user_id }, { $addToSet: { 'facts.segments': { $each: [id, 'seg_still_there'] } } });
    await insole.insight.sweepNow();
    assert.deepEqual((await profiles.findOne({ user_id: users[0]!.user_id }))!.facts.segments, ['seg_still_there'], 'only the deleted id is taken off');
    assert.equal(await insole.db.collection('segment_deletions').countDocuments({ _id: id as never }), 1, 'remembered for a day');
    await insole.insight.sweepNow(new Date(Date.now() + 2 * DAY));
    assert.equal(await insole.db.collection('segment_deletions').countDocuments({ _id: id as never }), 0, 'forgotten after a day');
    await profiles.updateOne({ user_id: users[0]!.user_id }, { $pull: { 'facts.segments': 'seg_still_there' } } as never);
  });

  test('a key derived from the name is made unique (non-Latin names all derive "segment"); a key given that is taken, or a name again without a key, is a 409', async () => {
    const create = (body: object) => api(insole, token, 'POST', '/segments', { filter: { gender: 'female' }, ...body });
    const keys: string[] = [];
    for (const name of ['女性', '男性', 'Ženy']) {
      const created = await create({ name });
      assert.equal(created.status, 201, `${name}: ${JSON.stringify(created.body)}`);
      assert.equal(created.body.name, name);
      keys.push(created.body.key);
    }
    assert.equal(new Set(keys).size, 3, keys.join(' '));
    for (const key of keys.slice(0, 2)) assert.match(key, /^segment(-[0-9a-f]{6})?$/);
    const taken = await create({ name: 'Anything', key: keys[1] });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.errorCode, 'segment_conflict');
    const again = await create({ name: '男性' });
    assert.deepEqual([again.status, again.body.errorCode, again.body.message], [409, 'segment_conflict', 'A segment named "男性" exists already.']);
  });

  test('the same request sent several times at once (retries while the first still runs) creates one segment', async () => {
    // Several rounds: in each, some of the requests find no such name before any of them has inserted it.
    for (let round = 0; round < 4; round++) {
      const name = `Retried ${round} ${RUN}`;
      const answers = await Promise.all(Array.from({ length: 5 }, () => api(insole, token, 'POST', '/segments', { name, filter: { gender: 'female' } })));
      assert.deepEqual(answers.map((res) => res.status).sort(), [201, 409, 409, 409, 409], `round ${round}: ${JSON.stringify(answers.map((res) => res.body.key ?? res.body.message))}`);
      assert.equal((await api(insole, token, 'GET', '/segments')).body.filter((segment: { name: string }) => segment.name === name).length, 1);
    }
  });

  test('a q through __proto__ is refused (a 400), not saved to fail every profile write that evaluates it', async () => {
    const user = await createUser('proto');
    for (const q of ['user_metadata.__proto__:x', 'NOT app_metadata.a.__proto__.b:1']) {
      const res = await api(insole, token, 'POST', '/segments', { name: `Proto ${q}`, q });
      assert.deepEqual([res.status, res.body.errorCode], [400, 'invalid_body'], JSON.stringify(res.body));
      assert.match(res.body.message, /no (user|app)_metadata key is named __proto__/);
    }
    assert.equal((await patch(user.user_id, { user_metadata: { shoe_size: 43 } })).status, 200, 'profile writes go on');
  });

  test('scopes: read:segments reads, update:segments changes; hostile filters are refused', async () => {
    const reader = (await managementToken(insole, READER)).access_token;
    assert.equal((await api(insole, reader, 'GET', '/segments')).status, 200);
    const refused = await api(insole, reader, 'POST', '/segments', { name: 'nope', filter: { gender: 'male' } });
    assert.equal(refused.status, 403);
    assert.equal((await api(insole, undefined, 'GET', '/segments')).status, 401);
    for (const body of [{ name: 'x', filter: { gender: { $ne: '' } } }, { name: 'x', filter: { gender: 'male' }, user_ids: ['auth0|1'] }, { name: 'x' }, { name: 'x', filter: { q: 'name:(' } }]) {
      const res = await api(insole, token, 'POST', '/segments', body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
  });
});

describe('segment events wait while no broker is configured, and are published by an instance that has one', () => {
  test('nothing is lost', async () => {
    const database = testDatabaseUri();
    const queue = await bindEventQueue('segment.#');
    const off = await startTestInsole({ insight: { events_poll_ms: 50 }, clients: [m2mClientConfig(ADMIN)] }, database);
    const token = (await managementToken(off, ADMIN)).access_token;
    const user = (await api(off, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: `offline.${RUN}@innovashoes.example`, password: 'offline runner secret', verify_email: false })).body;
    const segment = (await api(off, token, 'POST', '/segments', { name: 'Gold', key: `gold-${RUN}`, filter: { q: 'app_metadata.plan:gold' } })).body;
    await until('calculated', async () => !(await api(off, token, 'GET', `/segments/${segment.id}`)).body.is_calculating);
    await api(off, token, 'PATCH', `/users/${encodeURIComponent(user.user_id)}`, { app_metadata: { plan: 'gold' } });
    await until('the event waits in the outbox', async () => (await off.db.collection('event_outbox').countDocuments({ 'event.type': 'segment.entered', 'event.user_id': user.user_id })) === 1);
    await off.stop();

    const on = await startTestInsole({ events: { amqp_url: AMQP_URL, poll_ms: 50 } }, database);
    try {
      const received = await until('published', async () => {
        const mine = (await queue.drain()).filter((e) => e.body.user_id === user.user_id);
        return mine.length > 0 && mine;
      });
      assert.deepEqual(received.map((e) => e.routingKey), ['segment.entered']);
    } finally {
      await on.stop();
      await queue.close();
    }
  });
});

describe('a members download the client cancels (the dashboard\'s browser leaving)', () => {
  test('ends there, logged as the client leaving: no unhandled server error', async () => {
    const { logger, lines } = captureLogs('info');
    const insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN)], hooks: { enabled: false }, insight: { sweep_seconds: 86_400 } }, testDatabaseUri(), logger);
    try {
      const id = `seg_${'c0ffee'.repeat(4)}`;
      const now = new Date();
      await insole.db.collection('segments').insertOne({ _id: id, key: `cancelled-${RUN}`, name: `Cancelled ${RUN}`, type: 'static', user_ids: [], created_at: now, updated_at: now, version: 1, is_calculating: false } as never);
      // 28 MB of NDJSON (4,000 users with 7 kB of metadata each): far more than the socket buffers
      // hold, so the stream is still running when the client leaves.
      const note = 'n'.repeat(7_000);
      await seedUsers(insole.db, 4_000, (n) => seededUser(n, { user_metadata: { note }, facts: { segments: [id] } } as never));
      const token = (await managementToken(insole, ADMIN)).access_token;
      const abort = new AbortController();
      const res = await fetch(`${insole.issuer}/api/v2/segments/${id}/members?format=ndjson`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
      assert.equal(res.status, 200);
      await res.body!.getReader().read();
      abort.abort();
      await until('the server saw the client leave', async () => lines.some((line) => line.includes('the client left before the answer was complete')));
      assert.deepEqual(lines.filter((line) => line.includes('unhandled error')), []);
    } finally {
      await insole.stop();
    }
  });
});
