import { Router } from 'express';

/**
 * Liveness never touches dependencies; readiness says whether this instance should get new
 * requests: the database is up, and it is not draining before a shutdown (so a load balancer that
 * polls readiness takes it out of rotation while it still answers).
 */
export function healthRoutes(isDatabaseReady: () => boolean, isDraining: () => boolean = () => false): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => { res.json({ status: 'ok' }); });
  router.get('/health/ready', (_req, res) => {
    const database = isDatabaseReady();
    const draining = isDraining();
    const ready = database && !draining;
    const checks = { database: database ? 'up' : 'down', ...(draining ? { shutdown: 'draining' } : {}) };
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });
  return router;
}
