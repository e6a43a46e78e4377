import assert from 'node:assert/strict';
import { UserAgent } from './user-agent.ts';

export const BROWSER_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) insole-tests/1.0',
};

/** A UserAgent that sends what a browser sends (so errors come back as pages) and remembers every answer. */
export class BrowserAgent extends UserAgent {
  readonly seen: { method: string; url: string; status: number }[] = [];

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(BROWSER_HEADERS)) if (!headers.has(name)) headers.set(name, value);
    const res = await super.request(url, { ...init, headers });
    this.seen.push({ method: init.method ?? 'GET', url, status: res.status });
    return res;
  }
}

/** A BrowserAgent that fails the test on any 5xx: bad input must never be the server's fault. */
export class CheckedAgent extends BrowserAgent {
  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await super.request(url, init);
    assert.ok(res.status < 500, `${init.method ?? 'GET'} ${url} answered ${res.status}`);
    return res;
  }

  /** POSTs a raw body with the given content type (for bodies no HTML form would send). */
  postRaw(url: string, contentType: string, body: string) {
    return this.follow(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  }
}
