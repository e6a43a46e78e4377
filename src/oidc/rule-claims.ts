import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

type Claims = Record<string, unknown>;

/**
 * Whether the sign-in a code or refresh token comes from left rule claims, as far as this request
 * knows: at the resume from the interaction result, at the token endpoint from the code or refresh
 * token read (the adapter keeps it with them, `noteRuleClaims`/`ruleClaimsNoted`). `false` spares the
 * token endpoint its rule_claims read; unknown (tokens stored before, other grants) reads as before.
 */
const knownPerRequest = new WeakMap<object, boolean>();

export function ruleClaimsKnown(ctx: KoaContextWithOIDC | undefined): boolean | undefined {
  if (!ctx) return undefined;
  const postLogin = (ctx.oidc?.result as { postLogin?: PostLoginResult } | undefined)?.postLogin;
  if (postLogin) return Boolean(Object.keys(postLogin.idTokenClaims ?? {}).length || Object.keys(postLogin.accessTokenClaims ?? {}).length);
  return knownPerRequest.get(ctx);
}

export function noteRuleClaims(ctx: KoaContextWithOIDC | undefined, known: unknown): void {
  if (ctx && typeof known === 'boolean') knownPerRequest.set(ctx, known);
}

/** What finishLogin puts in the interaction result (hooks/post-login.ts PostLoginOutcome). */
interface PostLoginResult { idTokenClaims?: Claims; accessTokenClaims?: Claims }

interface Stored { _id: string; id_token: Claims; access_token: Claims; expiresAt: Date }

export type RuleClaimsStore = ReturnType<typeof createRuleClaimsStore>;

/**
 * The custom claims rules set during a sign-in (Auth0's `context.idToken` / `context.accessToken`),
 * kept for the tokens of that sign-in: keyed by the OIDC session and the client, because every
 * token oidc-provider issues afterwards (code, refresh, JWT access token) carries `sessionUid`.
 * Kept as long as a refresh token of the session may live; every read filters on expiry.
 */
export function createRuleClaimsStore(connection: Connection, lifetimeSeconds: number) {
  const records = connection.collection<Stored>('rule_claims');
  let ready: Promise<unknown> | undefined;
  const indexes = () => {
    ready ??= records.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 }).catch((err: unknown) => {
      ready = undefined; // the database was away: the next write tries again
      throw err;
    });
    return ready;
  };
  const keyOf = (sessionUid: string, clientId: string) => JSON.stringify([sessionUid, clientId]);
  const perRequest = new WeakMap<object, Map<string, Promise<Stored | null>>>();

  return {
    async save(sessionUid: string, clientId: string, claims: PostLoginResult): Promise<void> {
      const id_token = claims.idTokenClaims ?? {};
      const access_token = claims.accessTokenClaims ?? {};
      const _id = keyOf(sessionUid, clientId);
      // A later sign-in in the same session replaces what an earlier one set, even with nothing.
      if (!Object.keys(id_token).length && !Object.keys(access_token).length) {
        await records.deleteOne({ _id });
        return;
      }
      await indexes();
      const expiresAt = new Date(Date.now() + lifetimeSeconds * 1000);
      await records.replaceOne({ _id }, { id_token, access_token, expiresAt }, { upsert: true });
    },

    async find(sessionUid: string | undefined, clientId: string | undefined): Promise<Stored | null> {
      if (!sessionUid || !clientId) return null;
      return records.findOne({ _id: keyOf(sessionUid, clientId), expiresAt: { $gt: new Date() } });
    },

    /**
     * The same, read once per request: the token endpoint asks for the ID token and again for the
     * access token of one exchange (`request` is the request's context object).
     */
    findFor(request: KoaContextWithOIDC | undefined, sessionUid: string | undefined, clientId: string | undefined): Promise<Stored | null> {
      if (ruleClaimsKnown(request) === false) return Promise.resolve(null);
      if (!request) return this.find(sessionUid, clientId);
      const key = keyOf(sessionUid ?? '', clientId ?? '');
      let found = perRequest.get(request);
      if (!found) perRequest.set(request, found = new Map());
      let record = found.get(key);
      if (!record) found.set(key, record = this.find(sessionUid, clientId));
      return record;
    },
  };
}

/**
 * oidc-provider's `loadExistingGrant` runs when an interaction resumes, with the interaction result
 * and the session at hand: the one place where the login's rule claims meet the session uid.
 */
export async function rememberRuleClaims(ctx: KoaContextWithOIDC, store: RuleClaimsStore): Promise<void> {
  const postLogin = (ctx.oidc.result as { postLogin?: PostLoginResult } | undefined)?.postLogin;
  const { session, client } = ctx.oidc;
  if (!postLogin || !session || !client) return;
  // A session created by this very sign-in has had no earlier one whose claims could linger: no delete to do.
  // (oidc-provider marks a session it has not loaded from storage `new`; its types leave that out.)
  if ((session as { new?: boolean }).new && !Object.keys(postLogin.idTokenClaims ?? {}).length && !Object.keys(postLogin.accessTokenClaims ?? {}).length) return;
  await store.save(session.uid, client.clientId, postLogin);
}

/** For `extraTokenClaims`: JWT access tokens of the sign-in get its `context.accessToken` claims. */
export async function accessTokenRuleClaims(ctx: KoaContextWithOIDC | undefined, token: { sessionUid?: string; clientId?: string }, store: RuleClaimsStore): Promise<Claims | undefined> {
  return (await store.findFor(ctx, token.sessionUid, token.clientId))?.access_token;
}

/**
 * ID tokens get the sign-in's `context.idToken` claims. oidc-provider releases from `findAccount`
 * only claims declared in its `claims` configuration, and rule claims are named by operators'
 * code (any URL), so they are added as ID token extras instead (set() is merged after the scope
 * mask). This provider instance's IdToken class only.
 */
export function releaseRuleClaimsInIdTokens(provider: Provider, store: RuleClaimsStore): void {
  const { prototype } = provider.IdToken;
  const issue = prototype.issue;
  prototype.issue = async function issueWithRuleClaims(this: InstanceType<Provider['IdToken']>, options) {
    if (options.use === 'idtoken' && this.ctx?.oidc) {
      const { AuthorizationCode, RefreshToken, DeviceCode } = this.ctx.oidc.entities;
      const source = AuthorizationCode ?? RefreshToken ?? DeviceCode;
      const stored = await store.findFor(this.ctx, source?.sessionUid, this.client?.clientId);
      for (const [name, value] of Object.entries(stored?.id_token ?? {})) this.set(name, value);
    }
    return issue.call(this, options);
  };
}
