import type { Connection } from 'mongoose';
import { cursorBatches } from '../db/cursor-batches.ts';
import { insertNew } from '../db/duplicate-keys.ts';
import type { Logger } from '../lib/logger.ts';

/**
 * The oidc-provider models of a browser sign-in and of what it grants share one collection, so the
 * writes one request makes to several of them (the resume's grant, code and session; the token
 * request's access and refresh tokens) go as one command (request-writes.ts), and the token request
 * reads the grant and session its code names in one. A record's `_id` is `<Model>:<id>` and its
 * `model` names the model. The other models (clients, device codes, …) keep a collection each.
 */
export const FLOW_COLLECTION = 'oidc_flow';

const FLOW_MODELS = ['Session', 'Interaction', 'Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken'];

export const isFlowModel = (model: string): boolean => FLOW_MODELS.includes(model);

export const flowKey = (model: string, id: string): string => `${model}:${id}`;

/** Where a model's records were kept before they shared the flow collection (and where the others still are). */
export const modelCollection = (model: string): string => `oidc_${model.toLowerCase()}`;

/**
 * Moves records left in the collections these models had before (`oidc_session`, …) into the flow
 * collection, at start, so signed-in shoppers and issued refresh tokens survive the upgrade; then
 * drops the old collection. Instances starting together may both move a record: the second insert
 * is a duplicate and skipped. An instance of the older version still running writes to the old
 * collections, which this instance no longer reads: upgrade all instances before serving sign-ins.
 */
export async function moveToFlowCollection(connection: Connection, logger: Logger): Promise<void> {
  const existing = new Set((await connection.db!.listCollections({}, { nameOnly: true }).toArray()).map(({ name }) => name));
  const flow = connection.collection<{ _id: string; model: string }>(FLOW_COLLECTION);
  for (const model of FLOW_MODELS.filter((name) => existing.has(modelCollection(name)))) {
    const old = connection.collection<{ _id: string }>(modelCollection(model));
    let moved = 0;
    for await (const batch of cursorBatches(old.find())) {
      await insertNew(flow, batch.map((record) => ({ ...record, _id: flowKey(model, record._id), model })));
      moved += batch.length;
    }
    await old.drop(); // the driver takes "not found" (another instance dropped it first) as done
    if (moved) logger.info({ model, moved, into: FLOW_COLLECTION }, 'oidc-provider records moved to the flow collection');
  }
}
