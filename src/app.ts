import express, { type Express } from 'express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import type { Config } from './config/schema.ts';
import type { LiveProvider } from './oidc/live-provider.ts';
import type { Logger } from './lib/logger.ts';
import type { PasswordSigninService } from './users/password-signin.service.ts';
import type { RenderView } from './http/views.ts';
import { requestContext } from './http/middleware/request-context.ts';
import { requireDatabase } from './http/middleware/database-ready.ts';
import { errorHandler } from './http/middleware/error-handler.ts';
import { createCsrf } from './http/middleware/csrf.ts';
import { healthRoutes } from './http/routes/health.routes.ts';
import { assetRoutes } from './http/routes/assets.routes.ts';
import { interactionRoutes } from './http/routes/interaction.routes.ts';
import { logoutRoutes } from './http/routes/logout.routes.ts';
import { socialRoutes } from './http/routes/social.routes.ts';
import { accountRoutes } from './http/routes/account.routes.ts';
import type { AccountService } from './users/account.service.ts';
import type { PostLogin } from './hooks/post-login.ts';
import type { DurableHooks } from './hooks/jobs/durable-hooks.ts';
import { metricsRoutes } from './http/routes/metrics.routes.ts';
import type { Authenticator } from './http/routes/run-strategy.ts';
import { createInteractionPages } from './http/interaction-pages.ts';
import type { HandshakeStore } from './auth/handshake.store.ts';
import type { SocialConnection } from './auth/profile-mapping.ts';
import type { SocialCallbacks } from './auth/social-callback.ts';
import type { SocialSigninService } from './auth/social-signin.service.ts';
import { createCallbackCookie, signedCookieSecrets } from './http/callback-cookie.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  /** oidc-provider, replaced when the signing keys change (a rotation). */
  oidc: LiveProvider;
  passwordSignin: PasswordSigninService;
  socialSignin: SocialSigninService;
  account: AccountService;
  postLogin: PostLogin;
  durableHooks: DurableHooks;
  passport: Authenticator;
  connections: SocialConnection[];
  handshakes: HandshakeStore;
  socialCallbacks: SocialCallbacks;
  renderView: RenderView;
  isDatabaseReady: () => boolean;
  /** The Management API, mounted at /api/v2 with its own database gate and error shape. */
  managementApi: express.Router;
}

/** Express wiring only: no listening, no environment. Tests build it with their own deps. */
export function createApp(deps: AppDeps): Express {
  const { config, logger, oidc, renderView, isDatabaseReady } = deps;
  const routeDeps = { ...deps, provider: oidc.current };
  const app = express();
  app.set('trust proxy', config.trust_proxy);
  app.disable('x-powered-by');

  app.use(requestContext(logger));
  app.use(helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        // Not set: Chromium applies form-action to the redirects after a form post, and the sign-in
        // form ends in a redirect to the client's redirect_uri, which is checked exactly by oidc-provider.
        formAction: null,
        upgradeInsecureRequests: config.issuer.startsWith('https://') ? [] : null,
      },
    },
    strictTransportSecurity: config.issuer.startsWith('https://'),
  }));

  app.use(assetRoutes(config));
  app.use(healthRoutes(isDatabaseReady));
  app.use('/api/v2', deps.managementApi);
  app.use(requireDatabase(isDatabaseReady));
  app.use(metricsRoutes(deps.durableHooks, config.metrics_token));
  app.use(cookieParser(signedCookieSecrets(config)));
  const csrf = createCsrf(config);
  const pages = createInteractionPages({ ...routeDeps, csrf });
  app.use(interactionRoutes({ ...routeDeps, csrf, pages, verifyEmailFirst: config.signup.verify_email_first }));
  app.use(socialRoutes({ ...routeDeps, csrf, pages, callbackCookie: createCallbackCookie(config), timeoutMs: config.connections.timeout_ms }));
  app.use(accountRoutes({ ...deps, csrf }));
  app.use(logoutRoutes(oidc.current));
  // oidc-provider parses its own bodies, so no Express body parser runs before it.
  app.use(oidc.handle);
  app.use(errorHandler(renderView));
  return app;
}
