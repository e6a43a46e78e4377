import type { Connection } from 'mongoose';
import { FLOW_COLLECTION } from './flow-collection.ts';

// oidc-provider models that belong to one account (in the flow collection, see flow-collection.ts).
const ACCOUNT_MODELS = ['Session', 'Grant', 'RefreshToken', 'AccessToken', 'AuthorizationCode'];

/**
 * Ends every session and revokes every token of a user (after a password reset): each instance
 * reads these records from MongoDB on every use, so deleting them takes effect everywhere at once.
 */
export async function revokeAllForAccount(connection: Connection, accountId: string): Promise<void> {
  await connection.collection(FLOW_COLLECTION).deleteMany({ model: { $in: ACCOUNT_MODELS }, 'payload.accountId': accountId });
}
