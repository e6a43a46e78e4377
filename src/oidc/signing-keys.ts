import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Sealed } from '../lib/sealed-box.ts';

interface SealedBox { seal(plaintext: string): Sealed; open(box: Sealed): string }

interface SigningKeyRecord {
  _id: string; // kid
  alg: 'RS256';
  public_jwk: Record<string, unknown>;
  private_jwk: Sealed;
  created_at: Date;
  /** Set when a newer key took over signing; the key stays published until retire_after. */
  retired_at?: Date;
  retire_after?: Date;
}

export type PrivateJwk = Record<string, unknown> & { kid: string };

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

/**
 * The signing keys every instance uses: created on the very first start (the insert with a fixed id
 * makes concurrent first starts agree on one key), newest first, so the newest signs and older ones
 * stay published in the JWKS until the tokens they signed have expired.
 */
export async function loadSigningKeys(connection: Connection, box: SealedBox, now = new Date()): Promise<PrivateJwk[]> {
  const keys = collection(connection);
  if (!(await keys.findOne({}))) {
    // A fixed id: when several instances start for the first time at once, exactly one insert wins.
    await keys.insertOne(newKeyRecord(box, now, 'initial'))
      .catch((err: { code?: number }) => { if (err.code !== 11000) throw err; });
  }
  const records = await keys.find({ $or: [{ retire_after: { $exists: false } }, { retire_after: { $gt: now } }] })
    .sort({ created_at: -1 }).toArray();
  return records.map((record) => JSON.parse(box.open(record.private_jwk)) as PrivateJwk);
}

/** `insole keys rotate`: a new key signs from the next start; the old ones are published for `graceSeconds` more. */
export async function rotateSigningKey(connection: Connection, box: SealedBox, graceSeconds: number, now = new Date()) {
  const keys = collection(connection);
  const record = newKeyRecord(box, now);
  await keys.updateMany(
    { retired_at: { $exists: false } },
    { $set: { retired_at: now, retire_after: new Date(now.getTime() + graceSeconds * 1000) } },
  );
  await keys.insertOne(record);
  return { kid: record._id, retire_after: new Date(now.getTime() + graceSeconds * 1000) };
}

export async function listSigningKeys(connection: Connection) {
  return collection(connection).find({}, { projection: { private_jwk: 0 } }).sort({ created_at: -1 }).toArray();
}
