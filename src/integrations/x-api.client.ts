import { joinUrl } from '../lib/join-url.ts';
import type { OutboundHttp } from './http-dispatcher.ts';
import { ApiError, callJsonApi } from './json-api.ts';

/**
 * X API v2 recent search (`GET /2/tweets/search/recent`, app-only bearer token): tweets of the
 * last 7 days matching a query. We ask for one page of the shopper's own tweets that mention the
 * brand, without retweets (their text is someone else's words).
 */
export interface XApiClient {
  recentMentions(handle: string, brandHandle: string, signal: AbortSignal): Promise<string[]>;
}

export function createXApiClient({ bearerToken, baseUrl, maxResults, http }: { bearerToken: string; baseUrl: string; maxResults: number; http: OutboundHttp }): XApiClient {
  return {
    async recentMentions(handle, brandHandle, signal) {
      const url = joinUrl(baseUrl, '2/tweets/search/recent');
      url.searchParams.set('query', `from:${handle} @${brandHandle} -is:retweet`);
      url.searchParams.set('max_results', String(maxResults));
      const answer = await callJsonApi({
        http,
        service: 'X API', url: url.href, signal,
        headers: { authorization: `Bearer ${bearerToken}` },
        expect: [200],
      });
      // No match: `{ meta: { result_count: 0 } }` without `data`.
      const data = (answer.body as { data?: unknown } | undefined)?.data ?? [];
      if (!Array.isArray(data)) throw new ApiError('X API', 'bad_response', '`data` is not a list of tweets', { status: 200 });
      return data.map((tweet) => (tweet as { text?: unknown }).text).filter((text): text is string => typeof text === 'string');
    },
  };
}
