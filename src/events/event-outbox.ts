import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import type { EventMessage } from './event-message.ts';

/**
 * `ready`: the relay may publish. `sent`: the broker confirmed it (kept `retention_days`, then removed
 * by TTL). `new`: staged by an insole before the one-insert log events (log-outbox.ts), whose log
 * might not exist; none is written now, but one an older instance left during a rolling upgrade is
 * still settled by the relay. Unsent records expire `undelivered_retention_days` after they are
 * written, so a store without a broker stays bounded.
 */
export type OutboxState = 'new' | 'ready' | 'sent';

export interface OutboxRecord {
  _id: string; // the log_id
  state: OutboxState;
  event: EventMessage;
  created_at: Date;
  attempts: number;
  /** A relay owns the record until then (its lease); the epoch means nobody does. */
  claimed_until: Date;
  claim?: string;
  sent_at?: Date;
  expires_at?: Date;
  last_error?: string;
}

export type EventOutbox = ReturnType<typeof createEventOutbox>;

const UNCLAIMED = new Date(0);
const DUPLICATE_KEY = 11000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * The `event_outbox` collection. No transactions (DESIGN), so a log event is written in three
 * single-document steps — stage here, insert the log, mark ready here — and a crash between them
 * leaves a `new` record that the relay settles later by looking for its log.
 */
export type OutboxRetention = Pick<Config['events'], 'retention_days' | 'undelivered_retention_days'>;

export function createEventOutbox(connection: Connection, retention: OutboxRetention) {
  const records = connection.collection<OutboxRecord>('event_outbox');
  const listeners = new Set<() => void>();
  const ids = (list: OutboxRecord[]) => list.map((r) => r._id);
  const expiry = (from: Date, days: number) => new Date(from.getTime() + days * DAY_MS);

  /**
   * Takes up to `limit` records matching `filter`, one atomic findOneAndUpdate each: two relays never
   * hold the same one. It stops early once a third of the lease is spent claiming (a slow database,
   * a large backlog), so the batch is published well within its leases and a record claimed first
   * cannot expire and be claimed again by this same loop.
   */
  async function claim(filter: object, limit: number, leaseMs: number): Promise<OutboxRecord[]> {
    const token = randomUUID();
    const claimed: OutboxRecord[] = [];
    const stopAt = Date.now() + leaseMs / 3;
    while (claimed.length < limit && (claimed.length === 0 || Date.now() < stopAt)) {
      const now = new Date();
      const record = await records.findOneAndUpdate(
        { ...filter, claimed_until: { $lte: now } },
        { $set: { claimed_until: new Date(now.getTime() + leaseMs), claim: token }, $inc: { attempts: 1 } },
        { sort: { created_at: 1 }, returnDocument: 'after' },
      );
      if (!record) break;
      claimed.push(record);
    }
    return claimed;
  }

  return {
    async prepare(): Promise<void> {
      await Promise.all([
        records.createIndex({ state: 1, created_at: 1 }),
        // Insight events by segment, for "entered / exited lately" (sent records are kept retention_days).
        records.createIndex({ 'event.details.segment_id': 1, created_at: 1 }, { sparse: true }),
        // Housekeeping only: sent records expire after retention_days, unsent ones after undelivered_retention_days.
        records.createIndex({ expires_at: 1 }, { expireAfterSeconds: 0 }),
      ]);
    },

    /**
     * Events that are already durable elsewhere (insight events, stored with the user write that
     * caused them): ready at once. Enqueueing one again is harmless: its id is taken, nothing changes.
     */
    async enqueue(events: EventMessage[]): Promise<void> {
      if (!events.length) return;
      const now = new Date();
      try {
        await records.insertMany(events.map((event) => ({
          _id: event.log_id, state: 'ready' as const, event, created_at: now, attempts: 0, claimed_until: UNCLAIMED, expires_at: expiry(now, retention.undelivered_retention_days),
        })), { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { code?: number }[] | { code?: number } }).writeErrors;
        const codes = [writeErrors ?? err].flat().map((e) => (e as { code?: number }).code);
        if (!codes.every((code) => code === DUPLICATE_KEY)) throw err;
      }
      for (const listener of listeners) listener();
    },

    /** segment.entered / segment.exited events of one segment since `since` (as long as records are kept). */
    async countRecent(segmentId: string, since: Date): Promise<{ entered: number; exited: number }> {
      const rows = await records.aggregate<{ _id: string; n: number }>([
        { $match: { 'event.details.segment_id': segmentId, created_at: { $gte: since } } },
        { $group: { _id: '$event.type', n: { $sum: 1 } } },
      ]).toArray();
      const count = (type: string) => rows.find((row) => row._id === type)?.n ?? 0;
      return { entered: count('segment.entered'), exited: count('segment.exited') };
    },

    /** Called after every local enqueue, so this instance's relay need not wait for its next poll. */
    onWritten(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    claimReady: (limit: number, leaseMs: number) => claim({ state: 'ready' }, limit, leaseMs),

    /** `new` records older than `olderThanMs`: their writer crashed or is very late. */
    claimStale: (olderThanMs: number, limit: number, leaseMs: number) =>
      claim({ state: 'new', created_at: { $lt: new Date(Date.now() - olderThanMs) } }, limit, leaseMs),

    async markSent(sent: OutboxRecord[]): Promise<void> {
      if (!sent.length) return;
      const now = new Date();
      await records.updateMany(
        { _id: { $in: ids(sent) } },
        { $set: { state: 'sent', sent_at: now, expires_at: expiry(now, retention.retention_days) }, $unset: { last_error: '' } },
      );
    },

    /** Hands records back (publish failed) so the next round, here or elsewhere, retries them at once. */
    async unclaim(failed: OutboxRecord[], error: string): Promise<void> {
      if (!failed.length) return;
      const mine = failed.map((r) => ({ _id: r._id, claim: r.claim! }));
      await records.updateMany({ $or: mine, state: 'ready' }, { $set: { claimed_until: UNCLAIMED, last_error: error } });
    },

    /**
     * The broker refused these (basic.nack): still this relay's until `retryAt`, so a refusal that
     * lasts is retried with backoff and the records behind them in the outbox go out meanwhile.
     */
    async postpone(refused: { record: OutboxRecord; retryAt: Date }[], error: string): Promise<void> {
      await Promise.all(refused.map(({ record, retryAt }) => records.updateOne(
        { _id: record._id, claim: record.claim!, state: 'ready' },
        { $set: { claimed_until: retryAt, last_error: error } },
      )));
    },

    /** Stale records whose log exists: publishable. */
    async markReady(found: OutboxRecord[]): Promise<void> {
      if (!found.length) return;
      await records.updateMany({ _id: { $in: ids(found) }, state: 'new' }, { $set: { state: 'ready', claimed_until: UNCLAIMED } });
    },

    /** Stale records without a log: the write failed and nobody heard of the event. */
    async discard(orphans: OutboxRecord[]): Promise<void> {
      if (!orphans.length) return;
      await records.deleteMany({ _id: { $in: ids(orphans) }, state: 'new' });
    },
  };
}
