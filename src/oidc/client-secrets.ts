import type { AdapterPayload } from 'oidc-provider';
import { keyEncryptionKeys, type Config } from '../config/schema.ts';
import { createKeyring, type Keyring, type Sealed, type SealedBox } from '../lib/sealed-box.ts';
import { keyEncryptionKeyMismatch } from './signing-keys.ts';

/** Its own derived key, apart from signing keys and provider tokens; the previous key encryption keys open too. */
export const clientSecretsBox = (config: Config): Keyring => createKeyring(keyEncryptionKeys(config), 'client-secrets');

type ClientPayload = AdapterPayload & { client_secret?: string; client_secret_sealed?: Sealed };

/**
 * Stored clients keep their secret encrypted (`client_secret_sealed`), so a database dump or backup
 * does not hand out working credentials. Encrypted, not hashed: oidc-provider compares the secret
 * itself (and needs it for HS256 client assertions), as Auth0 keeps it retrievable.
 */
export function sealClientSecret(payload: ClientPayload, box: SealedBox): AdapterPayload {
  const { client_secret, ...rest } = payload;
  return client_secret ? { ...rest, client_secret_sealed: box.seal(client_secret) } : rest;
}

/** Clients stored in plain text before secrets were sealed still load unchanged. */
export function openClientSecret(payload: ClientPayload, box: SealedBox): AdapterPayload {
  const { client_secret_sealed, ...rest } = payload;
  if (!client_secret_sealed) return rest;
  try {
    return { ...rest, client_secret: box.open(client_secret_sealed) };
  } catch {
    throw keyEncryptionKeyMismatch(`The secret of client ${String(payload.client_id)}`);
  }
}
