import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Area } from './area.ts';
import type { Config } from './config/schema.ts';
import type { LiveProvider } from './oidc/live-provider.ts';
import type { Logger } from './lib/logger.ts';
import type { RenderView } from './http/views.ts';
import { requestContext } from './http/middleware/request-context.ts';
import { requireDatabase } from './http/middleware/database-ready.ts';
import { errorHandler } from './http/middleware/error-handler.ts';
import { answerDeadline } from './http/middleware/answer-deadline.ts';
import { healthRoutes, type StartupPhase } from './http/routes/health.routes.ts';
import { assetRoutes } from './http/routes/assets.routes.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  renderView: RenderView;
  isDatabaseReady: () => boolean;
  /** True once a shutdown has begun: readiness fails while requests are still served. */
  isDraining?: () => boolean;
  /** Set while insole starts (insole.ts): readiness fails, saying why. */
  startup?: () => StartupPhase | undefined;
  /**
   * oidc-provider, replaced when the signing keys change (a rotation): it answers what no area does.
   * None while insole starts: every request but the health checks stops at the database gate then.
   */
  oidc?: Pick<LiveProvider, 'handle'>;
  /** What to mount, in order: each area's APIs, then its pages. */
  areas: Area[];
}

/** Express wiring only: no listening, no environment. Areas bring their routers; this is the frame around them. */
export function createApp({ config, logger, renderView, isDatabaseReady, isDraining, startup, oidc, areas }: AppDeps): Express {
  const app = express();
  app.set('trust proxy', config.trust_proxy);
  app.disable('x-powered-by');

  app.use(requestContext(logger));
  app.use(answerDeadline(config.answer_within_ms, errorHandler(renderView)));
  // While draining, each answer closes its connection: keep-alive clients reconnect to an instance that stays.
  app.use((_req, res, next) => { if (isDraining?.()) res.setHeader('connection', 'close'); next(); });
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
  app.use(healthRoutes(isDatabaseReady, isDraining, startup));
  // Programs first: they carry bearer tokens, not cookies, and answer in their own error shape.
  for (const api of areas.flatMap((area) => area.apis ?? [])) app.use(api.path, api.router);
  app.use(requireDatabase(isDatabaseReady));
  for (const router of areas.flatMap((area) => area.pages ?? [])) app.use(router);
  // oidc-provider parses its own bodies, so no Express body parser runs before it.
  if (oidc) app.use(oidc.handle);
  app.use(errorHandler(renderView));
  return app;
}
