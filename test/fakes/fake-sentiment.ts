import { FakeJsonApi, type Answer, type Call } from './fake-json-api.ts';

/**
 * The store's sentiment service of Auth0's article on loopback: `POST /sentiment` with
 * `{ twitterHandle, secret }`; answers `{ score, tweets_analyzed }` (see sentiment.client.ts).
 */
export class FakeSentimentService extends FakeJsonApi {
  readonly secret: string;
  /** Scores per handle (lower case); unknown handles score 0 with no tweets. */
  readonly scores = new Map<string, { score: number; tweets_analyzed: number }>();

  constructor(secret: string) {
    super();
    this.secret = secret;
  }

  get endpoint(): string {
    return `${this.url}/sentiment`;
  }

  protected answer(call: Call): Answer {
    if (call.method !== 'POST' || call.path !== '/sentiment') return { status: 404, body: { error: 'not_found' } };
    const { twitterHandle, secret } = (call.body ?? {}) as { twitterHandle?: unknown; secret?: unknown };
    if (secret !== this.secret) return { status: 401, body: { error: 'unauthorized' } };
    if (typeof twitterHandle !== 'string' || !twitterHandle) return { status: 400, body: { error: 'twitterHandle is required' } };
    return { status: 200, body: this.scores.get(twitterHandle.toLowerCase()) ?? { score: 0, tweets_analyzed: 0 } };
  }
}

export async function startFakeSentiment(secret = 'sentiment-test-secret', pathPrefix = ''): Promise<FakeSentimentService> {
  return new FakeSentimentService(secret).listen(pathPrefix);
}
