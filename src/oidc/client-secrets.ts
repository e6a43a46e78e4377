import type { AdapterPayload } from 'oidc-provider';
import type { Sealed } from '../lib/sealed-box.ts';

export interface SecretBox { seal(plaintext: string): Sealed; open(box: Sealed): string }

/** The sealed box's purpose label: its own derived key, apart from signing keys and provider tokens. */
export const CLIENT_SECRETS_PURPOSE = 'client-secrets';

type ClientPayload = AdapterPayload & { client_secret?: string; client_secret_sealed?: Sealed };

/**
 * Stored clients keep their secret encrypted (`client_secret_sealed`), so a database dump or backup
 * does not hand out working credentials. Encrypted, not hashed: oidc-provider compares the secret
 * itself (and needs it for HS256 client assertions), as Auth0 keeps it retrievable.
 */
export function sealClientSecret(payload: ClientPayload, box: SecretBox): AdapterPayload {
  const { client_secret, ...rest } = payload;
  return client_secret ? { ...rest, client_secret_sealed: box.seal(client_secret) } : rest;
}

/** Clients stored in plain text before secrets were sealed still load unchanged. */
export function openClientSecret(payload: ClientPayload, box: SecretBox): AdapterPayload {
  const { client_secret_sealed, ...rest } = payload;
  return client_secret_sealed ? { ...rest, client_secret: box.open(client_secret_sealed) } : rest;
}
