import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../../lib/logger.ts';

declare module 'express-serve-static-core' {
  interface Request { id: string; log: Logger }
}

const SAFE_REQUEST_ID = /^[\w.-]{1,64}$/;

/** A request id (ours, or the proxy's if well-formed), a child logger, and one access-log line. */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ request_id: req.id });
    res.setHeader('x-request-id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The path only: query strings carry codes, states and tokens.
      req.log.info({
        method: req.method, path: req.path, status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      }, 'request');
    });
    next();
  };
}
