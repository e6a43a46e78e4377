import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, sendJson } from './fake-common.ts';

/**
 * What the fake JSON APIs (FullContact, the sentiment service, X) share: a real node:http server
 * on 127.0.0.1, a log of every call with its body, and ways to misbehave: scripted answers for the
 * next calls (fail, rate-limit), a delay on every answer, and holding a request open until the test
 * releases it.
 */

export interface Answer {
  status: number;
  body?: unknown;
  /** Sent as text/plain instead of a JSON body (e.g. Express's `res.sendStatus(200)`: "OK"). */
  text?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (longer than the client's timeout = a timeout). */
  delayMs?: number;
}

export interface Call {
  method: string;
  /** Without `pathPrefix`. */
  path: string;
  /** The path as it arrived, prefix included. */
  fullPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Date.now() when the request arrived. */
  at: number;
  /** Set once the fake has sent its answer. */
  answered: boolean;
}

export interface Hold {
  /** Resolves when the held request has arrived (it stays open). */
  arrived: Promise<Call>;
  /** Lets the held request be answered. */
  release(): void;
}

export abstract class FakeJsonApi {
  /** Where the fake serves: origin plus pathPrefix. */
  url = '';
  /** Every endpoint is served under this path (as behind an API gateway); anything else is a 404. */
  pathPrefix = '';
  readonly calls: Call[] = [];
  /** Every answer waits this long (e.g. "the APIs answer after 2 s"). */
  delayMs = 0;
  private readonly scripted: Answer[] = [];
  private readonly holds: { hold: Hold; arrive(call: Call): void; released: Promise<void> }[] = [];
  private readonly waiting = new Set<() => void>();
  private server?: Server;

  /** The next calls get these answers, in order; after them the fake answers normally again. */
  script(...answers: Answer[]): void {
    this.scripted.push(...answers);
  }

  /** The next call is held open until `release()`. */
  holdNext(): Hold {
    let arrive!: (call: Call) => void;
    let release!: () => void;
    const arrived = new Promise<Call>((resolve) => { arrive = resolve; });
    const released = new Promise<void>((resolve) => { release = resolve; });
    const hold = { arrived, release };
    this.holds.push({ hold, arrive, released });
    return hold;
  }

  /** Clears scripts, holds, delay and the call log between tests. */
  reset(): void {
    this.scripted.length = 0;
    this.calls.length = 0;
    this.delayMs = 0;
    for (const { hold } of this.holds.splice(0)) hold.release();
  }

  callsTo(path: string): Call[] {
    return this.calls.filter((c) => c.path === path);
  }

  /** How the API answers when nothing is scripted. */
  protected abstract answer(call: Call): Answer;

  async listen(pathPrefix = ''): Promise<this> {
    this.pathPrefix = pathPrefix.replace(/\/+$/, '');
    const server = createServer((req, res) => void this.serve(req, res).catch(() => res.destroy()));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.pathPrefix}`;
    return this;
  }

  /** Stops at once: held and delayed requests are dropped with their connections. */
  async close(): Promise<void> {
    for (const wake of this.waiting) wake();
    for (const { hold } of this.holds.splice(0)) hold.release();
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = await readBody(req);
    let body: unknown = text;
    try { body = text ? JSON.parse(text) : undefined; } catch { /* kept as text */ }
    const inside = !this.pathPrefix || url.pathname.startsWith(`${this.pathPrefix}/`);
    const path = inside ? url.pathname.slice(this.pathPrefix.length) : url.pathname;
    const call: Call = { method: req.method ?? 'GET', path, fullPath: url.pathname, query: url.searchParams, headers: req.headers, body, at: Date.now(), answered: false };
    this.calls.push(call);
    if (!inside) return sendJson(res, 404, { error: `${url.pathname} is outside ${this.pathPrefix}` });
    const held = this.holds.shift();
    if (held) {
      held.arrive(call);
      await held.released;
    }
    const answer = this.scripted.shift() ?? this.answer(call);
    await this.sleep((answer.delayMs ?? 0) + this.delayMs);
    if (res.destroyed) return;
    call.answered = true;
    if (answer.text !== undefined) {
      res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8', ...answer.headers }).end(answer.text);
    } else if (answer.body === undefined) {
      res.writeHead(answer.status, { 'cache-control': 'no-store', ...answer.headers });
      res.end();
    } else {
      sendJson(res, answer.status, answer.body, answer.headers);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); this.waiting.delete(wake); resolve(); };
      const timer = setTimeout(wake, ms);
      this.waiting.add(wake);
    });
  }
}

export const bearerOf = (call: Call) => /^Bearer\s+(\S+)$/i.exec(String(call.headers.authorization ?? ''))?.[1];
