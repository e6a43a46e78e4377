import { z } from 'zod';
import { interestVocabularySchema } from './facts/interest-vocabulary.ts';
import { lifecycleWindowsSchema } from './lifecycle/lifecycle-windows.ts';

/** Config `insight`: the interest vocabulary facts are matched against, and the lifecycle windows. */
export const insightConfigSchema = z.object({
  interests: interestVocabularySchema,
  lifecycle: lifecycleWindowsSchema,
  sweep_seconds: z.number().int().min(5).max(86_400).default(300)
    .describe('How often one instance brings lifecycles and time-based segments up to date (time alone moves shoppers on).'),
  segment_refresh_seconds: z.number().int().min(1).max(3600).default(5).describe('How often each instance re-reads the saved segments (changes made on this instance apply at once).'),
  events_poll_ms: z.number().int().min(50).default(1000).describe('How often insight events stored with user writes are moved to the event outbox (a local write moves them at once).'),
}).strict().prefault({});

export type InsightConfig = z.infer<typeof insightConfigSchema>;
