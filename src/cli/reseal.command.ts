import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { sealingKeysSeen } from '../oidc/sealing-instances.ts';
import { checkKeyEncryptionKey, signingKeysBox } from '../oidc/signing-keys.ts';
import { CliError } from './cli-database.ts';
import { sealedPlaces, surveyPlace, type PlaceCount, type SealedPlace } from './sealed-records.ts';

/** Passes over what an instance changed while one ran: more would chase a record rewritten at every sign-in. */
const PASSES = 3;

async function resealAll(connection: Connection, places: SealedPlace[]): Promise<number[]> {
  const resealed = places.map(() => 0);
  for (let pass = 0; pass < PASSES; pass += 1) {
    let changed = 0;
    for (const [index, place] of places.entries()) {
      const count = await surveyPlace(connection, place, true);
      resealed[index]! += count.resealed;
      changed += count.changed;
    }
    if (!changed) break;
  }
  return resealed;
}

/**
 * What it seals, the servers must open: every instance serving (noted within three of its key
 * re-reads) must already seal with this key. Otherwise the roll has not finished, or this CLI was
 * given another key than the servers' (a typo would seal every record with a key no server has).
 */
async function checkServersSealWithThisKey(connection: Connection, config: Config, keyId: string): Promise<void> {
  const windowSeconds = 3 * config.signing_keys.refresh_seconds;
  const seen = await sealingKeysSeen(connection, new Date(Date.now() - windowSeconds * 1000));
  const others = [...seen].filter(([id]) => id !== keyId).reduce((sum, [, instances]) => sum + instances, 0);
  if (others) {
    throw new CliError(`${others} instance(s) seen in the last ${windowSeconds} s seal with another INSOLE_KEY_ENCRYPTION_KEY than this one: finish the roll `
      + '(every instance with the new key, the old one in INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS) and run keys reseal with the servers\' values; '
      + `an instance stopped less than ${windowSeconds} s ago still counts. Nothing was written.`);
  }
  if (!seen.size) console.log(`No instance seen serving in the last ${windowSeconds} s: start them with this INSOLE_KEY_ENCRYPTION_KEY.`);
}

/** E.g. `signing keys: 2 of 3 with the current key (2 sealed again now); 1 open with none of the keys given`. */
function describe(place: SealedPlace, resealed: number, count: PlaceCount): string {
  const total = count.current + count.previous + count.none;
  const parts = [`${count.current} of ${total} with the current key (${resealed} sealed again now)`];
  if (count.previous) parts.push(`${count.previous} still need a previous key`);
  if (count.none) parts.push(`${count.none} open with none of the keys given`);
  return `${place.label}: ${parts.join('; ')}`;
}

/**
 * `keys reseal`: every value sealed with a previous key encryption key is sealed again with the
 * current one (envelope rotation: only the sealing changes, never the secret inside). Each write
 * is conditional on the value read, so it is safe while instances serve; running it again does
 * nothing more. It ends with a fresh count, which says whether a previous key is still needed.
 * Prints counts only, never a value. Exit code 1 while any value still needs a previous key or opens with none.
 */
export async function resealCommand(connection: Connection, config: Config): Promise<number> {
  // Before writing anything: keys that open none of the published signing keys are not the servers'.
  const signingKeys = signingKeysBox(config);
  await checkKeyEncryptionKey(connection, signingKeys);
  await checkServersSealWithThisKey(connection, config, signingKeys.keyId);
  const places = sealedPlaces(config);
  const resealed = await resealAll(connection, places);
  const counts = await Promise.all(places.map((place) => surveyPlace(connection, place, false)));
  places.forEach((place, index) => console.log(describe(place, resealed[index]!, counts[index]!)));
  const [previous, none] = [counts.reduce((sum, c) => sum + c.previous, 0), counts.reduce((sum, c) => sum + c.none, 0)];
  if (none) {
    console.log(`${none} sealed value(s) open with none of the keys given: list the key they were sealed with in INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS and run keys reseal again. Keep every previous key until then.`);
  }
  if (previous) {
    console.log(`${previous} sealed value(s) still need a previous key (sealed meanwhile by an instance that still has the old INSOLE_KEY_ENCRYPTION_KEY, or changed while this ran): once every instance runs with the new key, run keys reseal again.`);
  }
  if (none || previous) return 1;
  console.log('Every sealed value opens with the current INSOLE_KEY_ENCRYPTION_KEY: INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS is no longer needed and can be removed from every instance.');
  return 0;
}
