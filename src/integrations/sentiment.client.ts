import type { OutboundHttp } from './http-dispatcher.ts';
import { ApiError, callJsonApi } from './json-api.ts';

/**
 * The store's own sentiment service, as in Auth0's InnovaShoes article: insole POSTs
 * `{ twitterHandle, secret }` as JSON. The service answers 2xx with `{ score, tweets_analyzed? }`
 * (score: the mean AFINN score of the shopper's tweets about the brand). A 2xx without a numeric
 * score means the service keeps the result itself (the article's service): accepted, no score.
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
      const answer = await callJsonApi({
        http,
        service: 'sentiment service', url, method: 'POST', signal,
        body: { twitterHandle, secret },
        expect: [200, 201, 202, 204],
      });
      const body = (answer.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError('sentiment service', 'bad_response', 'the answer is not a JSON object');
      const score = typeof body.score === 'number' && Number.isFinite(body.score) ? body.score : undefined;
      const count = body.tweets_analyzed ?? body.tweetsAnalyzed;
      return { score, tweetsAnalyzed: typeof count === 'number' && Number.isInteger(count) ? count : undefined };
    },
  };
}
