import { UserAgent } from './user-agent.ts';

/** One Set-Cookie line, with attribute names lower-cased (`httponly`, `samesite`, `secure`, `path`, …). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
  /** The line deletes the cookie (expired or empty). */
  deletes: boolean;
  line: string;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf('=');
    const key = (at === -1 ? part : part.slice(0, at)).trim().toLowerCase();
    if (key) attributes.set(key, at === -1 ? '' : part.slice(at + 1).trim());
  }
  const value = pair.slice(eq + 1).trim();
  const expires = attributes.get('expires');
  const deletes = value === '' || attributes.get('max-age') === '0' || (expires !== undefined && new Date(expires).getTime() <= Date.now());
  return { name: pair.slice(0, eq).trim(), value, attributes, deletes, line };
}

/** A Content-Security-Policy header as directive → sources (directive names lower-cased). */
export function parseCsp(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** A UserAgent that keeps every Set-Cookie line it was sent, with the URL that sent it. */
export class RecordingAgent extends UserAgent {
  readonly setCookies: { url: string; cookie: SetCookie }[] = [];

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await super.request(this.target(url), { ...init, headers: { ...this.extraHeaders(), ...Object.fromEntries(new Headers(init.headers)) } });
    for (const line of res.headers.getSetCookie()) this.setCookies.push({ url, cookie: parseSetCookie(line) });
    return res;
  }

  /** The cookies set (not deleted) under `name` since the agent started, or since `from`. */
  setsOf(name: string, from = 0): SetCookie[] {
    return this.setCookies.slice(from).map((s) => s.cookie).filter((c) => c.name === name && !c.deletes);
  }

  protected target(url: string): string { return url; }
  protected extraHeaders(): Record<string, string> { return {}; }
}

/**
 * A browser talking to insole through a TLS-terminating proxy: it sees only `publicOrigin`
 * (https://…); each request goes to `backend` over plain http with `X-Forwarded-Proto: https`,
 * as nginx or a cloud load balancer would send it.
 */
export class BehindTlsProxyAgent extends RecordingAgent {
  readonly backend: string;
  constructor(publicOrigin: string, backend: string) {
    super(publicOrigin);
    this.backend = backend;
  }

  protected override target(url: string): string {
    return url.startsWith(this.origin) ? this.backend + url.slice(this.origin.length) : url;
  }

  protected override extraHeaders(): Record<string, string> { return { 'x-forwarded-proto': 'https' }; }
}
