import type { Connection } from 'mongoose';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { SealedBox } from '../lib/sealed-box.ts';
import { openClientSecret, sealClientSecret } from './client-secrets.ts';
import { withBothHomePageForms } from '../config/post-logout-uris.ts';
import { indexBuilds } from '../db/index-builds.ts';
import { flowKey, isFlowModel, modelCollection } from './flow-collection.ts';
import { createFlowStore, type Stored } from './flow-store.ts';
import { noteRuleClaims, ruleClaimsKnown } from './rule-claims.ts';
import { resultHandedTo } from './resume-here.ts';

/** Codes and refresh tokens carry whether their sign-in left rule claims (rule-claims.ts), beside the payload. */
const CARRY_RULE_CLAIMS = new Set(['AuthorizationCode', 'RefreshToken']);

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** Marks a single-use artifact consumed, only if it was not: of two concurrent redemptions exactly one matches. */
const NOT_CONSUMED = { 'payload.consumed': { $exists: false } };
const consumedNow = () => ({ $set: { 'payload.consumed': Math.floor(Date.now() / 1000) } });

const notExpired = () => ({ $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date() } }] });

/**
 * oidc-provider storage in MongoDB: the models of a sign-in share the flow collection
 * (flow-collection.ts), the others have one each (`oidc_<model>`). TTL indexes are declared for
 * real MongoDB, but every read also filters on `expiresAt` because the dev server ignores TTL and
 * MongoDB's TTL monitor runs only once a minute. `holdWrites` is the middleware under which a
 * request's writes to the flow collection are sent together (request-writes.ts).
 */
