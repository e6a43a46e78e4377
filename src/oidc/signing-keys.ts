import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { keyEncryptionKeys, type Config } from '../config/schema.ts';
import { createKeyring, type Keyring, type Sealed, type SealedBox } from '../lib/sealed-box.ts';

/** Encrypts the private halves at rest, with its own derived key; the previous key encryption keys open too. */
export const signingKeysBox = (config: Config): Keyring => createKeyring(keyEncryptionKeys(config), 'signing-keys');

interface SigningKeyRecord {
  _id: string; // kid
  alg: 'RS256';
  public_jwk: Record<string, unknown>;
  private_jwk: Sealed;
  created_at: Date;
  /** A rotated-in key is published at once and signs from then on; unset: signs since created_at. */
  activates_at?: Date;
  /** When a newer key takes over signing; the key stays published until retire_after. */
  retired_at?: Date;
  retire_after?: Date;
  /** `insole keys revoke`: taken out of the JWKS at once. */
  revoked_at?: Date;
}

export type PrivateJwk = Record<string, unknown> & { kid: string };

/**
 * A stored record that no key encryption key given opens: the value changed since it was sealed
 * (the development one replaced on the same database, or a previous key dropped too early), or
 * differs from the other instances'. Said in one line, by `npm start` and by the CLI, which then writes nothing.
 */
export class KeyEncryptionKeyMismatch extends Error { override name = 'KeyEncryptionKeyMismatch'; }

/** `what`: the record, e.g. "The signing key KID"; never a value. */
export function keyEncryptionKeyMismatch(what: string): KeyEncryptionKeyMismatch {
  return new KeyEncryptionKeyMismatch(`${what} in the database cannot be opened with this INSOLE_KEY_ENCRYPTION_KEY (secrets.key_encryption_key) `
    + 'nor any of INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS: it was sealed with another value. Set the one it was sealed with as INSOLE_KEY_ENCRYPTION_KEY, '
    + 'or, while changing keys, list it in INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS and run keys reseal (README "Changing the key encryption key"; "Backups" says what to do if it is lost).');
}

function openPrivateKey(box: SealedBox, record: SigningKeyRecord): PrivateJwk {
  try {
    return JSON.parse(box.open(record.private_jwk)) as PrivateJwk;
  } catch {
    throw keyEncryptionKeyMismatch(`The signing key ${record._id}`);
  }
}

function collection(connection: Connection) {
  return connection.collection<SigningKeyRecord>('signing_keys');
}

function newKeyRecord(box: SealedBox, now: Date, id?: string): SigningKeyRecord {
  const kid = id ?? randomUUID();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const meta = { kid, alg: 'RS256', use: 'sig' };
  return {
    _id: kid,
    alg: 'RS256',
    public_jwk: { ...publicKey.export({ format: 'jwk' }), ...meta },
    private_jwk: box.seal(JSON.stringify({ ...privateKey.export({ format: 'jwk' }), ...meta })),
    created_at: now,
  };
}

const isActive = (record: SigningKeyRecord, now: Date) => !record.activates_at || record.activates_at <= now;

/**
 * The keys every instance publishes, the one that signs first (oidc-provider signs with the first
 * key of the algorithm): the newest active key. Then, newest first, a rotated-in key that is not
 * active yet (published ahead, so every instance and every relying party's JWKS cache knows it
 * before any token carries it) and older keys until the tokens they signed have expired.
 */
async function publishedKeys(connection: Connection, now: Date): Promise<SigningKeyRecord[]> {
  const records = await collection(connection).find({ $or: [{ retire_after: { $exists: false } }, { retire_after: { $gt: now } }] })
    .sort({ created_at: -1 }).toArray();
  const signer = records.find((record) => isActive(record, now)) ?? records[0];
  return signer ? [signer, ...records.filter((record) => record !== signer)] : records;
}

