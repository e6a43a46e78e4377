import { cursorBatches } from '../db/cursor-batches.ts';
import type { UserDoc, UserModel } from './user.model.ts';
import { withProfileDefaults } from './stored-user.ts';

/** Secrets a read of many users leaves out by name: the driver knows nothing of `select: false`. */
const WITHOUT_SECRETS = { password_hash: 0, 'identities.sealed_tokens': 0 } as const;

/**
 * The reads of many users at once (the Management API's search, exports). Part of the user
 * repository (spread into it), kept apart because they go through the driver, not mongoose, and
 * read no user by id.
 */
export function bulkUserReads(users: UserModel) {
  return {
    /**
     * Searches with a filter compiled from Auth0's query syntax (src/search): through the driver,
     * because it carries our own operators, which mongoose's sanitizeFilter would strip.
     */
    async search(filter: Record<string, unknown>, { sort, skip = 0, limit }: { sort: Record<string, 1 | -1>; skip?: number; limit: number }): Promise<UserDoc[]> {
      const found = await users.collection.find<UserDoc>(filter, { sort, skip, limit, projection: WITHOUT_SECRETS }).toArray();
      return found.map(withProfileDefaults);
    },

    countMatching(filter: Record<string, unknown>): Promise<number> {
      return users.collection.countDocuments(filter);
    },

    /**
     * Every user (of one connection when asked), a cursor batch at a time: an export of any size
     * holds one batch, and waits once per batch rather than once per user. Natural order, as Auth0
     * promises none (a sort would make the dev database sort every user first).
     */
    async *streamBatches({ connection, segment, limit }: { connection?: string; segment?: string; limit?: number }, batchSize = 100): AsyncGenerator<UserDoc[]> {
      const cursor = users.collection.find(exportFilter({ connection, segment }), { batchSize, projection: WITHOUT_SECRETS, ...(limit ? { limit } : {}) });
      for await (const batch of cursorBatches(cursor) as AsyncGenerator<UserDoc[]>) yield batch.map(withProfileDefaults);
    },

    /** How many users `streamBatches` gives for the same selection (an export's total). */
    countAll(selection: { connection?: string; segment?: string }): Promise<number> {
      return users.countDocuments(exportFilter(selection)).exec();
    },
  };
}

/** The users an export selects: of one connection, of one saved segment, or all. */
function exportFilter({ connection, segment }: { connection?: string; segment?: string }): Record<string, string> {
  return { ...(connection ? { 'identities.connection': String(connection) } : {}), ...(segment ? { 'facts.segments': String(segment) } : {}) };
}
