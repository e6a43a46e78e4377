import type { Config } from '../../config/schema.ts';
import type { SentimentClient } from '../../integrations/sentiment.client.ts';
import type { XApiClient } from '../../integrations/x-api.client.ts';
import type { DurableHook } from '../jobs/durable-hook.ts';
import { labelOf, scoreTweets } from './sentiment-score.ts';
import { twitterHandleOf } from './twitter-handle.ts';
import type { HookUserWrites } from './user-metadata.ts';

type Settings = Config['hooks']['sentiment'];

/** Either the store's remote service, or X recent search scored here. */
export type SentimentSource =
  | { mode: 'remote'; client: SentimentClient }
  | { mode: 'builtin'; client: XApiClient };

/**
 * What the shopper says about the brand on X, once per user (app_metadata.sentiment_initialized,
 * as in Auth0's article), stored as app_metadata.sentiment = { score, label, tweets_analyzed,
 * analyzed_at, source }. Applies only when a handle is known: from the Twitter identity, or from
 * FullContact (which queues this hook itself when it finds one).
 */
export function createSentimentHook(settings: Settings, source: SentimentSource, writes: HookUserWrites): DurableHook {
  async function analyze(handle: string, signal: AbortSignal): Promise<{ score: number | null; tweets_analyzed: number | null }> {
    if (source.mode === 'builtin') return scoreTweets(await source.client.recentMentions(handle, settings.brand_handle, signal));
    const remote = await source.client.analyze(handle, signal);
    return { score: remote.score ?? null, tweets_analyzed: remote.tweetsAnalyzed ?? null };
  }

  return {
    name: 'sentiment',
    timeoutMs: settings.timeout_ms,
    appliesTo: (user) => user.app_metadata?.sentiment_initialized !== true && twitterHandleOf(user) !== undefined,
    key: (user) => `sentiment:${user.user_id}`,
    async run(user, ctx) {
      const handle = twitterHandleOf(user)!;
      const { score, tweets_analyzed } = await analyze(handle, ctx.signal);
      // A remote service that keeps its result itself answers without a score: recorded as analysed, unlabelled.
      const label = score === null ? null : labelOf(score, settings);
      const stored = await writes.recordSentiment(user.user_id, { score, label, tweets_analyzed, analyzed_at: ctx.now, source: source.mode }, ctx.now);
      return { handle, score, label, tweets_analyzed, ...(stored ? {} : { skipped: 'already recorded' }) };
    },
  };
}
