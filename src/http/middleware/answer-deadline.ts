import type { ErrorRequestHandler, RequestHandler } from 'express';
import { UnavailableError } from '../../errors/app-error.ts';

const TOO_SLOW = 'The service is taking too long to answer. Please try again in a moment.';

/**
 * A request still without an answer after `ms` gets a 503 (Retry-After, connection closed) and an
 * error line naming it: a dependency that stops answering without closing its connections (a
 * network partition drops packets; the driver waits on its socket) must not hold a shopper, or a
 * load balancer's connection, for minutes. Answers already under way (exports, server-sent
 * events) are left alone. The route's own late answer then finds the response sent and is dropped.
 */
export function answerDeadline(ms: number, answer: ErrorRequestHandler): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      req.log.error({ method: req.method, path: req.path, waited_ms: ms }, 'no answer within the deadline: answered 503');
      res.setHeader('connection', 'close');
      void answer(new UnavailableError(TOO_SLOW), req, res, () => undefined);
    }, ms);
    res.once('close', () => clearTimeout(timer));
    next();
  };
}
