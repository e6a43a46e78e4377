import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The load balancer in front of the three instances: HTTP, round-robin per request (so every step
 * of a sign-in may land on another instance), as a cloud load balancer or nginx would be set up:
 * - active health checks on /health/ready every `checkMs`: an instance that is not ready (draining,
 *   database away, dead) leaves the rotation, and comes back when it answers 200 again;
 * - fail open: when no instance is ready, requests go to all of them (the instances' own 503 is
 *   then what clients see, as with an ALB's "all targets unhealthy" or Envoy's panic threshold);
 * - a refused connection is retried on the next instance (the request never reached anyone), any
 *   other upstream failure is a 502 to the client (a POST may have been processed: never replayed);
 * - one connection per request to the instances, so an instance's shutdown is seen as refusals.
 * It appends the client's address to X-Forwarded-For (insole runs with TRUST_PROXY=loopback).
 */
export interface Upstream { name: string; port: number }

export interface ProxiedRequest {
  id: number;
  upstream?: string;
  method: string;
  path: string;
  start: number;
  end?: number;
  /** When the connection to the instance was up, and when its answer's headers came (ms after start). */
  connectedMs?: number;
  answeredMs?: number;
  status?: number;
  /** Set when the balancer answered itself (502). */
  error?: string;
}

export interface Balancer {
  url: string;
  readonly log: ProxiedRequest[];
  isHealthy(upstream: string): boolean;
  /** Sends traffic to these instances only (a bench compares one with three); undefined: all. */
  pin(names: string[] | undefined): void;
  close(): Promise<void>;
}

export async function startBalancer(upstreams: Upstream[], { checkMs = 250 } = {}): Promise<Balancer> {
  const healthy = new Map(upstreams.map((u) => [u.name, false]));
  const log: ProxiedRequest[] = [];
  let next = 0;
  let serial = 0;
  let pinned: string[] | undefined;

  const rotation = () => {
    const members = pinned ? upstreams.filter((u) => pinned!.includes(u.name)) : upstreams;
    const ready = members.filter((u) => healthy.get(u.name));
    return ready.length ? ready : members;
  };

  async function check(upstream: Upstream): Promise<void> {
    try {
      const res = await fetch(`http://127.0.0.1:${upstream.port}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      healthy.set(upstream.name, res.status === 200);
    } catch {
      healthy.set(upstream.name, false);
    }
  }
  let checking = true;
  const checks = (async () => {
    while (checking) {
      await Promise.all(upstreams.map(check));
      await new Promise((resolve) => setTimeout(resolve, checkMs));
    }
  })();

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const entry: ProxiedRequest = { id: ++serial, method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, start: Date.now() };
    log.push(entry);
    const candidates = rotation();
    const first = next++ % candidates.length;
    for (let i = 0; i < candidates.length; i++) {
      const upstream = candidates[(first + i) % candidates.length]!;
      entry.upstream = upstream.name;
      const outcome = await forward(upstream, entry, req, body, res);
      if (outcome === 'refused') { healthy.set(upstream.name, false); continue; }
      entry.end = Date.now();
      if (outcome === 'answered') entry.status = res.statusCode;
      else { entry.error = outcome; entry.status = 502; }
      return;
    }
    entry.end = Date.now();
    entry.error = 'ECONNREFUSED';
    entry.status = 502;
    if (!res.headersSent) res.writeHead(502, { 'x-balancer-error': 'ECONNREFUSED' }).end('no instance accepted the connection');
  }

  function forward(upstream: Upstream, entry: ProxiedRequest, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<'answered' | 'refused' | string> {
    return new Promise((resolve) => {
      const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
      const headers = { ...req.headers, 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'http', 'x-forwarded-host': req.headers.host ?? '', connection: 'close' };
      const out = httpRequest({ host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers, agent: false }, (answer) => {
        entry.answeredMs = Date.now() - entry.start;
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-upstream': upstream.name, 'x-balancer-request': String(entry.id) });
        answer.pipe(res);
        answer.on('end', () => resolve('answered'));
        answer.on('error', () => { res.destroy(); resolve('ECONNRESET'); });
      });
      // Longer than any instance's answer_within_ms: silence this long means the request is lost between the two.
      out.once('socket', (socket) => socket.once('connect', () => { entry.connectedMs = Date.now() - entry.start; }));
      out.setTimeout(60_000, () => out.destroy(Object.assign(new Error('upstream silent for 60 s'), { code: 'UPSTREAM_TIMEOUT' })));
      out.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED') return resolve('refused');
        if (!res.headersSent) res.writeHead(502, { 'x-balancer-error': err.code ?? 'error', 'x-upstream': upstream.name, 'x-balancer-request': String(entry.id) }).end(`upstream ${upstream.name}: ${err.code}`);
        else res.destroy();
        resolve(err.code ?? 'error');
      });
      out.end(body);
    });
  }

  const server: Server = createServer((req, res) => void serve(req, res).catch(() => res.destroy()));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await Promise.all(upstreams.map(check));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    isHealthy: (name) => healthy.get(name) ?? false,
    pin: (names) => { pinned = names; },
    async close() {
      checking = false;
      await checks;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
