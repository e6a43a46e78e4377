/**
 * A minimal browser for HTTP-level tests: keeps cookies, follows redirects by hand, and stops at
 * the first URL outside `origin` (the relying party's redirect_uri), as a real browser would leave.
 */
export class UserAgent {
  readonly cookies = new Map<string, string>();
  readonly origin: string;
  /** Sent with every request (e.g. X-Forwarded-For, to act as another client behind a proxy). */
  readonly headers: Record<string, string>;
  constructor(origin: string, headers: Record<string, string> = {}) { this.origin = origin; this.headers = headers; }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers({ ...this.headers, ...Object.fromEntries(new Headers(init.headers)) });
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(line);
    return res;
  }

  /** Follows redirects while they stay on `origin`; returns the final response and the URL it left to, if any. */
  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string; left?: string }> {
    let current = url;
    let res = await this.request(current, init);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      const next = new URL(res.headers.get('location')!, current).toString();
      if (!next.startsWith(this.origin)) return { res, url: current, left: next };
      current = next;
      res = await this.request(current);
    }
    return { res, url: current };
  }

  async get(url: string) { return this.follow(url); }

  async postForm(url: string, fields: Record<string, string>) {
    return this.follow(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  private store(line: string): void {
    const [pair, ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** Reads a hosted page's form: its action and hidden CSRF token. */
export function readForm(html: string): { action: string; csrf: string } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !csrf) throw new Error(`no sign-in form in page:\n${html.slice(0, 500)}`);
  return { action: action.replaceAll('&amp;', '&'), csrf };
}

/**
 * The interaction a hosted page belongs to, from its form (`/interaction/<uid>/…`): the first page
 * of a sign-in is answered at `/authorize` itself, so its URL does not name the interaction.
 */
export function interactionUidOf(html: string): string | undefined {
  return /action="\/interaction\/([^/"?#]+)\//.exec(html)?.[1];
}

/** Opens a mailed link and presses its page's button (a ticket form: links act only on a POST), as the shopper: the answer's status and page. */
export async function pressLink(issuer: string, link: string): Promise<{ status: number; html: string }> {
  const agent = new UserAgent(issuer);
  const html = await (await agent.get(link)).res.text();
  const { action, csrf } = readForm(html);
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1]!;
  const answer = await agent.postForm(new URL(action, issuer).href, { _csrf: csrf, ticket });
  return { status: answer.res.status, html: await answer.res.text() };
}
