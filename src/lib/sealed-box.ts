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
