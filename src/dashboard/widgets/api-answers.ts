// The Management API's answers as the dashboard reads them (the OpenAPI document describes each).
export interface ConnectionDay { connection: string; signups: number; signins: number }
export interface OverviewAnswer {
  as_of: string; from: string; to: string; users_total: number;
  days: { date: string; signups: number; signins: number; connections: ConnectionDay[] }[];
  active_users: { dau: number; wau: number; mau: number };
  enrichment: Record<'matched' | 'no_match' | 'pending' | 'none', number>;
  sentiment: Record<'negative' | 'neutral' | 'positive' | 'other' | 'none', number>;
  hook_jobs: { hook: string; queued: number; retrying: number; running: number; dead: number; disabled: number }[];
  events: { outbox_unsent: number; oldest_unsent_at: string | null; users_with_pending_events: number; pending_events: number; oldest_pending_at: string | null };
}
export interface LifecycleAnswer {
  as_of: string; total: number; states: Record<string, number>; windows: { new_days: number; active_days: number; dormant_days: number };
  cohorts: { week: string; week_start: string; users: number; retention: { week: number; eligible: number; active: number; share: number }[] }[];
}
export interface DormantSummaryAnswer { as_of: string; mode: string; days: number; total: number; weeks: { week: string; week_start: string; users: number }[]; earlier: number }
export interface DormantRow { email: string | null; name: string | null; user_id: string; connection: string | null; created_at: string; last_login: string | null; logins_count: number }
export interface SentimentRow { handle: string | null; email: string | null; name: string | null; user_id: string; label: string | null; score: number; tweets_analyzed: number | null; analyzed_at: string | null }
export interface ValueCount { value: string; count: number }
export interface DemographicsAnswer {
  as_of: string; population: string; users: number; age: { bucket: string; count: number }[]; gender: ValueCount[]; country: ValueCount[];
  topics: { topic: string; users: number }[]; interest_keys: { key: string; users: number }[];
}
export interface SegmentAnswer {
  id: string; key: string; name: string; description?: string; type: 'dynamic' | 'static'; filter?: Record<string, unknown>; filter_text?: string;
  count: number; is_calculating: boolean; last_calculated_at?: string; error?: string;
  recent: { entered: number; exited: number; since: string }; created_at: string; updated_at: string;
}
export interface PreviewAnswer {
  count: number; description: string; sample: { user_id: string; email?: string; name?: string }[];
  breakdown: { age: { bucket: string; count: number }[]; gender: ValueCount[]; country: ValueCount[]; connection: ValueCount[] };
}
