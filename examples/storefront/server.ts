import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import { ordersApi } from './api.ts';
import { authRoutes } from './auth.ts';
import { createDiscovery, type AuthSettings } from './insole-client.ts';
import { errorPage, sendPage } from './pages.ts';
import { SessionStore } from './session.ts';
import { shopRoutes } from './shop.ts';

export interface StorefrontOptions extends AuthSettings {
  /** Signs the cookies. Default: random per process, which suits sessions that live in memory. */
  cookieSecret?: string;
  sessions?: SessionStore;
}

/** The example shop as an Express app (no listening), signing shoppers in through insole. */
export function createStorefront(options: StorefrontOptions): Express {
  const settings = checkOptions(options);
  const sessions = options.sessions ?? new SessionStore();
  const discover = createDiscovery(settings);

  const app = express();
  app.disable('x-powered-by');
  app.use(cookieParser(options.cookieSecret ?? randomBytes(32).toString('base64url')));
  app.use(authRoutes(settings, discover, sessions));
  app.use(ordersApi(settings.audience, discover));
  app.use(shopRoutes(settings.baseUrl, discover, sessions));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    console.error(`storefront: ${req.method} ${req.path} failed:`, err);
    if (req.path.startsWith('/api/')) return void res.status(500).json({ error: 'server_error' });
    sendPage(res, 500, errorPage('Something went wrong', 'The shop could not reach the sign-in service or hit an error. Please try again.'));
  });
  return app;
}

function checkOptions(options: StorefrontOptions): AuthSettings {
  for (const key of ['issuer', 'baseUrl', 'audience'] as const) {
    if (!URL.canParse(options[key] ?? '')) throw new TypeError(`createStorefront: ${key} must be an absolute URL, got ${JSON.stringify(options[key])}.`);
  }
  if (!options.clientId || !options.clientSecret) throw new TypeError('createStorefront: clientId and clientSecret are required.');
  // No trailing slash, so `${baseUrl}/callback` matches the registered redirect_uri exactly.
  return { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
}

if (import.meta.main) {
  const env = process.env;
  const port = Number(env.PORT ?? 4000);
  const settings = {
    issuer: env.ISSUER ?? 'http://localhost:3000',
    baseUrl: env.STOREFRONT_URL ?? `http://localhost:${port}`,
    // The development client and API from insole's config/default.json.
    clientId: env.CLIENT_ID ?? 'storefront',
    clientSecret: env.CLIENT_SECRET ?? 'storefront-development-secret',
    audience: env.AUDIENCE ?? 'https://api.innovashoes.example/',
  };
  const server: Server = createStorefront(settings).listen(port, () => {
    console.log(`storefront: ${settings.baseUrl} (signing in through ${settings.issuer})`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
