import { bearerOf, FakeJsonApi, type Answer, type Call } from './fake-json-api.ts';

/**
 * X API v2 recent search on loopback: `GET /2/tweets/search/recent?query=…&max_results=10..100`
 * with an app-only bearer token. Understands the part of the query syntax insole sends:
 * `from:<handle>`, `@<mention>` and `-is:retweet`.
 */
export class FakeXApi extends FakeJsonApi {
  readonly bearerToken: string;
  /** Recent tweets per author (lower-case handle). */
  readonly timelines = new Map<string, string[]>();
  private nextId = 1790000000000000000n;

  constructor(bearerToken: string) {
    super();
    this.bearerToken = bearerToken;
  }

  tweet(handle: string, ...texts: string[]): void {
    this.timelines.set(handle.toLowerCase(), [...(this.timelines.get(handle.toLowerCase()) ?? []), ...texts]);
  }

  searchCalls(): Call[] {
    return this.callsTo('/2/tweets/search/recent');
  }

  protected answer(call: Call): Answer {
    if (call.method !== 'GET' || call.path !== '/2/tweets/search/recent') return problem(404, 'Not Found Error', 'not found');
    if (bearerOf(call) !== this.bearerToken) return problem(401, 'Unauthorized', 'Unauthorized');
    const query = call.query.get('query') ?? '';
    const max = Number(call.query.get('max_results') ?? 10);
    if (!query || !Number.isInteger(max) || max < 10 || max > 100) return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.');
    const author = /(?:^|\s)from:(\w+)/.exec(query)?.[1]?.toLowerCase();
    const mentions = [...query.matchAll(/(?:^|\s)@(\w+)/g)].map((m) => m[1]!.toLowerCase());
    const texts = (author ? this.timelines.get(author) ?? [] : [])
      .filter((text) => mentions.every((m) => text.toLowerCase().includes(`@${m}`)))
      .slice(0, max);
    if (!texts.length) return { status: 200, body: { meta: { result_count: 0 } } };
    const data = texts.map((text) => {
      const id = String(this.nextId++);
      return { id, text, edit_history_tweet_ids: [id] };
    });
    return { status: 200, body: { data, meta: { newest_id: data[0]!.id, oldest_id: data.at(-1)!.id, result_count: data.length } } };
  }
}

/** X API v2 errors are RFC 7807 problem documents. */
const problem = (status: number, title: string, detail: string): Answer =>
  ({ status, body: { title, detail, type: 'about:blank', status } });

export async function startFakeXApi(bearerToken = 'x-test-bearer', pathPrefix = ''): Promise<FakeXApi> {
  return new FakeXApi(bearerToken).listen(pathPrefix);
}
