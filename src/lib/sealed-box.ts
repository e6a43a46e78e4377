import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** AES-256-GCM with a key derived (HKDF-SHA256) from an operator secret of any length. */
export interface Sealed { iv: string; tag: string; data: string }

// Without authTagLength, Node accepts a tag cut down to 4 bytes when opening (DEP0182): a forger
// would then have 2^32 guesses to find, not 2^128. Only the full tag the seal makes is accepted.
const TAG_BYTES = 16;

export type SealedBox = ReturnType<typeof createSealedBox>;

export function createSealedBox(secret: string, purpose: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'insole', purpose, 32));
  return {
    seal(plaintext: string): Sealed {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    },
    open(box: Sealed): string {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}

export type Keyring = ReturnType<typeof createKeyring>;

/**
 * Envelope-style key rotation: seals with the first secret, opens with any (the current key
 * encryption key, then the previous ones), as cookie keys rotate. `openedBy` also says which one
 * opened a box, so what still needs an old key can be sealed again with the current one.
 */
export function createKeyring(secrets: readonly string[], purpose: string) {
  const boxes = secrets.map((secret) => createSealedBox(secret, purpose));
  function openedBy(sealed: Sealed): { plaintext: string; current: boolean } | undefined {
    for (const [index, box] of boxes.entries()) {
      try {
        return { plaintext: box.open(sealed), current: index === 0 };
      } catch { /* sealed with another key (GCM's tag does not match) */ }
    }
    return undefined;
  }
  return {
    /** Names the sealing secret without revealing it (HKDF, like the boxes' keys): which key an instance seals with. */
    keyId: Buffer.from(hkdfSync('sha256', secrets[0]!, 'insole', 'key-id', 8)).toString('hex'),
    seal: (plaintext: string): Sealed => boxes[0].seal(plaintext),
    /** Throws when no key opens it; callers say which record that was. */
    open(sealed: Sealed): string {
      const opened = openedBy(sealed);
      if (!opened) throw new Error(`sealed with none of the ${boxes.length} key(s) given`);
      return opened.plaintext;
    },
    openedBy,
  };
}