/** The published keys, signer first. The very first start creates the key (a fixed id makes concurrent first starts agree on one). */
export async function loadSigningKeys(connection: Connection, box: SealedBox, now = new Date()): Promise<PrivateJwk[]> {
  const keys = collection(connection);
  if (!(await keys.findOne({}))) {
    // A fixed id: when several instances start for the first time at once, exactly one insert wins.
    await keys.insertOne(newKeyRecord(box, now, 'initial'))
      .catch((err: { code?: number }) => { if (err.code !== 11000) throw err; });
  }
  return (await publishedKeys(connection, now)).map((record) => openPrivateKey(box, record));
}

/**
 * Before the CLI seals anything new (a key, a client secret): with a key_encryption_key other than
 * the servers', it would write what no instance can open, and every instance would then fail to start.
 */
export async function checkKeyEncryptionKey(connection: Connection, box: SealedBox, now = new Date()): Promise<void> {
  for (const record of await publishedKeys(connection, now)) openPrivateKey(box, record);
}

export interface RotationTimes {
  /** Seconds before the new key signs: at least the instances' refresh interval, so all publish it first. */
  activateAfterSeconds: number;
  /** Seconds the old keys stay published once they stop signing: the longest token lifetime. */
  graceSeconds: number;
}

/** `insole keys rotate`: a new key, published now, signs after `activateAfterSeconds`; older keys are published `graceSeconds` longer. */
export async function rotateSigningKey(connection: Connection, box: SealedBox, times: RotationTimes, now = new Date()) {
  const keys = collection(connection);
  await checkKeyEncryptionKey(connection, box, now);
  const activates_at = new Date(now.getTime() + times.activateAfterSeconds * 1000);
  const retire_after = new Date(activates_at.getTime() + times.graceSeconds * 1000);
  const record = { ...newKeyRecord(box, now), activates_at };
  // Keys still waiting for their turn are superseded too: the newest rotation wins.
  await keys.updateMany({ retired_at: { $exists: false } }, { $set: { retired_at: activates_at, retire_after } });
  await keys.insertOne(record);
  return { kid: record._id, activates_at, retire_after };
}

/**
 * `insole keys revoke`: a compromised key leaves the JWKS now, so what it signed stops verifying.
 * The key that signs cannot be revoked: rotate first (`--activate-in 0` in an emergency).
 */
export async function revokeSigningKey(connection: Connection, kid: string, now = new Date()): Promise<'revoked' | 'unknown' | 'signing'> {
  const keys = collection(connection);
  const [signer, ...others] = await publishedKeys(connection, now);
  if (signer?._id === kid) return 'signing';
  const revoked = others.find((record) => record._id === kid);
  if (!revoked) return (await keys.findOne({ _id: kid })) ? 'revoked' : 'unknown';
  await keys.updateOne({ _id: kid }, { $set: { retired_at: now, retire_after: now, revoked_at: now } });
  // A rotated-in key revoked before it signed will never take over: the keys its rotation retired
  // (on its activation) keep signing and stay published, or once their grace ran out none would be left.
  if (!revoked.retired_at && revoked.activates_at) {
    await keys.updateMany({ retired_at: revoked.activates_at, revoked_at: { $exists: false } }, { $unset: { retired_at: '', retire_after: '' } });
  }
  return 'revoked';
}

export function describeKeyState(key: Pick<SigningKeyRecord, 'activates_at' | 'retired_at' | 'retire_after' | 'revoked_at'>, now = new Date()): string {
  if (key.revoked_at) return `revoked ${key.revoked_at.toISOString()}`;
  if (key.retire_after && key.retire_after <= now) return 'expired, no longer published';
  if (key.activates_at && key.activates_at > now) return `published, signs from ${key.activates_at.toISOString()}`;
  if (key.retired_at && key.retired_at <= now) return `retired, published until ${key.retire_after?.toISOString()}`;
  if (key.retired_at) return `signing until ${key.retired_at.toISOString()}`;
  return 'signing';
}

export async function listSigningKeys(connection: Connection) {
  return collection(connection).find({}, { projection: { private_jwk: 0 } }).sort({ created_at: -1 }).toArray();
}
