import type { Connection } from 'mongoose';
import Provider, { type AdapterPayload } from 'oidc-provider';
import { indexBuilds } from '../db/index-builds.ts';
import { FLOW_COLLECTION, flowKey } from './flow-collection.ts';
import { RequestWrites } from './request-writes.ts';

/** An oidc-provider record as stored (`model` only in the flow collection). */
export interface Stored { _id: string; model?: string; payload: AdapterPayload; expiresAt?: Date; rule_claims?: boolean }

const live = (stored: Stored): boolean => !(stored.expiresAt && stored.expiresAt <= new Date());

/**
 * The flow collection (flow-collection.ts) with what the request being served already knows of it:
 * the writes it holds until its answer (request-writes.ts), and the grant and session its token
 * request read ahead with the code.
 */
export function createFlowStore(connection: Connection) {
  const collection = connection.collection<Stored>(FLOW_COLLECTION);
  const indexesReady = indexBuilds(async () => {
    await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await collection.createIndex({ 'payload.grantId': 1 });
    // Only sessions have a uid; sparse, so the other records are not in this index at all.
    await collection.createIndex({ 'payload.uid': 1 }, { unique: true, sparse: true });
  });
  const writes = new RequestWrites<Stored>(async (docs) => {
    await indexesReady();
    await collection.bulkWrite(docs.map(({ _id, ...replacement }) => ({ replaceOne: { filter: { _id }, replacement, upsert: true } })));
  });
  /** By request: records read ahead, by `_id` (the grant) and `uid:<uid>` (the session); each answers one read. */
  const readAhead = new WeakMap<object, Map<string, Stored | null>>();

  /**
   * A code names its grant and, when it ends with its session, the session's uid: oidc-provider then
   * reads the session (is it still there, same account?) and the grant, one after the other. One
   * read of both, made just after the code was redeemed, answers those two (a logout on another
   * instance a moment later is the same race it was).
   */
  async function readAheadFor(ctx: object, code: AdapterPayload): Promise<void> {
    const grantKey = typeof code.grantId === 'string' ? flowKey('Grant', code.grantId) : undefined;
    const sessionUid = code.expiresWithSession && typeof code.sessionUid === 'string' ? code.sessionUid : undefined;
    const branches = [...(grantKey ? [{ _id: grantKey }] : []), ...(sessionUid ? [{ 'payload.uid': sessionUid, model: 'Session' }] : [])];
    if (!branches.length) return;
    const found = await collection.find({ $or: branches }).toArray();
    const ahead = new Map<string, Stored | null>();
    if (grantKey) ahead.set(grantKey, found.find(({ _id }) => _id === grantKey) ?? null);
    if (sessionUid) ahead.set(`uid:${sessionUid}`, found.find(({ model, payload }) => model === 'Session' && payload.uid === sessionUid) ?? null);
    readAhead.set(ctx, ahead);
  }

  /** What this request knows of a record (`_id`, or `uid:<uid>` for a session): the record, null for none, undefined to ask the database. */
  function known(key: string): Stored | null | undefined {
    const ctx = Provider.ctx;
    const heldWrites = [...writes.held(ctx)?.values() ?? []];
    const held = key.startsWith('uid:')
      ? heldWrites.find(({ model, payload }) => model === 'Session' && `uid:${payload.uid}` === key)
      : heldWrites.find(({ _id }) => _id === key);
    if (held) return live(held) ? structuredClone(held) : null; // a copy, as a read from the database would be
    const ahead = ctx ? readAhead.get(ctx) : undefined;
    if (!ahead?.has(key)) return undefined;
    const stored = ahead.get(key)!;
    ahead.delete(key);
    return stored && live(stored) ? stored : null;
  }

  return { collection, indexesReady, writes, readAheadFor, known };
}
