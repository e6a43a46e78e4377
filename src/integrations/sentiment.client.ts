import type { OutboundHttp } from './http-dispatcher.ts';
import { ApiError, callJsonApi } from './json-api.ts';

/**
 * The store's own sentiment service, as in Auth0's InnovaShoes article: insole POSTs
 * `{ twitterHandle, secret }` as JSON. The service answers 2xx with `{ score, tweets_analyzed? }`
 * (score: the mean AFINN score of the shopper's tweets about the brand). A 2xx without a numeric
 * score — any other body, JSON or not, or none — means the service keeps the result itself (the
 * article's service): accepted, no score.
 */
export interface RemoteSentiment {
  score?: number;
  tweetsAnalyzed?: number;
}

export interface SentimentClient {
  analyze(twitterHandle: string, signal: AbortSignal): Promise<RemoteSentiment>;
}

export function createSentimentClient({ url, secret, http }: { url: string; secret: string; http: OutboundHttp }): SentimentClient {
  return {
    async analyze(twitterHandle, signal) {
      const answer = await post({ twitterHandle, secret }, signal);
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return {};
      const body = answer as Record<string, unknown>;
      const score = typeof body.score === 'number' && Number.isFinite(body.score) ? body.score : undefined;
      const count = body.tweets_analyzed ?? body.tweetsAnalyzed;
      return { score, tweetsAnalyzed: typeof count === 'number' && Number.isInteger(count) ? count : undefined };
    },
  };

  /**
   * The parsed answer; undefined for a 2xx whose body is not JSON. Such a service keeps its result
   * itself (Express's `res.sendStatus(200)` answers "OK" as text): the user is analysed, not retried
   * — a retry would post the shopper again, and the job would die without sentiment_initialized.
   */
  async function post(body: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    try {
      return (await callJsonApi({ http, service: 'sentiment service', url, method: 'POST', signal, body, expect: [200, 201, 202, 204] })).body;
    } catch (err) {
      if (err instanceof ApiError && err.failure === 'bad_response' && err.status !== undefined && err.status < 300) return undefined;
      throw err;
    }
  }
}
