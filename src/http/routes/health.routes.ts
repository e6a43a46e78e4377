import { Router } from 'express';

/** What /health/ready says while insole starts: `starting`, or, once an attempt found MongoDB away, waiting for it. */
export type StartupPhase = 'starting' | 'waiting for the database';

/**
 * Liveness never touches dependencies; readiness says whether this instance should get new
 * requests: started, the database is up, and it is not draining before a shutdown (so a load
 * balancer that polls readiness takes it out of rotation while it still answers).
 */
export function healthRoutes(isDatabaseReady: () => boolean, isDraining: () => boolean = () => false, startup: () => StartupPhase | undefined = () => undefined): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => { res.json({ status: 'ok' }); });
  router.get('/health/ready', (_req, res) => {
    const phase = startup();
    const database = isDatabaseReady();
    const draining = isDraining();
    const ready = database && !draining && !phase;
    const checks = {
      // Not known yet in the first attempt of a start: not said rather than guessed.
      ...(phase === 'starting' ? {} : { database: database ? 'up' : 'down' }),
      ...(phase ? { startup: phase } : {}),
      ...(draining ? { shutdown: 'draining' } : {}),
    };
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
  });
  return router;
}
