// The storefront's orders API (examples/storefront/api.ts) in a process of its own, for bench/storefront.ts:
// `verify` is the example as shipped (jose, insole's JWKS cached); `none` is the same route that
// only decodes the token, the baseline. Not a program to run by hand.
import { createServer } from 'node:http';
import express from 'express';
import { decodeJwt } from 'jose';
import { ordersApi, sampleOrdersFor } from '../examples/storefront/api.ts';
import { createDiscovery } from '../examples/storefront/insole-client.ts';

const { mode, issuer, audience } = JSON.parse(process.argv[2]!) as { mode: 'verify' | 'none'; issuer: string; audience: string };
const app = express();
app.disable('x-powered-by');
if (mode === 'verify') {
  app.use(ordersApi(audience, createDiscovery({ issuer, clientId: 'bench-orders-service', clientSecret: 'unused-here-0123456789', baseUrl: 'http://127.0.0.1', audience })));
} else {
  app.get('/api/orders', (req, res) => {
    const token = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!token) return res.status(401).json({ error: 'unauthorized' });
    const claims = decodeJwt(token); // no signature, issuer, audience or expiry check: what verification is measured against
    if (!String(claims.scope ?? '').split(' ').includes('read:orders')) return res.status(403).json({ error: 'insufficient_scope' });
    res.set('cache-control', 'no-store').json({ sub: claims.sub, orders: sampleOrdersFor(claims.sub!) });
  });
}
const server = createServer(app).listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as { port: number }).port });
});
process.on('message', (m: { op: string; id: number }) => {
  if (m.op === 'cpu') {
    const all = process.cpuUsage();
    const loop = process.threadCpuUsage();
    process.send!({ id: m.id, result: { totalMs: (all.user + all.system) / 1000, loopMs: (loop.user + loop.system) / 1000 } });
  } else if (m.op === 'stop') {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  }
});
