import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from './support/hooks.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';

const ADMIN = { client_id: 'segment-connections', client_secret: 'segment-connections-secret-0123456789ab', scopes: ['read:users', 'create:users', 'read:reports', 'read:segments', 'update:segments'] };
const KNOWN = /insole names connections: Username-Password-Authentication, google-oauth2, facebook, twitter/;
const NAMED = /Username-Password-Authentication, google-oauth2, facebook, twitter/;

describe("segment filters' connection: a name insole does not have is a 400, as in GET /users?connection=", () => {
  let insole: TestInsole;
  let token: string;
  const stored = async () => (await insole.db.collection('segments').find({}, { projection: { name: 1, filter: 1, version: 1 } }).sort({ name: 1 }).toArray());
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN)], admin_api: { rate_limit: { requests: 1000 } } });
    token = (await managementToken(insole, ADMIN)).access_token;
    await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'member@innovashoes.example', password: 'a member runs the long way', email_verified: true, verify_email: false });
  });
  after(() => insole.stop());

  test('create, update, preview and the segment report refuse an unknown connection, naming the known ones; nothing is written', async () => {
    const kept = await api(insole, token, 'POST', '/segments', { name: 'Password users', filter: { connection: 'Username-Password-Authentication' } });
    assert.equal(kept.status, 201, JSON.stringify(kept.body));
    const before = await stored();
    const refusals = [
      await api(insole, token, 'POST', '/segments', { name: 'Google shoppers', filter: { connection: 'google' } }),
      await api(insole, token, 'POST', '/segments', { name: 'Deep', filter: { any: [{ email_verified: true }, { not: { connection: ['facebook', 'googel'] } }] } }),
      await api(insole, token, 'PATCH', `/segments/${kept.body.id}`, { filter: { connection: 'email' } }),
      await api(insole, token, 'POST', '/reports/segments/preview', { filter: { connection: 'google' } }),
      await api(insole, token, 'POST', '/reports/segments/users', { filter: { connection: 'google' } }),
    ];
    for (const res of refusals) {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.message, /connection/);
      assert.match(res.body.message, NAMED);
    }
    assert.deepEqual(await stored(), before, 'no segment created or changed');
  });

  test('a segment saved before the check with an unknown name keeps running, and its answer says so', async () => {
    const created = await api(insole, token, 'POST', '/segments', { name: 'Verified or Google', filter: { any: [{ email_verified: true }, { connection: 'google-oauth2' }] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.warning, undefined);
    // As an insole before the check stored it: `googel` is no connection.
    await insole.db.collection('segments').updateOne({ _id: created.body.id }, { $set: { 'filter.any.1.connection': 'googel' } });
    const shown = await until('the segment calculated', async () => {
      const res = await api(insole, token, 'GET', `/segments/${created.body.id}`);
      return !res.body.is_calculating && res.body;
    });
    assert.equal(shown.count, 1, 'the verified member, by the condition that still holds');
    assert.match(shown.warning, /googel/);
    assert.match(shown.warning, KNOWN);
    const listed = (await api(insole, token, 'GET', '/segments')).body.find((s: { id: string }) => s.id === created.body.id);
    assert.match(listed.warning, /googel/);
    // It can still be renamed without restating its filter, and a corrected filter clears the warning.
    const renamed = await api(insole, token, 'PATCH', `/segments/${created.body.id}`, { name: 'Verified or Google (old)' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const fixed = await api(insole, token, 'PATCH', `/segments/${created.body.id}`, { filter: { any: [{ email_verified: true }, { connection: 'google-oauth2' }] } });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.warning, undefined);
  });
});
