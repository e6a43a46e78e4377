import type { Connection } from 'mongoose';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { SealedBox } from '../lib/sealed-box.ts';
import { openClientSecret, sealClientSecret } from './client-secrets.ts';
import { noteRuleClaims, ruleClaimsKnown } from './rule-claims.ts';

interface Stored { _id: string; payload: AdapterPayload; expiresAt?: Date; rule_claims?: boolean }

/** Codes and refresh tokens carry whether their sign-in left rule claims (rule-claims.ts), beside the payload. */
const CARRY_RULE_CLAIMS = new Set(['AuthorizationCode', 'RefreshToken']);

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** Marks a single-use artifact consumed, only if it was not: of two concurrent redemptions exactly one matches. */
const NOT_CONSUMED = { 'payload.consumed': { $exists: false } };
const consumedNow = () => ({ $set: { 'payload.consumed': Math.floor(Date.now() / 1000) } });

/**
 * oidc-provider storage in MongoDB: one collection per model (`oidc_<model>`). TTL indexes are
 * declared for real MongoDB, but every read also filters on `expiresAt` because the dev server
 * ignores TTL and MongoDB's TTL monitor runs only once a minute.
 */
export function createMongoAdapterFactory(connection: Connection, clientSecrets: SealedBox) {
  const prepared = new Map<string, Promise<void>>();
  /** The interaction a resume request took (find and delete in one command), by request. */
  const taken = new WeakMap<object, string>();
  /** The code a token request redeemed (find and consume in one command), by request. */
  const redeemed = new WeakMap<object, string>();

  return class MongoAdapter implements Adapter {
    readonly name: string;
    // Looked up once: mongoose's connection.collection() costs more than the read it serves.
    private readonly collection;

    constructor(name: string) {
      this.name = name;
      this.collection = connection.collection<Stored>(`oidc_${name.toLowerCase()}`);
      void this.indexesReady();
    }

    /**
     * Index builds start with the first use of a model and are awaited by writes. A failed build (the
     * database away, or closing) is forgotten so the next write tries again; the handler also keeps
     * it from being an unhandled rejection, which would end the process.
     */
    private indexesReady(): Promise<void> {
      let ready = prepared.get(this.name);
      if (!ready) {
        ready = this.createIndexes();
        ready.catch(() => prepared.delete(this.name));
        prepared.set(this.name, ready);
      }
      return ready;
    }

    private async createIndexes(): Promise<void> {
      await this.collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      if (GRANTABLE.has(this.name)) await this.collection.createIndex({ 'payload.grantId': 1 });
      if (this.name === 'Session') await this.collection.createIndex({ 'payload.uid': 1 }, { unique: true });
      if (this.name === 'DeviceCode') await this.collection.createIndex({ 'payload.userCode': 1 }, { unique: true });
    }

    private notExpired() {
      return { $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date() } }] };
    }

    async upsert(id: string, given: AdapterPayload, expiresIn?: number): Promise<void> {
      const payload = this.name === 'Client' ? sealClientSecret(given, clientSecrets) : given;
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : undefined;
      await this.indexesReady();
      const ruleClaims = CARRY_RULE_CLAIMS.has(this.name) ? ruleClaimsKnown(Provider.ctx) : undefined;
      await this.collection.replaceOne(
        { _id: id },
        { payload, ...(expiresAt ? { expiresAt } : {}), ...(ruleClaims === undefined ? {} : { rule_claims: ruleClaims }) },
        { upsert: true },
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.name === 'Interaction' && Provider.ctx?.oidc?.route === 'resume') return this.take(id);
      if (this.name === 'AuthorizationCode' && Provider.ctx?.oidc?.route === 'token') return this.redeem(id);
      return this.read(id);
    }

    private async read(id: string): Promise<AdapterPayload | undefined> {
      const stored = await this.collection.findOne({ _id: id, ...this.notExpired() });
      if (stored && CARRY_RULE_CLAIMS.has(this.name)) noteRuleClaims(Provider.ctx, stored.rule_claims);
      const payload = stored?.payload;
      return payload && this.name === 'Client' ? openClientSecret(payload, clientSecrets) : payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await this.collection.findOne({ 'payload.uid': uid, ...this.notExpired() }))?.payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await this.collection.findOne({ 'payload.userCode': userCode, ...this.notExpired() }))?.payload;
    }

    async destroy(id: string): Promise<void> {
      const ctx = Provider.ctx;
      if (ctx && taken.get(ctx) === id) return; // the resume's read already removed it
      await this.collection.deleteOne({ _id: id });
    }

    /**
     * The resume reads its interaction once and then destroys it (or, when another account signed in
     * meanwhile, saves it again, which writes it back): one findOneAndDelete does both. Of two
     * concurrent resumes of one interaction, only one gets it and goes on to issue a code.
     */
    private async take(id: string): Promise<AdapterPayload | undefined> {
      const stored = await this.collection.findOneAndDelete({ _id: id, ...this.notExpired() });
      if (stored) taken.set(Provider.ctx!, id);
      return stored?.payload;
    }

    /**
     * The token endpoint reads a code only to redeem it: one findOneAndUpdate marks it consumed and
     * returns it as it was, so the consume() oidc-provider calls once its checks pass has nothing
     * left to do. A code the request then refuses (a wrong PKCE verifier or redirect_uri) stays
     * spent: one attempt per code, which RFC 6749 §4.1.2 allows and Keycloak does too. A code
     * already consumed is read as it is, and oidc-provider treats that as the replay it is.
     */
    private async redeem(id: string): Promise<AdapterPayload | undefined> {
      const stored = await this.collection.findOneAndUpdate({ _id: id, ...NOT_CONSUMED, ...this.notExpired() }, consumedNow(), { returnDocument: 'before' });
      if (!stored) return this.read(id); // unknown, expired or a replay
      redeemed.set(Provider.ctx!, id);
      noteRuleClaims(Provider.ctx, stored.rule_claims);
      return stored.payload;
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await this.collection.deleteMany({ 'payload.grantId': grantId });
    }

    /**
     * Marks single-use artifacts (codes, rotated refresh tokens). Conditional, so of two concurrent
     * redemptions exactly one wins; oidc-provider only checks `consumed` before calling this.
     */
    async consume(id: string): Promise<void> {
      const ctx = Provider.ctx;
      if (ctx && redeemed.get(ctx) === id) return; // the token request's read already consumed it
      const result = await this.collection.updateOne({ _id: id, ...NOT_CONSUMED }, consumedNow());
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
      const grantId = (await this.collection.findOne({ _id: id }))?.payload.grantId;
      if (typeof grantId === 'string') await connection.collection<Stored>('oidc_grant').deleteOne({ _id: grantId });
    }
  };
}
