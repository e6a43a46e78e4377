import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { mapFacebookProfile, mapGoogleProfile, mapTwitterProfile, ProfileMappingError } from '../src/auth/profile-mapping.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('provider profiles become Auth0 profiles', () => {
  test('Google OpenID userinfo', () => {
    const raw = fixture('google-userinfo');
    const p = mapGoogleProfile(raw);
    assert.equal(p.id, '110169484474386276334');
    assert.equal(p.email, 'jane.runner@gmail.com');
    assert.equal(p.email_verified, true);
    assert.deepEqual([p.name, p.given_name, p.family_name, p.nickname, p.locale], ['Jane Runner', 'Jane', 'Runner', 'jane.runner', 'en']);
    assert.match(p.picture!, /googleusercontent/);
    assert.deepEqual(p.profileData, raw);
  });

  test('Google says the email is not verified: we say so too', () => {
    assert.equal(mapGoogleProfile({ ...fixture('google-userinfo'), email_verified: false }).email_verified, false);
    assert.equal(mapGoogleProfile({ ...fixture('google-userinfo'), email_verified: 'true' }).email_verified, true);
  });

  test('Facebook Graph /me with birthday, gender, location and likes granted', () => {
    const p = mapFacebookProfile(fixture('facebook-me'));
    assert.equal(p.id, '10224591334567890');
    assert.equal(p.email, 'marco.rossi@example.it');
    assert.equal(p.email_verified, true);
    assert.deepEqual([p.given_name, p.family_name, p.gender, p.birthday, p.location], ['Marco', 'Rossi', 'male', '1991-08-14', 'Milan, Italy']);
    assert.deepEqual(p.likes, [
      { id: '6070431712', name: "Runner's World", category: 'Magazine' },
      { id: '111868755558', name: 'Strava', category: 'App page' },
    ]);
    assert.match(p.picture!, /profilepic/);
  });

  test('Facebook without the extra permissions: the fields are simply absent', () => {
    const { id, name, first_name, last_name } = fixture('facebook-me');
    const p = mapFacebookProfile({ id, name, first_name, last_name });
    assert.equal(p.email, undefined);
    assert.equal(p.email_verified, false);
    assert.equal(p.birthday, undefined);
    assert.equal(p.likes, undefined);
    assert.equal(mapFacebookProfile({ id, birthday: '08/14' }).birthday, '--08-14');
  });

  test('Twitter verify_credentials: the id_str (not the lossy number), the handle and no email', () => {
    const p = mapTwitterProfile(fixture('twitter-verify-credentials'));
    assert.equal(p.id, '1487250013347561475');
    assert.equal(p.screen_name, 'samtrails');
    assert.equal(p.nickname, 'samtrails');
    assert.equal(p.email, undefined);
    assert.equal(p.email_verified, false);
    assert.equal(p.picture, 'https://pbs.twimg.com/profile_images/1487250312/abc123.jpg');
    assert.equal(mapTwitterProfile({ ...fixture('twitter-verify-credentials'), email: 'Sam@Trails.run' }).email, 'sam@trails.run');
  });

  test('a profile without an id is refused', () => {
    assert.throws(() => mapGoogleProfile({ email: 'a@b.c' }), ProfileMappingError);
    assert.throws(() => mapFacebookProfile({ name: 'x' }), ProfileMappingError);
    assert.throws(() => mapTwitterProfile({ screen_name: 'x' }), ProfileMappingError);
  });
});
