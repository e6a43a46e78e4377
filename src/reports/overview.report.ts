import type { Collection } from 'mongoose';
import type { HookJobModel } from '../hooks/jobs/hook-job.model.ts';
import type { LogModel } from '../logs/log.model.ts';
import type { UserModel } from '../users/user.model.ts';
import { countActiveUsers } from './active-users.report.ts';
import { runDailyActivity, type DailyActivity } from './daily-activity.report.ts';
import { runEventBacklog, type EventBacklog } from './event-backlog.report.ts';
import { runHookHealth, type HookHealth } from './hook-health.report.ts';
import { SENTIMENT_LABELS } from './sentiment.report.ts';

const DAY_MS = 86_400_000;
export const ENRICHMENT_STATES = ['matched', 'no_match', 'pending'] as const;

export interface Overview {
  users_total: number;
  days: DailyActivity[];
  /** Distinct users whose last sign-in is within 1, 7 and 30 days (× 24 h) of now. */
  active_users: { dau: number; wau: number; mau: number };
  /** facts.enrichment; `none`: no FullContact state (enrichment off, or no email). */
  enrichment: Record<(typeof ENRICHMENT_STATES)[number] | 'none', number>;
  /** facts.sentiment_label; `other`: a label a rule wrote in other words; `none`: not analysed. */
  sentiment: Record<(typeof SENTIMENT_LABELS)[number] | 'other' | 'none', number>;
  hook_jobs: HookHealth[];
  events: EventBacklog;
}

export interface OverviewSources { users: UserModel; logs: LogModel; hookJobs: HookJobModel; outbox: Collection }

/** Counts of one field's values through its index, plus how many users have the field at all. */
async function countValues<V extends string>(users: UserModel, path: string, values: readonly V[]): Promise<{ counts: Record<V, number>; present: number }> {
  const [present, ...counts] = await Promise.all([
    users.collection.countDocuments({ [path]: { $exists: true } }),
    ...values.map((value) => users.collection.countDocuments({ [path]: value })),
  ]);
  return { counts: Object.fromEntries(values.map((value, i) => [value, counts[i]])) as Record<V, number>, present };
}

type State = 'enrichment' | 'sentiment_label';
type Later = { _id: Partial<Record<State, string | null>>; users: number };

/**
 * The sign-ups at or after `now`, the answer's as_of (a few seconds' worth, through the created_at
 * index), by their enrichment and sentiment states: users_total leaves them out, so the states'
 * counts must too. Else one signing up in those seconds is `pending`, and `none` (users_total less
 * those with a state) one smaller, below zero when every user has a state.
 */
function signedUpSince(users: UserModel, now: Date): Promise<Later[]> {
  return users.collection.aggregate<Later>([
    { $match: { created_at: { $gte: now } } },
    { $group: { _id: { enrichment: '$facts.enrichment', sentiment_label: '$facts.sentiment_label' }, users: { $sum: 1 } } },
  ]).toArray();
}

/** The counts of one state less the later sign-ups'. */
function upTo<V extends string>({ counts, present }: { counts: Record<V, number>; present: number }, later: Later[], state: State) {
  const laterWith = (holds: (value: string | null | undefined) => boolean) => later.filter((g) => holds(g._id[state])).reduce((sum, g) => sum + g.users, 0);
  return {
    counts: Object.fromEntries(Object.entries<number>(counts).map(([value, n]) => [value, n - laterWith((v) => v === value)])) as Record<V, number>,
    present: present - laterWith((v) => v !== undefined && v !== null),
  };
}

/**
 * What the dashboard draws, each figure from an index count or an aggregation that returns counts
 * (never users): users, sign-ups and sign-ins per day and connection over [from, to) (UTC
 * midnights), DAU/WAU/MAU, enrichment coverage, sentiment, hook-job health and the event backlog.
 * Users and sign-ins are counted up to `now`, the answer's as_of: the dashboard replays the sign-ins
 * after it onto these counts, so each is counted once.
 */
export async function runOverview(sources: OverviewSources, { from, to }: { from: Date; to: Date }, now: Date): Promise<Overview> {
  const { users } = sources;
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const [all, later, days, dau, wau, mau, enrichmentOfAll, sentimentOfAll, hook_jobs, events] = await Promise.all([
    users.collection.countDocuments({}),
    signedUpSince(users, now),
    runDailyActivity(sources.logs, from, to, now),
    countActiveUsers(users, ago(1)), countActiveUsers(users, ago(7)), countActiveUsers(users, ago(30)),
    countValues(users, 'facts.enrichment', ENRICHMENT_STATES),
    countValues(users, 'facts.sentiment_label', SENTIMENT_LABELS),
    runHookHealth(sources.hookJobs),
    runEventBacklog(sources.outbox, users, now),
  ]);
  const users_total = all - later.reduce((sum, g) => sum + g.users, 0);
  const enrichment = upTo(enrichmentOfAll, later, 'enrichment');
  const sentiment = upTo(sentimentOfAll, later, 'sentiment_label');
  const labelled = SENTIMENT_LABELS.reduce((sum, label) => sum + sentiment.counts[label], 0);
  return {
    users_total, days, active_users: { dau, wau, mau },
    enrichment: { ...enrichment.counts, none: users_total - enrichment.present },
    sentiment: { ...sentiment.counts, other: sentiment.present - labelled, none: users_total - sentiment.present },
    hook_jobs, events,
  };
}
