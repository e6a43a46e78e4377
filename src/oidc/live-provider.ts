import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../lib/logger.ts';
import type { PrivateJwk } from './signing-keys.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;
type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

/** How routes reach the provider: per request, because a key rotation replaces it. */
export type CurrentProvider = () => Provider;

export interface LiveProvider {
  /** The provider to use for this request; call it per request, never keep the result. */
  current: CurrentProvider;
  /** oidc-provider's own routes, served by the current provider. */
  handle: Handler;
  /** The public keys now published (the JWKS), for verifying our own tokens offline. */
  publicKeys: () => PublicJwk[];
  /** Adds a middleware to the provider, and to every provider built after a key rotation. */
  use(middleware: Middleware): void;
  stop(): void;
}

export interface LiveProviderDeps {
  loadKeys(): Promise<PrivateJwk[]>;
  build(keys: PrivateJwk[]): Provider;
  refreshMs: number;
  logger: Logger;
}

const fingerprint = (keys: PrivateJwk[]) => keys.map((key) => key.kid).join(',');

export type PublicJwk = Record<string, unknown> & { kid: string };
// RSA private members (RFC 7518 §6.3.2): what the JWKS never shows.
const publicPart = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...key }: PrivateJwk): PublicJwk => key;

/**
 * oidc-provider fixes its signing keys when it is constructed, so a key rotation (or a rotated-in key
 * becoming active, or an old one expiring) means a new provider. Everything else the provider keeps
 * (sessions, interactions, grants, tokens) lives in MongoDB, so the new instance carries on where the
 * old one stopped, and requests already running on the old one finish there.
 */
export async function startLiveProvider({ loadKeys, build, refreshMs, logger }: LiveProviderDeps): Promise<LiveProvider> {
  const extensions: Middleware[] = [];
  const extended = (keys: PrivateJwk[]) => {
    const built = build(keys);
    for (const middleware of extensions) built.use(middleware);
    return built;
  };
  const initial = await loadKeys();
  let provider = extended(initial);
  let handler: Handler = provider.callback();
  let loaded = fingerprint(initial);
  let published = initial.map(publicPart);
  let failing = false;

  async function refresh(): Promise<void> {
    const keys = await loadKeys();
    if (fingerprint(keys) === loaded) return;
    const next = extended(keys);
    [provider, handler, loaded, published] = [next, next.callback(), fingerprint(keys), keys.map(publicPart)];
    logger.info({ kids: keys.map((key) => key.kid), signing: keys[0]?.kid }, 'signing keys changed; the new set is published and used');
  }

  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return; // a slow database: one re-read at a time
    refreshing = true;
    refresh().finally(() => { refreshing = false; }).then(() => { failing = false; }, (err: Error) => {
      // Usually the database is away: keep serving with the keys we have, and say so once.
      if (!failing) logger.warn({ err: { message: err.message } }, 'could not re-read the signing keys; keeping the current ones');
      failing = true;
    });
  }, refreshMs);
  timer.unref();

  return {
    current: () => provider,
    handle: (req, res) => handler(req, res),
    publicKeys: () => published,
    use(middleware) {
      extensions.push(middleware);
      provider.use(middleware);
      handler = provider.callback(); // koa composes its middleware when the handler is made
    },
    stop: () => clearInterval(timer),
  };
}
