import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A store's egress proxy, on loopback: CONNECT tunnels (what undici and Node's agents use for
 * https, and undici for http too by default) and absolute-form forwarding (`GET http://host/…`,
 * what Node's agents send for http). It counts both per target and can refuse everything (as a
 * proxy whose ACL does not allow a host does), so tests see which calls went through it.
 */
export interface EgressProxy {
  url: string;
  /** One entry per CONNECT tunnel opened: `host:port`. */
  tunnels: string[];
  /** One entry per forwarded request: `METHOD http://host:port/path`. */
  forwards: string[];
  /** Proxy-Authorization values seen (credentials from the proxy URL). */
  authorizations: string[];
  /** Tunnels still open. */
  openTunnels(): number;
  /** Answer 403 to every CONNECT and forward (the calls must fail, not go around the proxy). */
  refuse: boolean;
  reset(): void;
  close(): Promise<void>;
}

export async function startEgressProxy(): Promise<EgressProxy> {
  const open = new Set<Socket>();
  const proxy: EgressProxy = {
    url: '', tunnels: [], forwards: [], authorizations: [], refuse: false,
    openTunnels: () => open.size,
    reset() { this.tunnels.length = 0; this.forwards.length = 0; this.authorizations.length = 0; this.refuse = false; },
    close: async () => {
      for (const socket of open) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const noteAuth = (value: string | string[] | undefined) => { if (typeof value === 'string') proxy.authorizations.push(value); };

  const server: Server = createServer((req, res) => {
    noteAuth(req.headers['proxy-authorization']);
    const target = new URL(req.url ?? '');
    proxy.forwards.push(`${req.method} ${target.href}`);
    if (proxy.refuse) return void res.writeHead(403).end('refused by the egress policy');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
    req.pipe(upstream);
  });

  server.on('connect', (req, client: Socket, head: Buffer) => {
    noteAuth(req.headers['proxy-authorization']);
    proxy.tunnels.push(req.url ?? '');
    if (proxy.refuse) return void client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    open.add(client);
    client.on('close', () => { open.delete(client); upstream.destroy(); });
    for (const socket of [client, upstream]) socket.on('error', () => { client.destroy(); upstream.destroy(); });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
