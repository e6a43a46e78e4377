import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { SegmentFilter } from './segment-filter.ts';
import { indexBuilds } from '../../db/index-builds.ts';

/**
 * A saved segment. `dynamic`: a filter, kept current with every profile write and by the sweep.
 * `static`: a fixed list of users, given at creation (or by a PATCH). Membership lives on the users
 * (`facts.segments`, indexed), so counting and listing members is an index read.
 */
export interface SegmentDoc {
  _id: string;
  key: string;
  name: string;
  description?: string;
  type: 'dynamic' | 'static';
  filter?: SegmentFilter;
  /** A static segment's members, as given (at most MAX_STATIC_MEMBERS), so its calculation can be run again. */
  user_ids?: string[];
  created_at: Date;
  updated_at: Date;
  /** Bumped by every change of the definition: a calculation of an older version is not recorded as done. */
  version: number;
  /** The membership is being (re)calculated: its starting state, so no events for it meanwhile. */
  is_calculating: boolean;
  /** Until then the calculation belongs to the instance running it; after that (a crash) the sweep runs it again. */
  calculating_until?: Date;
  last_calculated_at?: Date;
  error?: string;
}

export const MAX_STATIC_MEMBERS = 10_000;

/**
 * How long a deleted segment's id is remembered. Until every instance has re-read the segments
 * (segment_refresh_seconds, longer if its database reads fail), a profile write there may still
 * put the id on a profile; each sweep takes the remembered ids off again, through the index.
 */
const REMEMBER_DELETED_MS = 24 * 3600_000;

export type SegmentRepository = ReturnType<typeof createSegmentRepository>;

export function createSegmentRepository(connection: Connection) {
  const segments = connection.collection<SegmentDoc>('segments');
  const deletions = connection.collection<{ _id: string; deleted_at: Date }>('segment_deletions');
  const ready = indexBuilds(() => segments.createIndex({ key: 1 }, { unique: true }));

  return {
    newId: () => `seg_${randomBytes(12).toString('hex')}`,
    async insert(segment: SegmentDoc): Promise<void> {
      await ready();
      await segments.insertOne(segment);
    },
    list: () => segments.find({}).sort({ created_at: 1 }).toArray(),
    find: (id: string) => segments.findOne({ _id: String(id) }),
    /** Few segments, read at their creation only: no index. */
    named: (name: string) => segments.findOne({ name }),
    /** A definition change (name, description, filter, user_ids): `version` moves on when the membership must be recalculated. */
    update(id: string, set: Partial<SegmentDoc>, recalculate: boolean): Promise<SegmentDoc | null> {
      const change = recalculate ? { $set: { ...set, is_calculating: true }, $inc: { version: 1 }, $unset: { calculating_until: '' as const } } : { $set: set };
      return segments.findOneAndUpdate({ _id: String(id) }, change, { returnDocument: 'after' });
    },
    /** Remembered first, so a crash between the two leaves the sweep something to finish. */
    async remove(id: string): Promise<boolean> {
      await deletions.updateOne({ _id: String(id) }, { $set: { deleted_at: new Date() } }, { upsert: true });
      if ((await segments.deleteOne({ _id: String(id) })).deletedCount === 1) return true;
      await deletions.deleteOne({ _id: String(id) });
      return false;
    },
    /** Ids of segments deleted within REMEMBER_DELETED_MS of `now`; older ones are forgotten. */
    async recentlyDeleted(now: Date): Promise<string[]> {
      await deletions.deleteMany({ deleted_at: { $lt: new Date(now.getTime() - REMEMBER_DELETED_MS) } });
      return (await deletions.find({}).toArray()).map((deletion) => deletion._id);
    },
    /** Takes a calculation to run: one instance at a time, until `until`. */
    claimCalculation: (id: string, version: number, now: Date, until: Date) => segments.findOneAndUpdate(
      { _id: id, version, is_calculating: true, $or: [{ calculating_until: { $exists: false } }, { calculating_until: { $lte: now } }] },
      { $set: { calculating_until: until } }, { returnDocument: 'after' },
    ),
    /** Done, unless the definition moved on meanwhile (then its own calculation follows). */
    finishCalculation: (id: string, version: number, at: Date, error?: string) => segments.updateOne(
      { _id: id, version },
      error ? { $set: { is_calculating: false, error, last_calculated_at: at }, $unset: { calculating_until: '' } }
        : { $set: { is_calculating: false, last_calculated_at: at }, $unset: { calculating_until: '', error: '' } },
    ),
    touchCalculated: (id: string, at: Date) => segments.updateOne({ _id: id, is_calculating: false }, { $set: { last_calculated_at: at } }),
  };
}
