import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keyFromName } from '../src/insight/segments/segment-key.ts';
import { fullContactPerson } from './fakes/fake-fullcontact.ts';
import { until } from './support/hooks.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';

const ADMIN = { client_id: 'segment-accents', client_secret: 'segment-accents-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'read:reports', 'read:segments', 'update:segments'] };

test('a key derived from a name drops accents instead of turning them into dashes', () => {
  assert.equal(keyFromName('Fútbol fans'), 'futbol-fans');
  assert.equal(keyFromName('Ženy v Plzni'), 'zeny-v-plzni');
  assert.equal(keyFromName('Größe 44 — Läufer'), 'grosse-44-laufer');
  assert.equal(keyFromName('Ærø Løbere'), 'aero-lobere');
  // NFD input (a Mac's file name, some keyboards) gives the same key as NFC.
  assert.equal(keyFromName('Fu\u0301tbol fans'), 'futbol-fans');
  assert.equal(keyFromName('女性'), 'segment');
  assert.equal(keyFromName(`${'é'.repeat(59)} x`), `${'e'.repeat(59)}`, 'at most 60, no dash at the end');
});

describe('segments with accented values and keys, created and run through the API', () => {
  let insole: TestInsole;
  let token: string;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(ADMIN)], admin_api: { rate_limit: { requests: 1000 } } });
    token = (await managementToken(insole, ADMIN)).access_token;
    const email = 'aficionado@innovashoes.example';
    const created = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: 'el fútbol es la vida', verify_email: false });
    // FullContact (as the enrichment hook stores it) says Fútbol and Málaga; the store keeps a shoe size under an accented key.
    const person = fullContactPerson({ email, city: 'Málaga', interests: [{ name: 'Fútbol', affinity: 'HIGH', category: 'Deportes' }] });
    const patched = await api(insole, token, 'PATCH', `/users/${encodeURIComponent(created.body.user_id)}`, {
      user_metadata: { fullcontact: person, größe: 44 }, app_metadata: { fullcontact: { status: 'matched', checked_at: new Date().toISOString() } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'other@innovashoes.example', password: 'another shopper entirely', verify_email: false });
  });
  after(() => insole.stop());

  const filters: [string, object][] = [
    ['interest as typed (NFC)', { interests: 'fútbol' }],
    ['interest in capitals, decomposed (NFD)', { interests: 'FU\u0301TBOL' }],
    ['city in capitals', { city: 'MÁLAGA' }],
    ['city decomposed (NFD)', { city: 'Ma\u0301laga' }],
    ['a metadata key with an accent in q', { q: 'user_metadata.größe:44' }],
  ];
  for (const [what, filter] of filters) {
    test(`${what}: the preview and a saved segment find the one shopper`, async () => {
      const preview = await api(insole, token, 'POST', '/reports/segments/preview', { filter });
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.equal(preview.body.count, 1, `preview of ${JSON.stringify(filter)}`);
      const saved = await api(insole, token, 'POST', '/segments', { name: `Fútbol ${what}`, filter });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      assert.match(saved.body.key, /^futbol-[a-z0-9-]+$/);
      const shown = await until(`segment ${saved.body.key} calculated`, async () => {
        const res = await api(insole, token, 'GET', `/segments/${saved.body.id}`);
        return !res.body.is_calculating && res.body;
      });
      assert.equal(shown.count, 1, `saved segment ${JSON.stringify(filter)}`);
    });
  }
});
