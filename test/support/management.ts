import type { TestInsole } from './insole.ts';

export interface M2mClient { client_id: string; client_secret: string; scopes: string[] }

/** A machine-to-machine client as config declares it: client_credentials, with a grant on the Management API. */
export function m2mClientConfig({ client_id, client_secret, scopes }: M2mClient) {
  return {
    client_id, client_secret, client_name: `M2M ${client_id}`,
    grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post',
    grants: scopes.length ? [{ scope: scopes }] : [],
  };
}

/** What Auth0's SDKs do: client_credentials with the secret in the form and `audience`, no scope. */
export async function managementToken(insole: Pick<TestInsole, 'issuer'>, client: Pick<M2mClient, 'client_id' | 'client_secret'>, extra: Record<string, string> = {}) {
  const res = await fetch(`${insole.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience: `${insole.issuer}/api/v2/`, ...extra }),
  });
  const body = await res.json() as { access_token?: string; scope?: string; expires_in?: number; error?: string };
  if (!res.ok || !body.access_token) throw new Error(`no token for ${client.client_id}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body as { access_token: string; scope?: string; expires_in: number };
}

/** A JSON call to the Management API with a bearer token. */
export async function api(insole: Pick<TestInsole, 'issuer'>, token: string | undefined, method: string, path: string, body?: unknown) {
  const res = await fetch(`${insole.issuer}/api/v2${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}
