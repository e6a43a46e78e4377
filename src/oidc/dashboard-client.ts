import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { isDuplicateKeyError } from '../db/duplicate-keys.ts';
import type { Keyring, Sealed } from '../lib/sealed-box.ts';
import { keyEncryptionKeyMismatch } from './signing-keys.ts';

export const DASHBOARD_CLIENT_ID = 'insole-dashboard';

/** Where the dashboard's client secret is kept, sealed: one record, `_id` the client id. */
export const DASHBOARD_SECRET_COLLECTION = 'dashboard_client';

interface DashboardSecretRecord { _id: string; secret_sealed: Sealed; created_at: Date }

/** 32 random bytes, sealed: a new secret as both the first start and a replacement make it. */
const freshSealedSecret = (box: Keyring): Sealed => box.seal(randomBytes(32).toString('base64url'));

/**
 * The dashboard's client secret: 32 random bytes made by the first instance that starts, kept
 * sealed as the CLI's client secrets are (clientSecretsBox: the current key encryption key or a
 * previous one opens it, `keys reseal` seals it again). Not derived from the key encryption key:
 * instances on the old and the new key during a roll hold the same secret, so a sign-in whose
 * callback and token request meet different instances works (README "Changing the key encryption
 * key"). A fixed id: when several instances start for the first time at once, one insert wins.
 */
export async function loadDashboardClientSecret(connection: Connection, box: Keyring): Promise<string> {
  const records = connection.collection<DashboardSecretRecord>(DASHBOARD_SECRET_COLLECTION);
  let record = await records.findOne({ _id: DASHBOARD_CLIENT_ID });
  if (!record) {
    const made = { _id: DASHBOARD_CLIENT_ID, secret_sealed: freshSealedSecret(box), created_at: new Date() };
    await records.insertOne(made).catch((err: unknown) => { if (!isDuplicateKeyError(err)) throw err; }); // another instance made it first
    record = await records.findOne({ _id: DASHBOARD_CLIENT_ID });
  }
  try {
    return box.open(record!.secret_sealed);
  } catch {
    throw keyEncryptionKeyMismatch(`The dashboard's client secret (${DASHBOARD_SECRET_COLLECTION})`);
  }
}

/**
 * A fresh secret for the dashboard, sealed as loadDashboardClientSecret makes one, in place of the
 * stored one (or the first, when no instance has started yet). Instances read the secret at start
 * only: each one started before keeps the old one until it restarts (README "Replacing the
 * dashboard's client secret").
 */
export async function replaceDashboardClientSecret(connection: Connection, box: Keyring): Promise<void> {
  await connection.collection<DashboardSecretRecord>(DASHBOARD_SECRET_COLLECTION).updateOne(
    { _id: DASHBOARD_CLIENT_ID },
    { $set: { secret_sealed: freshSealedSecret(box), created_at: new Date() } },
    { upsert: true },
  );
}

/**
 * The dashboard is a relying party of insole like any other (code flow + PKCE), registered by
 * insole itself: a confidential, first-party client with the secret above, and the only client that
 * may ask for Management API tokens on behalf of a signed-in user (`management_delegation`).
 * It receives back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0) at its own
 * /admin/backchannel-logout, with `sid` (session required), so an insole session ended anywhere
 * ends the dashboard sessions it signed in (src/dashboard/http/backchannel-logout.routes.ts).
 */
export function dashboardClient(config: Config, secret: string) {
  return {
    client_id: DASHBOARD_CLIENT_ID,
    client_secret: secret,
    client_name: `${config.brand.name} dashboard`,
    redirect_uris: [`${config.issuer}/admin/callback`],
    post_logout_redirect_uris: [`${config.issuer}/admin/signed-out`],
    backchannel_logout_uri: `${config.issuer}/admin/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code', 'refresh_token'] as ('authorization_code' | 'refresh_token')[],
    response_types: ['code'] as 'code'[],
    token_endpoint_auth_method: 'client_secret_basic' as const,
    first_party: true,
    management_delegation: true,
  };
}
