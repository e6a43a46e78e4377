import { z } from 'zod';
import type { UserDoc } from '../users/user.model.ts';
import type { MongoFilter, RowReport } from './row-report.ts';

/**
 * Shoppers by what they say about the store on X (the sentiment hook, or an Auth0 rule, stores
 * app_metadata.sentiment; facts keep its label and score). Only users with a score are listed,
 * most negative first (score ascending, then user_id), from the (label, score, user_id) index.
 */
export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;

export const sentimentParamsShape = {
  label: z.enum(SENTIMENT_LABELS).optional().describe('Only users with this label (hooks.sentiment thresholds); default every analysed user.'),
};

export type SentimentParams = { label?: (typeof SENTIMENT_LABELS)[number] };

export const SENTIMENT_COLUMNS = [
  { name: 'handle' }, { name: 'email' }, { name: 'name' }, { name: 'user_id' }, { name: 'label' }, { name: 'score' },
  { name: 'tweets_analyzed' }, { name: 'analyzed_at', date: true },
] as const;

export interface SentimentRow {
  handle: string | null; email: string | null; name: string | null; user_id: string; label: string | null; score: number;
  tweets_analyzed: number | null; analyzed_at: string | null;
}

export function buildSentimentFilter({ label }: SentimentParams): MongoFilter {
  return { ...(label ? { 'facts.sentiment_label': label } : {}), 'facts.sentiment_score': { $exists: true } };
}

/**
 * What the hook stored next to the score; a rule may have stored a date as text (kept as written).
 * A count that is no count (2.5, -1, 1e300: a rule or a PATCH can store anything) reads as unknown,
 * rather than failing the whole page against the answer's schema (a whole number).
 */
function analysis(user: UserDoc): { tweets_analyzed: number | null; analyzed_at: string | null } {
  const stored = (user.app_metadata?.sentiment ?? {}) as { tweets_analyzed?: unknown; analyzed_at?: unknown };
  const at = stored.analyzed_at;
  const count = stored.tweets_analyzed;
  return {
    tweets_analyzed: typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : null,
    analyzed_at: at instanceof Date ? at.toISOString() : typeof at === 'string' ? at : null,
  };
}

export function sentimentRow(user: UserDoc): SentimentRow {
  return {
    handle: user.facts?.x_handle ?? null, email: user.email ?? null, name: user.name ?? null, user_id: user.user_id,
    label: user.facts?.sentiment_label ?? null, score: user.facts!.sentiment_score!, ...analysis(user),
  };
}

export function sentimentReport(params: SentimentParams): RowReport<SentimentRow> {
  return {
    name: `sentiment${params.label ? `-${params.label}` : ''}`,
    columns: SENTIMENT_COLUMNS,
    query: {
      filter: buildSentimentFilter(params),
      sort: { field: 'facts.sentiment_score', kind: 'number' },
      projection: {
        user_id: 1, email: 1, name: 1, 'facts.x_handle': 1, 'facts.sentiment_label': 1, 'facts.sentiment_score': 1,
        'app_metadata.sentiment.tweets_analyzed': 1, 'app_metadata.sentiment.analyzed_at': 1,
      },
    },
    row: sentimentRow,
  };
}
