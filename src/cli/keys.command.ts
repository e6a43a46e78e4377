import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { clientSecretsBox } from '../oidc/client-secrets.ts';
import { DASHBOARD_SECRET_COLLECTION, replaceDashboardClientSecret } from '../oidc/dashboard-client.ts';
import { checkKeyEncryptionKey, describeKeyState, listSigningKeys, revokeSigningKey, rotateSigningKey, signingKeysBox } from '../oidc/signing-keys.ts';
import { CliError } from './cli-database.ts';

/**
 * `keys rotate [--activate-in SECONDS]`. Every instance re-reads the key set each
 * `signing_keys.refresh_seconds`, so the new key is published everywhere before it signs; a shorter
 * delay (0 for an emergency) risks tokens signed by a key another instance does not publish yet.
 */
export async function rotateKeys(connection: Connection, config: Config, activateIn?: number): Promise<void> {
  const { refresh_seconds, activate_after_seconds } = config.signing_keys;
  // Keep old keys published while anything they signed may still be presented, including what an
  // instance signed before it noticed the new key. Management API tokens (client_credentials) are
  // JWTs too, and live longest (24 h): a back office caching one must not get 401 an hour after a rotation.
  const longestToken = Math.max(config.ttl.id_token, config.ttl.access_token, config.admin_api.access_token_ttl, ...config.apis.map((a) => a.access_token_ttl));
  const { kid, activates_at, retire_after } = await rotateSigningKey(connection, signingKeysBox(config), {
    activateAfterSeconds: activateIn ?? activate_after_seconds,
    graceSeconds: longestToken + refresh_seconds,
  });
  console.log(`New signing key ${kid}: published now, signs from ${activates_at.toISOString()}.`);
  console.log(`Previous keys stay in the JWKS until ${retire_after.toISOString()}. Running instances pick this up within ${refresh_seconds} s; no restart needed.`);
  if (activateIn !== undefined && activateIn < refresh_seconds) {
    console.log(`Warning: --activate-in ${activateIn} is shorter than signing_keys.refresh_seconds (${refresh_seconds}); for a while some instances may sign with a key others do not publish yet.`);
  }
}

export async function revokeKey(connection: Connection, config: Config, kid: string | undefined): Promise<void> {
  if (!kid) throw new CliError('keys revoke needs --kid KID (see keys list)');
  const outcome = await revokeSigningKey(connection, kid);
  if (outcome === 'unknown') throw new CliError(`No signing key "${kid}".`);
  if (outcome === 'signing') throw new CliError(`Key "${kid}" signs now: rotate first (keys rotate --activate-in 0), then revoke it.`);
  console.log(`Key ${kid} is revoked: it leaves every instance's JWKS within ${config.signing_keys.refresh_seconds} s, and what it signed stops verifying.`);
}

export async function listKeys(connection: Connection): Promise<void> {
  for (const key of await listSigningKeys(connection)) {
    console.log(`${key._id}\t${key.alg}\t${key.created_at.toISOString()}\t${describeKeyState(key)}`);
  }
}

/**
 * `keys dashboard-secret --replace`: a new dashboard client secret (it leaked, or the database did).
 * Never printed: nobody types it. Instances read it at start only (the provider registers it and the
 * dashboard presents it), so the operator restarts them; until all have, a sign-in whose callback
 * and token request meet an old and a new instance is refused (the callback's "Sign-in unavailable").
 */
export async function replaceDashboardSecret(connection: Connection, config: Config, replace: boolean | undefined): Promise<void> {
  if (!replace) throw new CliError('keys dashboard-secret needs --replace: it writes a new dashboard client secret, and dashboard sign-ins may fail until every instance has restarted.');
  await checkKeyEncryptionKey(connection, signingKeysBox(config)); // the servers must be able to open it
  await replaceDashboardClientSecret(connection, clientSecretsBox(config));
  console.log(`The dashboard's client secret (${DASHBOARD_SECRET_COLLECTION}) is replaced, sealed; it is never shown.`);
  console.log('Running instances keep the one they read at start: restart every instance now (a rolling restart). Until all have, a dashboard sign-in may fail with "Sign-in unavailable" (sign in again).');
}
