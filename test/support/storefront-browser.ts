import { UserAgent } from './user-agent.ts';

/**
 * A browser for flows that cross origins (storefront ⇄ insole, both on 127.0.0.1): one cookie jar
 * per origin, redirects followed wherever they go on loopback. Anything else is a test bug.
 */
export class Browser {
  readonly #agents = new Map<string, UserAgent>();

  /** The cookie jar of one origin, e.g. to read or tamper with a cookie. */
  jar(origin: string): Map<string, string> { return this.#agentFor(origin).cookies; }

  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string; hops: string[] }> {
    const hops: string[] = [];
    let current = url;
    let res = await this.#agentFor(current).request(current, init);
    while (res.status >= 300 && res.status < 400) {
      if (hops.length > 15) throw new Error(`too many redirects: ${hops.join(' → ')}`);
      current = new URL(res.headers.get('location')!, current).href;
      hops.push(current);
      res = await this.#agentFor(current).request(current); // 302/303 after a POST: GET, as browsers do
    }
    return { res, url: current, hops };
  }

  get(url: string) { return this.follow(url); }

  postForm(url: string, fields: Record<string, string>) {
    return this.follow(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  #agentFor(url: string): UserAgent {
    const { origin, hostname } = new URL(url);
    if (hostname !== '127.0.0.1' && hostname !== 'localhost') throw new Error(`the test browser left loopback for ${url}`);
    let agent = this.#agents.get(origin);
    if (!agent) this.#agents.set(origin, agent = new UserAgent(origin));
    return agent;
  }
}
