import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logoutRedirectAllowed } from '../src/oidc/logout-redirect.ts';

describe('logoutRedirectAllowed: registered post-logout URLs, exactly, or an empty path as "/"', () => {
  test('a registered URL matches itself, whatever its path', () => {
    assert.ok(logoutRedirectAllowed(['https://shop.example/bye?from=logout'], 'https://shop.example/bye?from=logout'));
    assert.ok(logoutRedirectAllowed(['http://localhost:4000/'], 'http://localhost:4000/'));
  });

  test("a home page matches with or without its trailing slash (express-openid-connect sends its baseURL without)", () => {
    assert.ok(logoutRedirectAllowed(['http://localhost:4000/'], 'http://localhost:4000'));
    assert.ok(logoutRedirectAllowed(['http://localhost:4000'], 'http://localhost:4000/'));
    assert.ok(logoutRedirectAllowed(['https://other.example/', 'https://shop.example/'], 'https://shop.example'));
  });

  const refused: Array<[registered: string, requested: string]> = [
    ['https://shop.example/', 'https://shop.example//'], // another path
    ['https://shop.example/', 'https://shop.example/?next=https://evil.example/'],
    ['https://shop.example/', 'https://shop.example?'],
    ['https://shop.example/', 'https://shop.example#'],
    ['https://shop.example/', 'https://shop.example.evil.example'],
    ['https://shop.example/', 'https://shop.example:444'],
    ['https://shop.example/', 'http://shop.example'],
    ['https://shop.example/', 'https://evil.example@shop.example'],
    ['https://shop.example/', 'https://shop.example\\'],
    ['https://shop.example/', '//shop.example'],
    ['https://shop.example/bye/', 'https://shop.example/bye'], // only an empty path is "/": other paths are exact
    ['https://shop.example/bye', 'https://shop.example/bye/'],
    ['myapp://callback/', 'myapp://callback'], // http and https only
  ];
  for (const [registered, requested] of refused) {
    test(`${requested} is not ${registered}`, () => {
      assert.equal(logoutRedirectAllowed([registered], requested), false);
    });
  }
});
