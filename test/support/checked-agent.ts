import assert from 'node:assert/strict';
import { UserAgent } from './user-agent.ts';

export const BROWSER_HEADERS = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) insole-tests/1.0',
};

/**
 * A UserAgent that sends what a browser sends (Accept: text/html, a User-Agent) unless told
 * otherwise, and fails the test on any 5xx: bad input must never be the server's fault.
 */
export class CheckedAgent extends UserAgent {
  readonly seen: { method: string; url: string; status: number }[] = [];

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(BROWSER_HEADERS)) if (!headers.has(name)) headers.set(name, value);
    const res = await super.request(url, { ...init, headers });
    const method = init.method ?? 'GET';
    this.seen.push({ method, url, status: res.status });
    assert.ok(res.status < 500, `${method} ${url} answered ${res.status}`);
    return res;
  }

  /** POSTs a raw body with the given content type (for bodies no HTML form would send). */
  postRaw(url: string, contentType: string, body: string) {
    return this.follow(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  }
}
