import Sentiment from 'sentiment';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

const afinn = new Sentiment(); // AFINN-165: words scored −5…+5
const URLS = /https?:\/\/\S+/g;

/**
 * The mean AFINN score per tweet (not the sum), so a shopper with many tweets is not "more
 * positive" than one with few; links are dropped (their words are not the shopper's).
 */
export function scoreTweets(texts: string[]): { score: number; tweets_analyzed: number } {
  if (!texts.length) return { score: 0, tweets_analyzed: 0 };
  const total = texts.reduce((sum, text) => sum + afinn.analyze(text.replace(URLS, ' ')).score, 0);
  return { score: Math.round((total / texts.length) * 100) / 100, tweets_analyzed: texts.length };
}

/**
 * Neutral between the thresholds (default −1 and +1): a single weak word (AFINN ±1, e.g. "want",
 * "no") per tweet on average does not make a shopper positive or negative.
 */
export function labelOf(score: number, { negative_below, positive_above }: { negative_below: number; positive_above: number }): SentimentLabel {
  if (score < negative_below) return 'negative';
  if (score > positive_above) return 'positive';
  return 'neutral';
}
