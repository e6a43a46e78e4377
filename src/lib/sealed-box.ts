import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** AES-256-GCM with a key derived (HKDF-SHA256) from an operator secret of any length. */
export interface Sealed { iv: string; tag: string; data: string }

export type SealedBox = ReturnType<typeof createSealedBox>;

export function createSealedBox(secret: string, purpose: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'insole', purpose, 32));
  return {
    seal(plaintext: string): Sealed {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    },
    open(box: Sealed): string {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}
