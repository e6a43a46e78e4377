import { z } from 'zod';
import { LIFECYCLE_STATES } from '../../insight/lifecycle/lifecycle-state.ts';
import { SENTIMENT_LABELS } from '../../reports/sentiment.report.ts';
import { ENRICHMENT_STATES } from '../../reports/overview.report.ts';

// What the report routes answer: parsed before sending, so nothing undeclared (no secret) leaves.
const isoDate = z.iso.datetime().describe('ISO 8601 date-time, UTC');
const text = z.string().nullable();
const count = z.number().int();

export const dormantUserRow = z.object({
  email: text, name: text, user_id: z.string(), connection: text.describe("The primary identity's connection."),
  created_at: isoDate, last_login: isoDate.nullable(), logins_count: count,
}).meta({ id: 'DormantUser' });

export const sentimentRow = z.object({
  handle: text.describe('The X handle, lower case, without @.'), email: text, name: text, user_id: z.string(),
  label: text.describe('negative, neutral or positive (hooks.sentiment thresholds).'),
  score: z.number().describe('Mean AFINN score per tweet (−5…+5); lower is more negative.'),
  tweets_analyzed: count.nullable(), analyzed_at: z.string().nullable().describe('When the hook analysed the tweets (ISO 8601), as stored.'),
}).meta({ id: 'SentimentUser' });

export const segmentUserRow = z.object({
  email: text, name: text, user_id: z.string(), gender: text,
  age_min: count.nullable().describe('The youngest age the known birth dates allow today.'),
  age_max: count.nullable().describe('The oldest age they allow.'),
  country: text, city: text,
  interests_matched: z.array(z.string()).describe("The user's topics that answer the filter's interests (empty when it names none)."),
  connection: text,
}).meta({ id: 'SegmentUser' });

const stateCounts = z.object(Object.fromEntries([...LIFECYCLE_STATES, 'unknown'].map((state) => [state, count])) as Record<(typeof LIFECYCLE_STATES)[number] | 'unknown', typeof count>);

export const lifecycleResponse = z.object({
  as_of: isoDate,
  total: count.describe('Users.'),
  states: stateCounts.describe('Users per lifecycle state as stored (the sweep keeps it within insight.sweep_seconds); unknown: no lifecycle computed.'),
  windows: z.object({ new_days: count, active_days: count, dormant_days: count }).describe('The lifecycle windows (config insight.lifecycle).'),
  cohorts: z.array(z.object({
    week: z.string().describe('ISO 8601 week of sign-up, e.g. 2025-W24 (Monday 00:00 UTC to the next Monday).'),
    week_start: isoDate,
    users: count.describe('Sign-ups that week.'),
    retention: z.array(z.object({
      week: count.describe('Weeks since sign-up: 0 is the 7 days from the sign-up itself, 1 the next 7, …'),
      eligible: count.describe('Members whose week `week` has begun.'),
      active: count.describe('Of those, members who signed in during it.'),
      share: z.number().describe('active / eligible (4 decimals; 0 when nobody is eligible).'),
    })),
  })).describe('Oldest cohort first; the current week last.'),
}).meta({ id: 'LifecycleReport' });

const connectionActivity = z.object({ connection: z.string(), signups: count, signins: count });

export const overviewResponse = z.object({
  as_of: isoDate,
  from: isoDate.describe('First day (UTC midnight, inclusive).'),
  to: isoDate.describe('End of the range (UTC midnight, exclusive).'),
  users_total: count,
  days: z.array(z.object({ date: z.string().describe('YYYY-MM-DD (UTC).'), signups: count, signins: count, connections: z.array(connectionActivity) }))
    .describe('Every day of the range, oldest first. A sign-in is a successful login, a sign-up that signed the user in included (as GET /stats/daily counts logins).'),
  active_users: z.object({ dau: count, wau: count, mau: count }).describe('Distinct users whose last_login is within 1, 7, 30 days (× 24 h).'),
  enrichment: z.object(Object.fromEntries([...ENRICHMENT_STATES, 'none'].map((state) => [state, count])) as Record<(typeof ENRICHMENT_STATES)[number] | 'none', typeof count>)
    .describe('FullContact: matched, no_match, pending (not checked yet); none: no FullContact state (enrichment off or no email).'),
  sentiment: z.object(Object.fromEntries([...SENTIMENT_LABELS, 'other', 'none'].map((label) => [label, count])) as Record<(typeof SENTIMENT_LABELS)[number] | 'other' | 'none', typeof count>)
    .describe('Users per sentiment label; other: another label a rule stored; none: not analysed.'),
  hook_jobs: z.array(z.object({ hook: z.string(), queued: count, retrying: count, running: count, dead: count, disabled: count }))
    .describe('Per hook with such jobs: queued (first attempt pending), retrying (pending after a failure), running, dead, disabled.'),
  events: z.object({
    outbox_unsent: count.describe('event_outbox records not confirmed by RabbitMQ yet.'),
    oldest_unsent_at: isoDate.nullable(),
    users_with_pending_events: count.describe('Users whose insight events are not in the outbox yet.'),
    pending_events: count,
    oldest_pending_at: isoDate.nullable(),
  }),
}).meta({ id: 'OverviewReport' });
