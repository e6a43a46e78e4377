import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { CookieKeys } from '../src/oidc/cookie-keys.ts';

// Keygrip is what koa's cookies use for an array of keys (oidc-provider → koa → cookies → keygrip):
// cookies signed before this signer must still verify, and the other way round.
type Keygrip = { sign(data: string): string; index(data: string, digest: string): number };
const Keygrip = createRequire(import.meta.url)('keygrip') as (keys: string[]) => Keygrip;

const current = 'current-cookie-key-0123456789abcdef0123456789';
const previous = 'previous-cookie-key-0123456789abcdef012345678';
const data = '_interaction=Ui3xYz_8kQ2pW0';

describe('CookieKeys: the cookie signer of oidc-provider', () => {
  test('signs exactly as Keygrip does, so cookies from before verify and ours verify there', () => {
    const ours = new CookieKeys([current, previous]);
    const theirs = Keygrip([current, previous]);
    assert.equal(ours.sign(data), theirs.sign(data));
    assert.equal(ours.index(data, theirs.sign(data)), 0);
    assert.equal(theirs.index(data, ours.sign(data)), 0);
    assert.match(ours.sign(data), /^[\w-]{27}$/, 'HMAC-SHA1 in base64url without padding');
  });

  test('rotation: a cookie signed with an older key verifies and says which key it was', () => {
    const ours = new CookieKeys([current, previous]);
    assert.equal(ours.index(data, Keygrip([previous]).sign(data)), 1);
    assert.equal(ours.verify(data, Keygrip([previous]).sign(data)), true);
    assert.equal(new CookieKeys([current]).index(data, Keygrip([previous]).sign(data)), -1, 'a retired key no longer verifies');
  });

  test('a changed value, a forged or cut signature, or none at all is refused without throwing', () => {
    const ours = new CookieKeys([current, previous]);
    const signature = ours.sign(data);
    assert.equal(ours.index(`${data}x`, signature), -1);
    assert.equal(ours.index(data, `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`), -1);
    assert.equal(ours.index(data, signature.slice(0, 10)), -1);
    assert.equal(ours.index(data, `${signature}A`), -1);
    assert.equal(ours.index(data, ''), -1);
    assert.equal(ours.verify(data, undefined as unknown as string), false);
  });

  test('needs a key', () => {
    assert.throws(() => new CookieKeys([]), /at least one key/);
  });
});
