import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EnvHttpProxyAgent, errors, fetch as undiciFetch, type Dispatcher } from 'undici';
import type { OutboundHttpConfig } from '../config/outbound-http-schema.ts';
import { finishedWithin } from '../lib/finished-within.ts';

/** undici's fetch, always on insole's dispatcher. */
export type OutboundFetch = (url: string | URL, init?: Omit<NonNullable<Parameters<typeof undiciFetch>[1]>, 'dispatcher'>) => ReturnType<typeof undiciFetch>;

export interface OutboundHttp {
  /** The one dispatcher: per-origin pools, timeouts, size cap, proxy. */
  readonly dispatcher: Dispatcher;
  readonly fetch: OutboundFetch;
  /** The size cap, for callers that say so in their own errors. */
  readonly maxResponseBytes: number;
  /**
   * A node:http(s) agent with the same proxy settings and keep-alive, for libraries that call
   * http.request themselves (passport's `oauth`, via OAuth2#setAgent). One per protocol.
   */
  nodeAgent(protocol: 'http:' | 'https:'): HttpAgent;
  /** Lets calls in flight finish for up to `waitMs`, then cuts them, and closes every pooled connection (shutdown). */
  close(waitMs: number): Promise<void>;
}

/**
 * The outbound side of insole. `EnvHttpProxyAgent` gives curl's HTTP_PROXY / HTTPS_PROXY /
 * NO_PROXY semantics, but it would read process.env itself when a setting is absent: we always
 * pass all three (an empty string means "none"), so only the config loader reads the environment.
 */
export function createOutboundHttp(config: OutboundHttpConfig): OutboundHttp {
  const { proxy } = config;
  const pool = {
    connectTimeout: config.connect_timeout_ms,
    connect: { timeout: config.connect_timeout_ms },
    headersTimeout: config.headers_timeout_ms,
    bodyTimeout: config.body_timeout_ms,
    maxResponseSize: config.max_response_bytes,
    keepAliveTimeout: config.keep_alive_timeout_ms,
    keepAliveMaxTimeout: config.keep_alive_max_timeout_ms,
    connections: config.connections_per_origin,
  };
  const dispatcher = new EnvHttpProxyAgent({
    ...pool,
    httpProxy: proxy.http_proxy ?? '',
    httpsProxy: proxy.https_proxy ?? proxy.http_proxy ?? '',
    noProxy: proxy.no_proxy ?? '',
    proxyTunnel: proxy.tunnel_http,
  } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);

  const proxyEnv = proxy.http_proxy || proxy.https_proxy
    ? { HTTP_PROXY: proxy.http_proxy, HTTPS_PROXY: proxy.https_proxy ?? proxy.http_proxy, NO_PROXY: proxy.no_proxy }
    : undefined;
  const agentOptions = { keepAlive: true, maxSockets: config.connections_per_origin, timeout: config.headers_timeout_ms, proxyEnv };
  const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };

  return {
    dispatcher,
    maxResponseBytes: config.max_response_bytes,
    async fetch(url, init = {}) {
      const res = await undiciFetch(url, { ...init, dispatcher });
      // undici counts body bytes as they arrive; an answer that announces more is refused before any is read.
      if (Number(res.headers.get('content-length') ?? 0) > config.max_response_bytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new TypeError('fetch failed', { cause: new errors.ResponseExceededMaxSizeError() });
      }
      return res;
    },
    nodeAgent: (protocol) => agents[protocol],
    async close(waitMs) {
      for (const agent of Object.values(agents)) agent.destroy();
      if (!(await finishedWithin(dispatcher.close(), waitMs))) await dispatcher.destroy();
    },
  };
}

/** undici's own failure, wherever it sits in an error's `cause` chain (fetch wraps them in TypeError). */
export function undiciCodeOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && e.code.startsWith('UND_ERR')) return e.code;
  }
  return undefined;
}

export const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
export const TOO_LARGE_CODE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
