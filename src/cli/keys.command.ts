import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { createSealedBox } from '../lib/sealed-box.ts';
import { listSigningKeys, rotateSigningKey } from '../oidc/signing-keys.ts';

export async function rotateKeys(connection: Connection, config: Config): Promise<void> {
  // Keep old keys published while anything they signed may still be presented.
  const grace = Math.max(config.ttl.id_token, config.ttl.access_token, ...config.apis.map((a) => a.access_token_ttl));
  const box = createSealedBox(config.secrets.key_encryption_key, 'signing-keys');
  const { kid, retire_after } = await rotateSigningKey(connection, box, grace);
  console.log(`New signing key ${kid}. Previous keys stay in the JWKS until ${retire_after.toISOString()}.`);
  console.log('Restart (or roll) every insole instance now: each loads the key set when it starts.');
}

export async function listKeys(connection: Connection): Promise<void> {
  for (const key of await listSigningKeys(connection)) {
    const state = key.retired_at ? `retired, published until ${key.retire_after?.toISOString()}` : 'signing';
    console.log(`${key._id}\t${key.alg}\t${key.created_at.toISOString()}\t${state}`);
  }
}
