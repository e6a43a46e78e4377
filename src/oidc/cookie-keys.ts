import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Signs and checks oidc-provider's cookies (koa's `cookies`, given as `cookies.keys`): the interface
 * and the signatures of Keygrip, which koa uses for an array of keys (HMAC-SHA1 of `name=value`,
 * base64url), so cookies signed before still verify and rotation works the same: the first key
 * signs, every key verifies, `index` says which.
 *
 * Why not Keygrip: it compares through tsscmp, which HMACs both sides under fresh random bytes (a
 * Buffer key), and on Node 24 `createHmac` with a Buffer key costs about 28 µs against 4 µs with a
 * string or KeyObject key (its key-type checks throw and catch two errors). A sign-in signs and checks
 * about ten cookies: 1.4 ms of CPU went there, 0.35 ms here (bench/README.md). Here the keys are
 * KeyObjects and the comparison is `timingSafeEqual` over digests of one fixed length.
 */
export class CookieKeys {
  readonly #keys: KeyObject[];

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('cookie keys: at least one key is needed');
    this.#keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  }

  sign(data: string): string {
    return digest(data, this.#keys[0]!);
  }

  verify(data: string, signature: string): boolean {
    return this.index(data, signature) > -1;
  }

  /** Which key signed `data` (0 is the current one), or -1 when none did. */
  index(data: string, signature: string): number {
    const given = Buffer.from(String(signature));
    return this.#keys.findIndex((key) => {
      const expected = Buffer.from(digest(data, key));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

function digest(data: string, key: KeyObject): string {
  return createHmac('sha1', key).update(data).digest('base64url');
}
