import { Router } from 'express';

/** Liveness never touches dependencies; readiness says whether this instance can serve (database up). */
export function healthRoutes(isDatabaseReady: () => boolean): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => { res.json({ status: 'ok' }); });
  router.get('/health/ready', (_req, res) => {
    const ready = isDatabaseReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: { database: ready ? 'up' : 'down' } });
  });
  return router;
}
