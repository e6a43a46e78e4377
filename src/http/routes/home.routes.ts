import { Router } from 'express';
import type { Config } from '../../config/schema.ts';
import type { RenderView } from '../views.ts';

/**
 * The front door at `/`: what this server is and where to go (the dashboard, the storefront
 * example, the API reference, the discovery document); in development, how to get demo data and
 * an admin. Nothing about any account.
 */
export function homeRoutes(config: Config, renderView: RenderView): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.type('html').send(await renderView('home', {
      title: 'Identity server', issuer: config.issuer, development: config.env === 'development', dashboard: config.dashboard.enabled
    }));
  });
  return router;
}
