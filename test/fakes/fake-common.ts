import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export { consentPage, errorPage, escapeHtml, type ConsentPage } from './fake-pages.ts';

/**
 * What every fake provider shares: a real node:http server on 127.0.0.1 (random port), a request
 * log, the account it signs in as, registered redirect URIs, and failure modes for the
 * back-channel endpoints (token and profile).
 */

/** 'down': 500; 'slow': answer after delayMs; 'garbage': 200 with a body no client can parse. */
export type FakeMode = 'ok' | 'down' | 'slow' | 'garbage';
/** Which back-channel endpoints `mode` applies to. Consent pages are never affected. */
export type FakeModeTarget = 'all' | 'token' | 'profile';

export interface FakeRequest {
  method: string;
  /** Path without the query string and without `pathPrefix`, e.g. '/token'. */
  path: string;
  /** The path as it arrived, prefix included. */
  fullPath: string;
  /** The raw query string including '?', or ''. */
  search: string;
}

export interface FakeOptionsBase<A> {
  account?: A;
  /** Redirect (callback) URIs registered for the client; more with registerRedirectUri(). */
  redirectUris?: string[];
  /** Serve every endpoint under this path (e.g. '/gw/google', as behind an API gateway); anything else is a 404. */
  pathPrefix?: string;
}

export class HttpError extends Error {
  status: number;
  contentType: string;
  body: string;
  constructor(status: number, body: unknown, contentType = 'application/json; charset=utf-8') {
    super(typeof body === 'string' ? body : JSON.stringify(body));
    this.status = status;
    this.contentType = contentType;
    this.body = this.message;
  }
}

export abstract class FakeProvider<A> {
  account: A;
  mode: FakeMode = 'ok';
  modeTarget: FakeModeTarget = 'all';
  /** How long 'slow' holds a token/profile response. */
  delayMs = 10_000;
  readonly requests: FakeRequest[] = [];
  readonly redirectUris = new Set<string>();
  readonly pathPrefix: string;
  /** Where the fake serves: origin plus pathPrefix. */
  url = '';
  private server?: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(account: A, redirectUris: string[] = [], pathPrefix = '') {
    this.account = account;
    this.pathPrefix = pathPrefix.replace(/\/+$/, '');
    for (const uri of redirectUris) this.redirectUris.add(uri);
  }

  /** Registers an exact redirect URI (the providers compare them exactly, query included). */
  registerRedirectUri(uri: string): void {
    this.redirectUris.add(uri);
  }

  /** Starts listening; resolves once `url` is known. */
  async listen(): Promise<this> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end(); // not logged
      const fullPath = url.pathname;
      const inside = !this.pathPrefix || fullPath.startsWith(`${this.pathPrefix}/`);
      if (inside) url.pathname = fullPath.slice(this.pathPrefix.length);
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, fullPath, search: url.search });
      if (!inside) return send(res, 404, `${fullPath} is outside ${this.pathPrefix}`, 'text/plain; charset=utf-8');
      this.handle(req, res, url).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof HttpError) return send(res, err.status, err.body, err.contentType);
        send(res, 500, `fake provider bug: ${err instanceof Error ? err.stack : String(err)}`, 'text/plain; charset=utf-8');
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.pathPrefix}`;
    return this;
  }

  /** Stops at once: drops held ('slow') responses and open connections. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;

  /**
   * Applies `mode` to a back-channel endpoint. Returns true when the response was already sent
   * ('down', 'garbage'); for 'slow' it waits delayMs (never resolving if the fake is closed first).
   */
  protected async degrade(res: ServerResponse, kind: 'token' | 'profile', down: [string, string], garbage: [string, string]): Promise<boolean> {
    if (this.mode === 'ok' || (this.modeTarget !== 'all' && this.modeTarget !== kind)) return false;
    if (this.mode === 'down') return send(res, 500, down[1], down[0]), true;
    if (this.mode === 'garbage') return send(res, 200, garbage[1], garbage[0]), true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.timers.delete(timer); resolve(); }, this.delayMs);
      this.timers.add(timer);
    });
    return false;
  }
}

export function send(res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);

export const sendHtml = (res: ServerResponse, status: number, html: string) => send(res, status, html, 'text/html; charset=utf-8');

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
}

/** Appends query parameters (undefined ones skipped) to a redirect URI that may already have some. */
export function withParams(uri: string, params: Record<string, string | undefined>, hash = ''): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString() + hash;
}

export async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'request body too large', 'text/plain');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The form body (application/x-www-form-urlencoded) as a plain object; empty for other types. */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const body = await readBody(req);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return {};
  return Object.fromEntries(new URLSearchParams(body));
}

/** client_secret_basic (RFC 6749 §2.3.1: id and secret are form-urlencoded before base64). */
export function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export const bearerToken = (req: IncomingMessage) => /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const randomToken = (prefix = '', bytes = 24) => prefix + randomBytes(bytes).toString('base64url');

/** Single-use records with an expiry (authorization codes, request tokens, pending consents). */
export class Expiring<T> {
  private readonly map = new Map<string, { value: T; expires: number }>();
  private readonly ttlMs: number;
  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }
  set(key: string, value: T, ttlMs = this.ttlMs): void {
    this.map.set(key, { value, expires: Date.now() + ttlMs });
  }
  get(key: string | undefined): T | undefined {
    const entry = key === undefined ? undefined : this.map.get(key);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) return void this.map.delete(key!), undefined;
    return entry.value;
  }
  /** Gets and removes. */
  take(key: string | undefined): T | undefined {
    const value = this.get(key);
    if (key !== undefined) this.map.delete(key);
    return value;
  }
}
