import { STOREFRONT } from './insole.ts';

/**
 * The protocol at the HTTP level, without a relying-party library in between: for the requests a
 * well-behaved library would refuse to send (reused codes, wrong verifiers, forbidden grants).
 */

export interface WireResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export function basicAuth(client = STOREFRONT): string {
  // RFC 6749 §2.3.1: form-urlencode id and secret before joining them.
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret)}`).toString('base64')}`;
}

/** POSTs a form to one of the back-channel endpoints, authenticated as the storefront. */
export async function postBackChannel(issuer: string, path: string, fields: Record<string, string>, client = STOREFRONT): Promise<WireResponse> {
  const res = await fetch(new URL(path, issuer), {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

export const tokenRequest = (issuer: string, fields: Record<string, string>) => postBackChannel(issuer, '/oauth/token', fields);

export async function introspect(issuer: string, token: string): Promise<Record<string, unknown>> {
  const { status, body } = await postBackChannel(issuer, '/oauth/introspect', { token });
  if (status !== 200) throw new Error(`introspection answered HTTP ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** The status /userinfo gives a bearer token: 200 while it is valid, 401 once it is not. */
export async function userinfoStatus(issuer: string, accessToken: string): Promise<number> {
  const res = await fetch(new URL('/userinfo', issuer), { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}

/** An /authorize URL built by hand, so a test can send exactly the parameters it means to. */
export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL('/authorize', issuer);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/** Fetches without following redirects: what the browser is told, before it acts on it. */
export async function fetchManual(url: string, init: RequestInit = {}): Promise<{ status: number; location: string | null; html: string; headers: Headers }> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), html: await res.text(), headers: res.headers };
}

/** The text of a hosted page's alert, the message a person reads. */
export function alertText(html: string): string | undefined {
  const text = /role="alert"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
  return text || undefined;
}
