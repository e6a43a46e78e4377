import type { RequestHandler } from 'express';
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../errors/app-error.ts';

class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('too_many_requests', 429, 'Global limit has been reached', {});
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Requests per client (per user, for a token on a user's behalf) per window, counted in MongoDB so every instance shares the budget. Every
 * answer carries Auth0's headers: the limit, what is left, and when the window resets (epoch seconds).
 */
export function clientRateLimit(connection: Connection, { requests, window_seconds }: { requests: number; window_seconds: number }): RequestHandler {
  const limiter = new RateLimiterMongo({
    storeClient: connection.getClient(), dbName: connection.db!.databaseName, tableName: 'rate_limits',
    keyPrefix: 'api', points: requests, duration: window_seconds,
  });
  const headers = (res: Parameters<RequestHandler>[1], state: RateLimiterRes) => {
    res.setHeader('x-ratelimit-limit', String(requests));
    res.setHeader('x-ratelimit-remaining', String(Math.max(0, state.remainingPoints)));
    res.setHeader('x-ratelimit-reset', String(Math.ceil((Date.now() + state.msBeforeNext) / 1000)));
  };

  return async (req, res, next) => {
    // A token on behalf of a user (the dashboard's) counts for that user, so one busy dashboard user
    // cannot use up the budget of every other; a client's own token (sub = client_id) for the client.
    const { clientId, subject } = req.bearer ?? {};
    const client = clientId && subject && subject !== clientId ? `${clientId} ${subject}` : clientId ?? subject ?? 'anonymous';
    try {
      headers(res, await limiter.consume(client));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      headers(res, rejection);
      throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    next();
  };
}
