import type { UserDoc } from '../../users/user.model.ts';
import { toPublicProfile } from '../../users/profile.ts';
import { PASSWORD_CONNECTION } from '../../users/password-signin.service.ts';
import type { LoginContext } from '../post-login.ts';
import type { RuleState } from './rule-runner.ts';

type Json = Record<string, unknown>;

/** The `user` of Auth0 rules: the Auth0 profile as JSON (ISO dates, no secrets), metadata as mutable copies. */
export function toRuleUser(user: UserDoc): Json {
  return JSON.parse(JSON.stringify({ ...toPublicProfile(user), likes: user.likes ?? undefined })) as Json;
}

/**
 * Auth0's rule `context` for a sign-in through the hosted pages. `protocol` is Auth0's name for
 * the authorization code flow; the token objects collect custom claims for this sign-in.
 */
export function toRuleContext(user: UserDoc, login: LoginContext, issuer: string): Json {
  return {
    clientID: login.client_id,
    clientName: login.client_name ?? login.client_id,
    clientMetadata: {},
    connection: login.connection,
    connectionStrategy: strategyOf(login.connection),
    protocol: 'oidc-basic-profile',
    request: { ip: login.ip, userAgent: login.user_agent, hostname: new URL(issuer).hostname, query: { ...login.query } },
    stats: { loginsCount: user.logins_count ?? 0 },
    idToken: {},
    accessToken: {},
  };
}

/** Auth0's strategy names: `auth0` for the database connection, the provider for social ones. */
export function strategyOf(connection: string): string {
  return connection === PASSWORD_CONNECTION ? 'auth0' : connection;
}

/** Each rule works on its own copy: a rule that is skipped leaves no half-made changes behind. */
export function copyState(state: RuleState): RuleState {
  return { user: copyOf(state.user), context: copyOf(state.context) };
}

function copyOf<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return JSON.parse(JSON.stringify(value)) as T; // a rule left a function in it: drop it
  }
}

/**
 * Auth0 accepts only namespaced custom claims (a URL, e.g. `https://innovashoes.example/age`) so
 * they never collide with OpenID Connect's; others are left out. Values are kept as JSON.
 */
export function namespacedClaims(claims: unknown): { claims: Json; ignored: string[] } {
  const out: Json = {};
  const ignored: string[] = [];
  if (!claims || typeof claims !== 'object') return { claims: out, ignored };
  for (const [name, value] of Object.entries(claims)) {
    if (!/^https?:\/\/\S+$/.test(name)) {
      ignored.push(name);
      continue;
    }
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) out[name] = JSON.parse(json);
    } catch {
      ignored.push(name); // not JSON (a cycle, a BigInt)
    }
  }
  return { claims: out, ignored };
}
