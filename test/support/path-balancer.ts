import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';

export interface PathBalancer {
  /** The issuer every instance behind it is given: browsers and the dashboard's own requests come here. */
  url: string;
  /** Where each request goes, by its path: a test decides which instance answers what. */
  route: (path: string) => { port: number };
  close(): Promise<void>;
}

/**
 * A load balancer on loopback in front of several insole instances, sending each HTTP request to
 * the instance `route` picks for its path (a real one spreads them; a test needs to know which).
 * Requests pass as they are: no X-Forwarded-For, so the instances run without TRUST_PROXY.
 */
export async function startPathBalancer(): Promise<PathBalancer> {
  const balancer: PathBalancer = {
    url: '',
    route: () => { throw new Error('no route set'); },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req, res) => {
    const { port } = balancer.route(new URL(req.url ?? '/', 'http://balancer').pathname);
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  balancer.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return balancer;
}
