import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { isPublishedSecret } from '../../config/production-checks.ts';
import { keyEncryptionKeys, type Config } from '../../config/schema.ts';

export type DownloadLinks = ReturnType<typeof createDownloadLinks>;

/**
 * The `location` of a finished export: a short-lived signed URL, like the pre-signed S3 URL Auth0
 * hands out (valid 60 s there), so that scripts can fetch it without a token. HMAC-SHA256 over the
 * job id and the expiry, with a key derived from the operator secret every instance shares: any
 * instance checks a link any other made. GET /jobs/{id} makes a fresh link each time. `secrets`:
 * the key encryption keys, the first signs and all verify, so links stay valid across instances
 * while the key is being changed.
 */
/**
 * The secrets of createDownloadLinks: the key encryption key signs, and the previous ones check too,
 * except a published value (config/default.json's development key, an example's placeholder). A
 * previous key may be one of those (the way off it, production-checks.ts), where it only opens what
 * it sealed; but a link is a bearer credential, and one signed with a key anyone can read could be
 * anyone's: it would hand a user export to whoever learned a job id (from the logs, say).
 */
export function downloadLinkSecrets(config: Pick<Config, 'secrets'>): string[] {
  const [current, ...previous] = keyEncryptionKeys(config);
  return [current!, ...previous.filter((secret) => !isPublishedSecret(secret))];
}

export function createDownloadLinks(secrets: readonly string[], ttlSeconds: number, now = () => Date.now()) {
  const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, 'insole', 'export-download-link', 32)));
  const signWith = (key: Buffer, jobId: string, expires: number) => createHmac('sha256', key).update(`${jobId}\n${expires}`).digest();
  const sign = (jobId: string, expires: number) => signWith(keys[0]!, jobId, expires);

  return {
    create(issuer: string, jobId: string): string {
      const expires = Math.floor(now() / 1000) + ttlSeconds;
      const url = new URL(`${issuer}/api/v2/jobs/${encodeURIComponent(jobId)}/download`);
      url.searchParams.set('expires', String(expires));
      url.searchParams.set('signature', sign(jobId, expires).toString('base64url'));
      return url.href;
    },

    /** True when the link was made by an instance of this deployment for this job and has not expired. */
    verify(jobId: string, expires: string, signature: string): boolean {
      if (!/^\d{1,12}$/.test(expires) || Number(expires) < now() / 1000) return false;
      const presented = Buffer.from(signature, 'base64url');
      return keys.some((key) => {
        const expected = signWith(key, jobId, Number(expires));
        return presented.length === expected.length && timingSafeEqual(presented, expected);
      });
    },
  };
}