export function createMongoStorage(connection: Connection, clientSecrets: SealedBox) {
  /** The other models' index builds, by collection (adapters are made again when the provider is rebuilt). */
  const builds = new Map<string, () => Promise<void>>();
  /** The interaction a resume request took (find and delete in one command), by request. */
  const taken = new WeakMap<object, string>();
  /** The code a token request redeemed (find and consume in one command), by request. */
  const redeemed = new WeakMap<object, string>();
  const flow = createFlowStore(connection);

  class MongoAdapter implements Adapter {
    readonly name: string;
    // Looked up once: mongoose's connection.collection() costs more than the read it serves.
    private readonly collection;
    private readonly shared: boolean;
    /** Index builds start with the first use of a collection, and its writes await them (db/index-builds.ts). */
    private readonly indexesReady: () => Promise<void>;

    constructor(name: string) {
      this.name = name;
      this.shared = isFlowModel(name);
      this.collection = this.shared ? flow.collection : connection.collection<Stored>(modelCollection(name));
      this.indexesReady = this.shared ? flow.indexesReady : this.ownIndexBuilds();
    }

    private ownIndexBuilds(): () => Promise<void> {
      const name = this.collection.collectionName;
      if (!builds.has(name)) {
        builds.set(name, indexBuilds(async () => {
          await this.collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
          if (GRANTABLE.has(this.name)) await this.collection.createIndex({ 'payload.grantId': 1 });
          if (this.name === 'DeviceCode') await this.collection.createIndex({ 'payload.userCode': 1 }, { unique: true });
        }));
      }
      return builds.get(name)!;
    }

    private key(id: string): string {
      return this.shared ? flowKey(this.name, id) : id;
    }

    /** In the flow collection, a condition on several records keeps to this model's. */
    private ownRecords() {
      return this.shared ? { model: this.name } : {};
    }

    async upsert(id: string, given: AdapterPayload, expiresIn?: number): Promise<void> {
      const payload = this.name === 'Client' ? sealClientSecret(given, clientSecrets) : given;
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : undefined;
      const ruleClaims = CARRY_RULE_CLAIMS.has(this.name) ? ruleClaimsKnown(Provider.ctx) : undefined;
      const { _id, ...replacement }: Stored = {
        _id: this.key(id),
        ...(this.shared ? { model: this.name } : {}),
        payload,
        ...(expiresAt ? { expiresAt } : {}),
        ...(ruleClaims === undefined ? {} : { rule_claims: ruleClaims }),
      };
      const held = this.shared ? flow.writes.held(Provider.ctx) : undefined;
      if (held) {
        held.set(_id, { _id, ...structuredClone(replacement) }); // sent with the request's others, before its answer
        return;
      }
      await this.indexesReady();
      await this.collection.replaceOne({ _id }, replacement, { upsert: true });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Interaction' && Provider.ctx?.oidc?.route === 'resume') return this.take(id);
      if (this.name === 'AuthorizationCode' && Provider.ctx?.oidc?.route === 'token') return this.redeem(id);
      return this.read(id);
    }

    private async read(id: string): Promise<AdapterPayload | undefined> {
      const key = this.key(id);
      const stored = this.shared ? flow.known(key) : undefined;
      const found = stored === undefined ? await this.collection.findOne({ _id: key, ...notExpired() }) : stored;
      if (found && CARRY_RULE_CLAIMS.has(this.name)) noteRuleClaims(Provider.ctx, found.rule_claims);
      const payload = found?.payload;
      return payload && this.name === 'Client' ? asRegistered(openClientSecret(payload, clientSecrets)) : payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const stored = flow.known(`uid:${uid}`);
      if (stored !== undefined) return stored?.payload;
      return (await this.collection.findOne({ 'payload.uid': uid, ...this.ownRecords(), ...notExpired() }))?.payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await this.collection.findOne({ 'payload.userCode': userCode, ...notExpired() }))?.payload;
    }

    async destroy(id: string): Promise<void> {
      const ctx = Provider.ctx;
      if (ctx && taken.get(ctx) === id) return; // the resume's read already removed it
      await flow.writes.send(ctx);
      await this.collection.deleteOne({ _id: this.key(id) });
    }

    /**
     * The resume reads its interaction once and then destroys it (or, when another account signed in
     * meanwhile, saves it again, which writes it back): one findOneAndDelete does both. Of two
     * concurrent resumes of one interaction, only one gets it and goes on to issue a code. A resume
     * the sign-in POST started in-process (resume-here.ts) was handed the result instead of finding it
     * stored.
     */
    private async take(id: string): Promise<AdapterPayload | undefined> {
      const ctx = Provider.ctx!;
      await flow.writes.send(ctx);
      const stored = await this.collection.findOneAndDelete({ _id: this.key(id), ...notExpired() });
      if (!stored) return undefined;
      taken.set(ctx, id);
      const result = resultHandedTo(ctx.req, id);
      return result ? { ...stored.payload, result } : stored.payload;
    }

    /**
     * The token endpoint reads a code only to redeem it: one findOneAndUpdate marks it consumed and
     * returns it as it was, so the consume() oidc-provider calls once its checks pass has nothing
     * left to do. A code the request then refuses (a wrong PKCE verifier or redirect_uri) stays
     * spent: one attempt per code, which RFC 6749 §4.1.2 allows and Keycloak does too. A code
     * already consumed is read as it is, and oidc-provider treats that as the replay it is.
     */
    private async redeem(id: string): Promise<AdapterPayload | undefined> {
      const ctx = Provider.ctx!;
      await flow.writes.send(ctx);
      const stored = await this.collection.findOneAndUpdate({ _id: this.key(id), ...NOT_CONSUMED, ...notExpired() }, consumedNow(), { returnDocument: 'before' });
      if (!stored) return this.read(id); // unknown, expired or a replay
      redeemed.set(ctx, id);
      noteRuleClaims(ctx, stored.rule_claims);
      if (this.shared) await flow.readAheadFor(ctx, stored.payload);
      return stored.payload;
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await flow.writes.send(Provider.ctx);
      await this.collection.deleteMany({ 'payload.grantId': grantId, ...this.ownRecords() });
    }

    /**
     * Marks single-use artifacts (codes, rotated refresh tokens). Conditional, so of two concurrent
     * redemptions exactly one wins; oidc-provider only checks `consumed` before calling this.
     */
    async consume(id: string): Promise<void> {
      const ctx = Provider.ctx;
      if (ctx && redeemed.get(ctx) === id) return; // the token request's read already consumed it
      await flow.writes.send(ctx);
      const result = await this.collection.updateOne({ _id: this.key(id), ...NOT_CONSUMED }, consumedNow());
      if (result.modifiedCount === 0) {
        await this.revokeGrantOf(id);
        throw new errors.InvalidGrant(`${this.name} already consumed`);
      }
    }

    /**
     * The loser of a concurrent redemption is a replay too (RFC 6749 §4.1.2), but oidc-provider only
     * revokes when it saw `consumed` itself. Ending the grant voids what the winner issues, because
     * every use of a token (introspection, userinfo, refresh) looks its grant up.
     */
    private async revokeGrantOf(id: string): Promise<void> {
      const grantId = (await this.collection.findOne({ _id: this.key(id) }))?.payload.grantId;
      if (typeof grantId === 'string') await flow.collection.deleteOne({ _id: flowKey('Grant', grantId) });
    }
  }

  return { Adapter: MongoAdapter, holdWrites: flow.writes.middleware };
}

/**
 * A client stored before home pages were registered in both spellings reads as if it had been
 * registered so (config/post-logout-uris.ts); without this, an upgrade would refuse its
 * express-openid-connect logout until an operator re-registered it.
 */
function asRegistered(payload: AdapterPayload): AdapterPayload {
  const uris = payload.post_logout_redirect_uris;
  return Array.isArray(uris) ? { ...payload, post_logout_redirect_uris: withBothHomePageForms(uris as string[]) } : payload;
}
