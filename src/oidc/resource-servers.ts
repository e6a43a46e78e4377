import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import { MANAGEMENT_SCOPES, managementAudience } from '../admin/management-api.ts';

interface ClientGrant { audience?: string; scope: string[] }

/** The scopes a client was granted for an API (Auth0's client grants); none without a grant. */
export function grantedScopes(client: Client | undefined, audience: string, management: string): string[] {
  const grants = (client?.metadata().grants ?? []) as ClientGrant[];
  return grants.filter((grant) => (grant.audience ?? management) === audience).flatMap((grant) => grant.scope);
}

/**
 * The grants of the clients in config, checked at start: a grant names the Management API or an API
 * in `apis`, and only scopes it has. Tokens carry granted scopes as written, so a misspelt one would
 * otherwise reach every token of that client unnoticed.
 */
export function clientGrantProblems(config: Config): string[] {
  const management = managementAudience(config.issuer);
  const scopesOf = new Map<string, readonly string[]>([[management, MANAGEMENT_SCOPES], ...config.apis.map((api) => [api.identifier, api.scopes] as const)]);
  return config.clients.flatMap((client) => client.grants.flatMap((grant, i) => {
    const where = `clients.${client.client_id}.grants.${i}`;
    const known = scopesOf.get(grant.audience ?? management);
    if (!known) return [`${where}.audience: ${grant.audience} is neither the Management API (${management}) nor an API in apis`];
    const unknown = grant.scope.filter((scope) => !known.includes(scope));
    return unknown.length ? [`${where}.scope: ${unknown.join(', ')} is not a scope of ${grant.audience ?? 'the Management API'}`] : [];
  }));
}

/**
 * client_credentials (Auth0's client grants): a grant for the audience is required, and the token
 * carries only granted scopes. Asking for one not granted is refused (RFC 6749 §5.2 invalid_scope;
 * Auth0 answers 403 access_denied) rather than silently left out of the token. Auth0 issues every
 * granted scope when the request names none; oidc-provider would issue none, so the request's scope
 * is filled in here (the grant reads it after resolving the resource).
 */
function machineScopes(params: { scope?: string }, client: Client, audience: string, management: string): string[] {
  const granted = grantedScopes(client, audience, management);
  const api = audience === management ? 'the Management API' : audience;
  if (!granted.length) throw new errors.InvalidTarget(`this client is not allowed to call ${api}`);
  const asked = (params.scope ?? '').split(' ').filter(Boolean);
  const refused = asked.filter((scope) => !granted.includes(scope));
  if (refused.length) throw new errors.InvalidScope(`this client has not been granted scopes of ${api}: ${refused.join(' ')}`, refused.join(' '));
  if (!asked.length) params.scope = granted.join(' ');
  return granted;
}

/**
 * What oidc-provider asks about an audience (RFC 8707 resource indicator):
 * - client_credentials, for the Management API and the APIs in config alike: the client's grant.
 * - the Management API on behalf of a signed-in user: the dashboard only, the user's roles' scopes.
 * - an API in config (`apis`) on behalf of a signed-in user: its scopes, JWT access tokens.
 */
export function createResourceServerInfo(config: Config, scopesOfAccount: (accountId: string) => Promise<string[]>) {
  const apis = new Map(config.apis.map((api) => [api.identifier, api]));
  const management = managementAudience(config.issuer);
  const jwt = { accessTokenFormat: 'jwt' as const, jwt: { sign: { alg: 'RS256' as const } } };

  // The most a signed-in user can be given: what any configured role gives.
  const delegable = [...new Set(Object.values(config.dashboard.roles).flat())];

  return async (ctx: KoaContextWithOIDC, indicator: string, client: Client): Promise<ResourceServer> => {
    const api = indicator === management ? undefined : apis.get(indicator);
    if (indicator !== management && !api) throw new errors.InvalidTarget(`unknown audience ${indicator}`);
    const params = ctx.oidc.params as { grant_type?: string; scope?: string } | undefined;
    if (params?.grant_type === 'client_credentials') {
      const scopes = machineScopes(params, client, indicator, management);
      const accessTokenTTL = api ? api.access_token_ttl : config.admin_api.access_token_ttl;
      return { audience: indicator, scope: scopes.join(' '), accessTokenTTL, ...jwt };
    }
    if (api) return { audience: api.identifier, scope: api.scopes.join(' '), accessTokenTTL: api.access_token_ttl, ...jwt };
    // On behalf of a signed-in user (the dashboard only): the scopes of the user's roles. Before
    // the sign-in nobody is known yet, so the most any role gives; the token is cut down to the
    // user's own when it is issued (the account is known then).
    if (client.metadata().management_delegation !== true) throw new errors.InvalidTarget('this client is not allowed to call the Management API');
    const accountId = ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId;
    const scopes = accountId ? await scopesOfAccount(accountId) : delegable;
    return { audience: management, scope: scopes.join(' '), accessTokenTTL: config.ttl.access_token, ...jwt };
  };
}

/**
 * Auth0 clients name the API with `audience`, also at the token endpoint, where oidc-provider only
 * reads `resource`. A client_credentials token is only ever for an API, so one that names none is
 * refused, as Auth0 does (oidc-provider would issue a token for no API, still active at introspection).
 */
export async function defaultResource(ctx: KoaContextWithOIDC, _client: Client, oneOf?: readonly string[]) {
  const audience = ctx.oidc.params?.audience ?? (ctx.oidc.body as { audience?: unknown } | undefined)?.audience;
  if (typeof audience === 'string') return audience;
  if (!oneOf && (ctx.oidc.params as { grant_type?: string } | undefined)?.grant_type === 'client_credentials') {
    throw new errors.InvalidRequest('client_credentials needs the API the token is for: send audience (or resource)');
  }
  return oneOf;
}
