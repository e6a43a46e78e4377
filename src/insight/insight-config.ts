import { z } from 'zod';
import { interestVocabularySchema } from './facts/interest-vocabulary.ts';
import { lifecycleWindowsSchema } from './lifecycle/lifecycle-windows.ts';

/** Config `insight`: the interest vocabulary facts are matched against, and the lifecycle windows. */
export const insightConfigSchema = z.object({
  interests: interestVocabularySchema,
  lifecycle: lifecycleWindowsSchema,
}).strict().prefault({});

export type InsightConfig = z.infer<typeof insightConfigSchema>;
