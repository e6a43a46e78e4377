import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A misbehaving API on loopback, for the outbound dispatcher's limits:
 *  /trickle?every=MS&bytes=N  — headers at once, then one byte every MS until N bytes (a slow loris in reverse);
 *  /flood?chunk=N&total=N     — an answer of `total` bytes in chunks, without Content-Length;
 *  /declared?length=N         — a Content-Length of N, and then nothing;
 *  `status` and `retry_after` on /flood and /declared: an error answer with that status (and Retry-After);
 *  /silent                    — accepts the request and never answers.
 * It counts what it managed to send per request and whether the client hung up before the end.
 */
export interface TrickleServer {
  url: string;
  /** Per request, in arrival order. */
  sent: { path: string; bytes: number; finished: boolean; clientClosed: boolean }[];
  close(): Promise<void>;
}

export async function startTrickleServer(): Promise<TrickleServer> {
  const timers = new Set<NodeJS.Timeout>();
  const sent: TrickleServer['sent'] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = { path: url.pathname, bytes: 0, finished: false, clientClosed: false };
    sent.push(record);
    res.on('close', () => { if (!record.finished) record.clientClosed = true; });
    const n = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    const retryAfter = url.searchParams.get('retry_after');
    const head = { 'content-type': 'application/json', ...(retryAfter ? { 'retry-after': retryAfter } : {}) };
    if (url.pathname === '/trickle') return trickle(res, record, n('every', 100), n('bytes', 1000));
    if (url.pathname === '/flood') return flood(res.writeHead(n('status', 200), head), record, n('chunk', 65_536), n('total', 10 * 1024 * 1024));
    if (url.pathname === '/declared') {
      res.writeHead(n('status', 200), { ...head, 'content-length': String(n('length', 1)) });
      return res.flushHeaders();
    }
    if (url.pathname === '/silent') return; // never answers
    res.writeHead(404).end();
  });

  function trickle(res: ServerResponse, record: TrickleServer['sent'][number], every: number, bytes: number): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const timer = setInterval(() => {
      if (res.destroyed) return void stop();
      res.write(record.bytes === 0 ? '"' : 'x');
      record.bytes++;
      if (record.bytes >= bytes) { res.end('"'); record.finished = true; stop(); }
    }, every);
    timers.add(timer);
    const stop = () => { clearInterval(timer); timers.delete(timer); };
  }

  function flood(res: ServerResponse, record: TrickleServer['sent'][number], chunk: number, total: number): void {
    const block = Buffer.alloc(chunk, 'x');
    const pump = () => {
      while (record.bytes < total && !res.destroyed) {
        record.bytes += chunk;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      if (!res.destroyed) { res.end(); record.finished = true; }
    };
    pump();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
