import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { TlsCertificate } from './tls-proxy.ts';

// The SDK's browser build, as a store's page loads it from a CDN or its bundle: `window.auth0`.
const SDK_PATH = createRequire(import.meta.url).resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js');

export interface SpaShop {
  /** https://localhost:<port>: the same site as an insole at https://localhost:<another port>. */
  base: string;
  /** The page of the app `name`, its redirect_uri and returnTo: `${base}/${name}/`. */
  url(name: string): string;
  close(): Promise<void>;
}

/**
 * A single-page app as a store writes one with auth0-spa-js: each app is a page at `/<name>/` that
 * creates its client with `createAuth0Client(options)` and keeps the promise in `window.auth0Client`
 * (what @auth0/auth0-react does in its provider). The test calls the SDK's methods on it. `/` is a
 * page without the SDK.
 */
export async function startSpaShop(certificate: TlsCertificate, apps: Record<string, Record<string, unknown>>): Promise<SpaShop> {
  const sdk = await readFile(SDK_PATH);
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const path = new URL(req.url!, 'http://localhost').pathname;
    if (path === '/auth0-spa-js.production.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Shop</title><link rel="icon" href="data:,"><h1>Shop</h1>');
    const name = /^\/([a-z-]+)\/$/.exec(path)?.[1];
    const options = name ? apps[name] : undefined;
    if (!options) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<html><head><meta charset="utf-8"><title>SPA Shop</title><link rel="icon" href="data:,">
<script src="/auth0-spa-js.production.js"></script>
<script>
  const options = ${JSON.stringify(options)};
  // The page itself is the redirect_uri and the returnTo (the SDK's default is the bare origin).
  options.authorizationParams.redirect_uri = location.origin + location.pathname;
  window.auth0Client = auth0.createAuth0Client(options);
</script>
</head><body><h1>SPA Shop</h1></body></html>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `https://localhost:${(server.address() as { port: number }).port}`;
  return {
    base,
    url: (name) => `${base}/${name}/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

type SpaClient = {
  loginWithRedirect(options?: unknown): Promise<void>;
  loginWithPopup(options?: unknown): Promise<void>;
  handleRedirectCallback(): Promise<unknown>;
  getUser(): Promise<Record<string, unknown> | undefined>;
  isAuthenticated(): Promise<boolean>;
  getTokenSilently(options?: unknown): Promise<{ access_token: string; id_token: string }>;
  logout(options?: unknown): Promise<void>;
};
type SpaWindow = { auth0Client: Promise<SpaClient> };

/** Starts a method that leaves the page (loginWithRedirect, logout); the caller waits for where it goes. */
export async function startLeaving(page: Page, method: 'loginWithRedirect' | 'logout', options: unknown): Promise<void> {
  await page.evaluate(([name, opts]) => {
    void (window as unknown as SpaWindow).auth0Client.then((client) => client[name as 'logout'](opts));
  }, [method, options] as const);
}

/**
 * Starts loginWithPopup() (the SDK opens the popup itself); resolves when the SDK is done: 'ok', or
 * the `error` of its exception ('cancelled' is its "Popup closed"). The caller signs in in the popup.
 */
export function loginWithPopup(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const client = await (window as unknown as SpaWindow).auth0Client;
    return client.loginWithPopup().then(() => 'ok', (err: { error?: string }) => err.error ?? String(err));
  });
}

/** What the app knows after its client is ready: isAuthenticated() and getUser(). */
export async function appState(page: Page): Promise<{ authenticated: boolean; user?: Record<string, unknown> }> {
  return page.evaluate(async () => {
    const client = await (window as unknown as SpaWindow).auth0Client;
    return { authenticated: await client.isAuthenticated(), user: await client.getUser() };
  });
}

/** handleRedirectCallback() on the page insole sent the shopper back to. */
export async function handleRedirectCallback(page: Page): Promise<void> {
  await page.evaluate(async () => { await (await (window as unknown as SpaWindow).auth0Client).handleRedirectCallback(); });
}

/** getTokenSilently({ cacheMode: 'off', detailedResponse: true }): always asks insole, never the SDK's cache. */
export async function freshTokens(page: Page): Promise<{ access_token: string; id_token: string }> {
  return page.evaluate(async () => {
    const client = await (window as unknown as SpaWindow).auth0Client;
    return client.getTokenSilently({ cacheMode: 'off', detailedResponse: true });
  });
}

/** The `error` of the SDK's exception when getTokenSilently() fails (Auth0's code, e.g. login_required), or 'none'. */
export async function silentTokenError(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const client = await (window as unknown as SpaWindow).auth0Client;
    return client.getTokenSilently({ cacheMode: 'off' }).then(() => 'none', (err: { error?: string }) => err.error ?? String(err));
  });
}
