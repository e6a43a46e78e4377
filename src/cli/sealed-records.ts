import type { Connection, mongo } from 'mongoose';
import { idpTokensBox } from '../auth/idp-tokens.ts';
import type { Config } from '../config/schema.ts';
import type { Keyring, Sealed } from '../lib/sealed-box.ts';
import { clientSecretsBox } from '../oidc/client-secrets.ts';
import { DASHBOARD_SECRET_COLLECTION } from '../oidc/dashboard-client.ts';
import { modelCollection } from '../oidc/flow-collection.ts';
import { signingKeysBox } from '../oidc/signing-keys.ts';

/**
 * Where a value sealed with the key encryption key is kept: `path` in each record of `collection`,
 * or in each element of the array `array`. Every sealing in src/ has its place here, or `keys
 * reseal` would call a previous key safe to drop while records still need it.
 */
export interface SealedPlace { label: string; collection: string; path: string; array?: string; box: Keyring }

export function sealedPlaces(config: Config): SealedPlace[] {
  const tokens = idpTokensBox(config);
  return [
    { label: 'signing keys', collection: 'signing_keys', path: 'private_jwk', box: signingKeysBox(config) },
    { label: 'client secrets', collection: modelCollection('Client'), path: 'payload.client_secret_sealed', box: clientSecretsBox(config) },
    { label: 'dashboard client secret', collection: DASHBOARD_SECRET_COLLECTION, path: 'secret_sealed', box: clientSecretsBox(config) },
    { label: 'social provider tokens', collection: 'users', array: 'identities', path: 'sealed_tokens', box: tokens },
    // Short-lived (a sign-in in progress), but their tokens move onto the identity as they are.
    { label: 'social sign-ins in progress', collection: 'social_handshakes', path: 'data.sealed', box: tokens },
  ];
}

/** current: opens with the current key; previous: needs a previous one; none: no key given opens it. */
export type SealState = 'current' | 'previous' | 'none';
export interface PlaceCount { current: number; previous: number; none: number; resealed: number; changed: number }

type Doc = mongo.Document;

const at = (value: unknown, path: string): unknown => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);

/** The sealed values a record holds: one, or one per array element that has it. */
function sealedValuesOf(doc: Doc, place: SealedPlace): Sealed[] {
  const holders = place.array ? (at(doc, place.array) as unknown[] | undefined) ?? [] : [doc];
  return holders.map((holder) => at(holder, place.path) as Sealed | undefined).filter((sealed): sealed is Sealed => Boolean(sealed?.tag));
}

/**
 * Replaces one sealed value, only if it is still the one read (its GCM tag, unique per sealing):
 * a record that an instance changed meanwhile is not overwritten with what was read before.
 */
export async function replaceSealed(connection: Connection, place: SealedPlace, id: mongo.ObjectId, read: Sealed, sealed: Sealed): Promise<boolean> {
  const records = connection.collection(place.collection);
  const tagPath = place.array ? `${place.array}.${place.path}.tag` : `${place.path}.tag`;
  const filter = { _id: id, [tagPath]: read.tag }; // _id: an ObjectId, or a string for signing keys, clients and handshakes
  const result = place.array
    ? await records.updateOne(filter, { $set: { [`${place.array}.$[held].${place.path}`]: sealed } }, { arrayFilters: [{ [`held.${place.path}.tag`]: read.tag }] })
    : await records.updateOne(filter, { $set: { [place.path]: sealed } });
  return result.modifiedCount === 1;
}

/** Counts the place's sealed values by the key that opens them; with `reseal`, seals each that needs a previous key again with the current one. */
export async function surveyPlace(connection: Connection, place: SealedPlace, reseal: boolean): Promise<PlaceCount> {
  const count: PlaceCount = { current: 0, previous: 0, none: 0, resealed: 0, changed: 0 };
  const field = place.array ? `${place.array}.${place.path}` : place.path;
  const cursor = connection.collection(place.collection).find({ [field]: { $exists: true } }, { projection: { [field]: 1 }, sort: { _id: 1 } });
  for await (const doc of cursor) {
    for (const read of sealedValuesOf(doc, place)) {
      const opened = place.box.openedBy(read);
      if (!opened) count.none += 1;
      else if (opened.current) count.current += 1;
      else if (!reseal) count.previous += 1;
      else if (await replaceSealed(connection, place, doc._id as mongo.ObjectId, read, place.box.seal(opened.plaintext))) count.resealed += 1;
      else count.changed += 1;
    }
  }
  return count;
}
