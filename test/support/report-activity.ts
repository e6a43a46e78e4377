import type { UserDoc } from '../../src/users/user.model.ts';

/**
 * What the overview counts besides users, made from the seeded users so the numbers hang
 * together: their log events (sign-ups, sign-ins, and events that must not count), hook jobs in
 * every state, outbox records (sent, unsent, expired) and pending insight events. And the plain
 * JavaScript reading of the overview over all of it.
 */
const DAY = 86_400_000;

export interface LogEvent { log_id: string; date: Date; type: string; connection?: string; user_id: string; details: Record<string, unknown> }

export function logEventsOf(users: UserDoc[]): LogEvent[] {
  const events: LogEvent[] = [];
  users.forEach((u, i) => {
    const connection = u.identities[0].connection;
    const verifyFirst = u.logins_count === 0;
    events.push({ log_id: `ss-${i}`, date: u.created_at, type: 'ss', connection, user_id: u.user_id, details: verifyFirst ? { signed_in: false } : {} });
    if (u.last_login && u.last_login.getTime() !== u.created_at.getTime() + 60_000) events.push({ log_id: `s-${i}`, date: u.last_login, type: 's', connection, user_id: u.user_id, details: {} });
    if (i % 5 === 0) events.push({ log_id: `fp-${i}`, date: u.created_at, type: 'fp', connection, user_id: u.user_id, details: {} });
    if (i % 7 === 0) events.push({ log_id: `slo-${i}`, date: u.created_at, type: 'slo', user_id: u.user_id, details: {} });
  });
  // A sign-in from an imported log without a connection.
  events.push({ log_id: 's-imported', date: users[0].created_at, type: 's', user_id: users[0].user_id, details: {} });
  return events;
}

export function hookJobsOf(users: UserDoc[], now: Date) {
  // Beside each state: a job waiting out a rate limit (its attempts uncounted) and a dead job a later sign-in superseded.
  const states = [['fullcontact', 'pending', 0], ['fullcontact', 'pending', 2], ['fullcontact', 'running', 1], ['fullcontact', 'done', 1], ['sentiment', 'dead', 5],
    ['sentiment', 'pending', 0], ['sentiment', 'disabled', 1], ['sentiment', 'done', 1], ['fullcontact', 'dead', 3],
    ['sentiment', 'pending', 0, { rate_limited: 3 }], ['fullcontact', 'dead', 16, { superseded_at: now }]] as const;
  return users.slice(0, 40).map((u, i) => {
    const [hook, state, attempts, extra] = states[i % states.length];
    return { hook, user_id: u.user_id, key: `${hook}:${u.user_id}:${i}`, state, attempts, run_after: now, created_at: now, updated_at: now, ...extra } as
      { hook: string; user_id: string; key: string; state: string; attempts: number; run_after: Date; created_at: Date; updated_at: Date; rate_limited?: number; superseded_at?: Date };
  });
}

export function outboxOf(now: Date) {
  const at = (days: number) => new Date(now.getTime() - days * DAY);
  const record = (id: string, state: string, created: number, expires: number | undefined) => ({
    _id: id, state, event: { log_id: id }, created_at: at(created), attempts: 0, claimed_until: new Date(0), ...(expires === undefined ? {} : { expires_at: at(-expires) }),
  });
  return [
    record('o1', 'ready', 2, 5), record('o2', 'new', 1, 6), record('o3', 'ready', 0.5, undefined),
    record('o4', 'sent', 3, 7), record('o5', 'ready', 9, -1), // sent; expired (TTL not run yet): neither counts
  ];
}

/** Pending insight events on a few users (the relay not caught up). */
export function withPendingEvents(users: UserDoc[], now: Date): UserDoc[] {
  return users.map((u, i) => (i % 31 === 3 ? { ...u, pending_events: Array.from({ length: 1 + (i % 3) }, (_, k) => ({ id: `pe${i}-${k}`, type: 'lifecycle.new', at: new Date(now.getTime() - (i + 10 - k) * 60_000), data: {} })) } : u));
}

type Job = ReturnType<typeof hookJobsOf>[number];
type Outbox = ReturnType<typeof outboxOf>[number];

export function expectedOverview(users: UserDoc[], logs: LogEvent[], jobs: Job[], outbox: Outbox[], { from, to }: { from: Date; to: Date }, now: Date) {
  const days = [];
  for (let t = from.getTime(); t < to.getTime(); t += DAY) {
    const date = new Date(t).toISOString().slice(0, 10);
    const ofDay = logs.filter((e) => e.date.toISOString().slice(0, 10) === date && (e.type === 's' || e.type === 'ss'));
    const names = [...new Set(ofDay.map((e) => e.connection ?? 'unknown'))].sort();
    const count = (list: LogEvent[]) => ({ signups: list.filter((e) => e.type === 'ss').length, signins: list.filter((e) => e.type === 's' || e.details.signed_in !== false).length });
    days.push({ date, ...count(ofDay), connections: names.map((connection) => ({ connection, ...count(ofDay.filter((e) => (e.connection ?? 'unknown') === connection)) })) });
  }
  const within = (n: number) => users.filter((u) => u.last_login && u.last_login.getTime() >= now.getTime() - n * DAY).length;
  const facts = (key: 'enrichment' | 'sentiment_label', value?: string) => users.filter((u) => (value === undefined ? u.facts?.[key] === undefined : u.facts?.[key] === value)).length;
  const hooks = [...new Set(jobs.filter((j) => j.state !== 'done').map((j) => j.hook))].sort().map((hook) => {
    const of = (test: (j: Job) => boolean) => jobs.filter((j) => j.hook === hook && test(j)).length;
    const waited = (j: Job) => j.attempts > 0 || (j.rate_limited ?? 0) > 0;
    return { hook, queued: of((j) => j.state === 'pending' && !waited(j)), retrying: of((j) => j.state === 'pending' && waited(j)), running: of((j) => j.state === 'running'), dead: of((j) => j.state === 'dead' && !j.superseded_at), disabled: of((j) => j.state === 'disabled') };
  });
  const unsent = outbox.filter((o) => o.state !== 'sent' && (!o.expires_at || o.expires_at > now));
  const pending = users.filter((u) => u.pending_events?.length);
  const firsts = pending.map((u) => u.pending_events![0].at.getTime());
  return {
    users_total: users.length, days, active_users: { dau: within(1), wau: within(7), mau: within(30) },
    enrichment: { matched: facts('enrichment', 'matched'), no_match: facts('enrichment', 'no_match'), pending: facts('enrichment', 'pending'), none: facts('enrichment') },
    sentiment: { negative: facts('sentiment_label', 'negative'), neutral: facts('sentiment_label', 'neutral'), positive: facts('sentiment_label', 'positive'), other: 0, none: facts('sentiment_label') },
    hook_jobs: hooks,
    events: {
      outbox_unsent: unsent.length, oldest_unsent_at: unsent.length ? new Date(Math.min(...unsent.map((o) => o.created_at.getTime()))) : null,
      users_with_pending_events: pending.length, pending_events: pending.reduce((sum, u) => sum + u.pending_events!.length, 0),
      oldest_pending_at: firsts.length ? new Date(Math.min(...firsts)) : null,
    },
  };
}
