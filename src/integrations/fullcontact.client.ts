import { joinUrl } from '../lib/join-url.ts';
import type { OutboundHttp } from './http-dispatcher.ts';
import { ApiError, callJsonApi } from './json-api.ts';

/**
 * FullContact's Person Enrich API (v3): `POST /v3/person.enrich` with a bearer API key and the
 * email in a JSON body. 200 is a profile; 404 means FullContact knows nobody with that email;
 * 202 means it is still searching and the same request should be made again later.
 */
export type EnrichAnswer =
  | { kind: 'match'; person: Record<string, unknown> }
  | { kind: 'no_match' }
  | { kind: 'searching' };

export interface FullContactClient {
  enrich(email: string, signal: AbortSignal): Promise<EnrichAnswer>;
}

export function createFullContactClient({ apiKey, baseUrl, http }: { apiKey: string; baseUrl: string; http: OutboundHttp }): FullContactClient {
  const url = joinUrl(baseUrl, 'v3/person.enrich').href;
  return {
    async enrich(email, signal) {
      const answer = await callJsonApi({
        http,
        service: 'FullContact', url, method: 'POST', signal,
        headers: { authorization: `Bearer ${apiKey}` },
        body: { email },
        expect: [200, 202, 404],
      });
      if (answer.status === 404) return { kind: 'no_match' };
      if (answer.status === 202) return { kind: 'searching' };
      if (typeof answer.body !== 'object' || answer.body === null || Array.isArray(answer.body)) {
        throw new ApiError('FullContact', 'bad_response', 'HTTP 200 without a person object', { status: 200 });
      }
      return { kind: 'match', person: answer.body as Record<string, unknown> };
    },
  };
}
