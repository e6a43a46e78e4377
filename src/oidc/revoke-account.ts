import type { Connection } from 'mongoose';

// oidc-provider models that belong to one account (collections of src/oidc/mongo-adapter.ts).
const ACCOUNT_MODELS = ['session', 'grant', 'refreshtoken', 'accesstoken', 'authorizationcode'];

/**
 * Ends every session and revokes every token of a user (after a password reset): each instance
 * reads these records from MongoDB on every use, so deleting them takes effect everywhere at once.
 */
export async function revokeAllForAccount(connection: Connection, accountId: string): Promise<void> {
  await Promise.all(ACCOUNT_MODELS.map((model) =>
    connection.collection(`oidc_${model}`).deleteMany({ 'payload.accountId': accountId })));
}
