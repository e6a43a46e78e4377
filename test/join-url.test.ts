import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinUrl } from '../src/lib/join-url.ts';

describe('joinUrl: a path under a base URL that has a path of its own', () => {
  test('the base path is kept (new URL("/v3/…", base) would drop it)', () => {
    assert.equal(joinUrl('https://gw.example/fullcontact', '/v3/person.enrich').href, 'https://gw.example/fullcontact/v3/person.enrich');
    assert.equal(new URL('/v3/person.enrich', 'https://gw.example/fullcontact').href, 'https://gw.example/v3/person.enrich', 'what the helper is for');
  });

  test('slashes at the seam collapse to one, whichever side has them', () => {
    for (const [base, path] of [['https://gw.example/x/', '/2/tweets'], ['https://gw.example/x', '2/tweets'], ['https://gw.example/x//', '//2/tweets']]) {
      assert.equal(joinUrl(base, path).href, 'https://gw.example/x/2/tweets', `${base} + ${path}`);
    }
  });

  test('a bare origin works as before', () => {
    assert.equal(joinUrl('https://api.fullcontact.com', '/v3/person.enrich').href, 'https://api.fullcontact.com/v3/person.enrich');
    assert.equal(joinUrl('https://api.x.com/', '2/tweets/search/recent').href, 'https://api.x.com/2/tweets/search/recent');
  });

  test("the base's query and port survive; the path is encoded as a path", () => {
    assert.equal(joinUrl('http://127.0.0.1:8080/gw?key=k1', 'v3/person.enrich').href, 'http://127.0.0.1:8080/gw/v3/person.enrich?key=k1');
    assert.equal(joinUrl('https://gw.example/a', 'b c').href, 'https://gw.example/a/b%20c');
  });
});
