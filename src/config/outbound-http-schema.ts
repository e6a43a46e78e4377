import { z } from 'zod';

const proxyUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// URL (credentials may go in it: http://user:pass@proxy:3128)');

/**
 * Every HTTP call insole makes (FullContact, X, the sentiment service, the rules' `request`) goes
 * through one undici dispatcher built from these settings (src/integrations/http-dispatcher.ts);
 * the social sign-in libraries get Node agents with the same proxy settings.
 */
export const outboundHttpSchema = z.object({
  connect_timeout_ms: z.number().int().positive().default(5_000).describe('TCP (and TLS) connection set-up, through the proxy when there is one.'),
  headers_timeout_ms: z.number().int().positive().default(15_000).describe('From sending the request to the end of the answer\'s headers.'),
  body_timeout_ms: z.number().int().positive().default(15_000).describe('Longest silence between two chunks of an answer\'s body (a trickling server is cut off). Callers add their own total deadline (hooks\' and rules\' timeout_ms).'),
  max_response_bytes: z.number().int().min(1024).default(2 * 1024 * 1024).describe('Largest answer read; a larger one fails the call: at once when its Content-Length says so, else as the bytes arrive.'),
  keep_alive_timeout_ms: z.number().int().positive().default(4_000).describe('How long an idle pooled connection is kept when the server does not say (its Keep-Alive header wins, up to keep_alive_max_timeout_ms).'),
  keep_alive_max_timeout_ms: z.number().int().positive().default(600_000),
  connections_per_origin: z.number().int().min(1).default(32).describe('Pool size per origin (scheme, host and port): calls beyond it wait for a free connection.'),
  proxy: z.object({
    http_proxy: proxyUrl.optional().describe('From HTTP_PROXY (or http_proxy): the proxy for http:// URLs.'),
    https_proxy: proxyUrl.optional().describe('From HTTPS_PROXY (or https_proxy): the proxy for https:// URLs; default http_proxy.'),
    no_proxy: z.string().optional().describe('From NO_PROXY (or no_proxy): comma-separated hosts (and host:port, .domain, *) reached directly.'),
    tunnel_http: z.boolean().default(true).describe('Reach http:// URLs through the proxy with CONNECT too (so the same timeouts and size cap apply); false: send them to the proxy in absolute form.'),
  }).strict().prefault({}),
}).strict().prefault({});

export type OutboundHttpConfig = z.infer<typeof outboundHttpSchema>;
