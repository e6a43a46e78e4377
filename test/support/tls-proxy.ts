import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import { generate } from 'selfsigned';

export interface TlsCertificate { key: string; cert: string }

export interface TlsProxy {
  readonly port: number;
  /** Where requests go from now on (before this, every request is a 502). */
  forwardTo(target: string): void;
  close(): Promise<void>;
}

/**
 * A throwaway certificate for 127.0.0.1 and localhost, made at run time (no private key is ever
 * committed). It is its own CA: a client trusts it by adding `cert` to its CA list.
 */
export async function selfSignedCertificate(): Promise<TlsCertificate> {
  const made = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048, algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { key: made.private, cert: made.cert };
}

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
const endToEnd = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

/**
 * insole as production runs it: behind a TLS-terminating reverse proxy, which forwards each request
 * over plain HTTP to its target with the Host unchanged and X-Forwarded-For/-Proto set (insole must
 * have `trust_proxy` for loopback to believe them). Bodies stream both ways. The proxy listens first,
 * on a port of its own, so the issuer can name that port before insole starts (no port race).
 */
export async function startTlsProxy(certificate: TlsCertificate): Promise<TlsProxy> {
  let upstream: URL | undefined;
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    if (!upstream) return void res.writeHead(502).end();
    const forwarded = request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...endToEnd(req.headers), 'x-forwarded-proto': 'https', 'x-forwarded-for': req.socket.remoteAddress },
    }, (answer) => {
      res.writeHead(answer.statusCode!, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
    });
    forwarded.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    forwardTo: (target) => { upstream = new URL(target); },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
