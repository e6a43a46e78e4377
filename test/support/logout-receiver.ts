import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReceivedLogout { path: string; contentType: string | undefined; logoutToken: string | null; fields: string[] }

/**
 * A relying party's back-channel logout endpoint on loopback, keeping every POST it gets. How it
 * answers depends on the path: `/ok…` 200, `/fail…` 500, `/hang…` never (the connection stays open
 * until `close()`).
 */
export async function startLogoutReceiver(): Promise<{ url: string; received: ReceivedLogout[]; close(): Promise<void> }> {
  const received: ReceivedLogout[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => {
      const form = new URLSearchParams(body);
      const path = req.url ?? '';
      received.push({ path, contentType: req.headers['content-type'], logoutToken: form.get('logout_token'), fields: [...form.keys()] });
      if (path.startsWith('/hang')) return;
      res.writeHead(path.startsWith('/fail') ? 500 : 200, { 'cache-control': 'no-store' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
