import { labelOf } from '../../hooks/builtin/sentiment-score.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { num, obj, str } from './json-values.ts';

export interface SentimentThresholds {
  negative_below: number;
  positive_above: number;
}

/**
 * `app_metadata.sentiment` as the hook stores it ({ score, label, … }), or as the article's rule
 * stores the service's answer ({ score, tweets_analyzed }, no label): an unlabelled score gets its
 * label from the hook's thresholds, so "unhappy shoppers" finds both.
 */
export function readSentiment(user: UserDoc, thresholds?: SentimentThresholds): { label?: string; score?: number } {
  const sentiment = obj(obj(user.app_metadata).sentiment);
  const score = num(sentiment.score);
  const label = str(sentiment.label)?.toLowerCase() ?? (score !== undefined && thresholds ? labelOf(score, thresholds) : undefined);
  return { label, score };
}
