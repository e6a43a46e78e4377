import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';

interface LeaseRecord { _id: string; owner: string; until: Date }

export type Lease = ReturnType<typeof createLease>;

/**
 * A named lease in MongoDB, for work that one instance at a time should do (a periodic sweep):
 * taken with one atomic upsert when free or expired, renewed by its owner. A crashed owner's
 * lease simply runs out.
 */
export function createLease(connection: Connection, name: string) {
  const leases = connection.collection<LeaseRecord>('leases');
  const owner = randomUUID();
  return {
    async acquire(ms: number, now = new Date()): Promise<boolean> {
      try {
        const taken = await leases.findOneAndUpdate(
          { _id: name, $or: [{ until: { $lte: now } }, { owner }] },
          { $set: { owner, until: new Date(now.getTime() + ms) } },
          { upsert: true, returnDocument: 'after' },
        );
        return taken?.owner === owner;
      } catch (err) {
        if ((err as { code?: number }).code === 11000) return false; // held by another instance
        throw err;
      }
    },
    async release(): Promise<void> {
      await leases.deleteOne({ _id: name, owner });
    },
  };
}
