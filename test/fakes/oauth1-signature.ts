import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { safeEqual } from './fake-common.ts';

/**
 * Server side of OAuth 1.0a signatures (RFC 5849 §3.4), written from the RFC rather than from a
 * client library so that it catches a client that gets the base string wrong.
 */

/** RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex (§3.6). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** application/x-www-form-urlencoded pairs, in order, repeated names kept (§3.4.1.3.1). */
export function parseFormPairs(raw: string): [string, string][] {
  const decode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
  return raw.split('&').filter(Boolean).map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
  });
}

/** `OAuth realm="x", oauth_consumer_key="…", …` → the parameters, decoded (§3.5.1). */
export function parseAuthorizationHeader(header: string | undefined): [string, string][] | undefined {
  const match = /^OAuth\s+(.*)$/is.exec(header ?? '');
  if (!match) return undefined;
  const pairs: [string, string][] = [];
  for (const part of match[1]!.split(',')) {
    const kv = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!kv) throw new Error(`malformed Authorization header parameter: ${part}`);
    pairs.push([decodeURIComponent(kv[1]!), decodeURIComponent(kv[2]!)]);
  }
  return pairs;
}

/** scheme://host[:port]/path, lower-case, default port dropped, no query (§3.4.1.2). */
export function baseStringUri(req: IncomingMessage, scheme = 'http'): string {
  const url = new URL(req.url ?? '/', `${scheme}://${(req.headers.host ?? '127.0.0.1').toLowerCase()}`);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** METHOD&encoded-URI&encoded-normalized-parameters (§3.4.1.1, §3.4.1.3.2). */
export function signatureBaseString(method: string, baseUri: string, params: [string, string][]): string {
  const normalized = params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return [method.toUpperCase(), percentEncode(baseUri), percentEncode(normalized)].join('&');
}

export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret = ''): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString).digest('base64');
}

export interface SignedRequest {
  /** The oauth_* protocol parameters (from the header, query or body), oauth_signature included. */
  oauth: Record<string, string>;
  /** Every parameter that the signature covers. */
  signed: [string, string][];
  baseString: string;
}

/**
 * Collects a request's parameters: Authorization header (minus realm), query, and the body when it
 * is a form. Throws on malformed input; does not check the signature.
 */
export function readSignedRequest(req: IncomingMessage, body: string): SignedRequest {
  const header = parseAuthorizationHeader(req.headers.authorization) ?? [];
  const rawQuery = (req.url ?? '').split('?')[1] ?? '';
  const isForm = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
  const all = [...header.filter(([k]) => k !== 'realm'), ...parseFormPairs(rawQuery), ...(isForm ? parseFormPairs(body) : [])];
  const oauth: Record<string, string> = {};
  for (const [k, v] of all) {
    if (!k.startsWith('oauth_')) continue;
    if (k in oauth) throw new Error(`duplicate protocol parameter ${k}`);
    oauth[k] = v;
  }
  const signed = all.filter(([k]) => k !== 'oauth_signature');
  return { oauth, signed, baseString: signatureBaseString(req.method ?? 'GET', baseStringUri(req), signed) };
}

export function signatureMatches(request: SignedRequest, consumerSecret: string, tokenSecret = ''): boolean {
  const given = request.oauth.oauth_signature;
  return given !== undefined && safeEqual(given, hmacSha1Signature(request.baseString, consumerSecret, tokenSecret));
}
