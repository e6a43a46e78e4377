import { z } from 'zod';

/**
 * The lifecycle's windows, in days of 24 hours (config `insight.lifecycle`). active_days may not
 * exceed dormant_days: between them a returning shopper is `lapsing` (no longer active, not yet
 * dormant); set them equal to go straight from active to dormant. new_days is independent of both.
 */
export const lifecycleWindowsSchema = z.object({
  new_days: z.number().int().min(1).max(3650).default(14).describe('A sign-up is `new` this long; not back by then: `never_returned`.'),
  active_days: z.number().int().min(1).max(3650).default(30).describe('Signed in within this many days: `active`; also how long `reactivated` lasts.'),
  dormant_days: z.number().int().min(1).max(3650).default(90).describe('Not signed in for this many days: `dormant`.'),
}).strict().prefault({}).refine((w) => w.active_days <= w.dormant_days, {
  path: ['active_days'], message: 'must not exceed dormant_days (a shopper cannot be dormant while still active)',
});

export type LifecycleWindows = z.infer<typeof lifecycleWindowsSchema>;

const DAY_MS = 86_400_000;

export function afterDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * DAY_MS);
}
