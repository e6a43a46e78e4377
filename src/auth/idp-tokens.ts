import { keyEncryptionKeys, type Config } from '../config/schema.ts';
import { createKeyring, type Keyring } from '../lib/sealed-box.ts';

/** The social providers' tokens kept on identities (`sealed_tokens`): their own derived key; the previous key encryption keys open too. */
export const idpTokensBox = (config: Config): Keyring => createKeyring(keyEncryptionKeys(config), 'idp-tokens');
