import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { indexBuilds } from '../db/index-builds.ts';

interface SealingInstance { _id: string; key_id: string; seen_at: Date }

/** Records of instances gone for a day are removed by MongoDB; reads filter on seen_at anyway. */
const FORGET_AFTER_SECONDS = 86_400;

const collection = (connection: Connection) => connection.collection<SealingInstance>('sealing_instances');

/**
 * Each serving instance notes which key encryption key it seals with (its keyring's keyId, never
 * the key), each time it re-reads the signing keys, so `keys reseal` can tell a roll that has not
 * finished, or a CLI given another key than the servers', before it seals anything.
 */
export function createSealingInstanceNote(connection: Connection, keyId: string) {
  const instance = randomUUID();
  const ready = indexBuilds(() => collection(connection).createIndex({ seen_at: 1 }, { expireAfterSeconds: FORGET_AFTER_SECONDS }));
  return async (now = new Date()): Promise<void> => {
    await ready();
    await collection(connection).updateOne({ _id: instance }, { $set: { key_id: keyId, seen_at: now } }, { upsert: true });
  };
}

/** The instances seen since `since`, counted by the key they seal with. */
export async function sealingKeysSeen(connection: Connection, since: Date): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for await (const { key_id } of collection(connection).find({ seen_at: { $gt: since } }, { projection: { key_id: 1 } })) {
    seen.set(key_id, (seen.get(key_id) ?? 0) + 1);
  }
  return seen;
}
