import type mongoose from 'mongoose';
import { SuiteFullContact } from './fake-apis.ts';
import type { Attempt } from './load.ts';
import type { Shopper } from './shopper-flows.ts';
import type { Suite } from './suite.ts';

/**
 * "Nothing lost, nothing done twice": what the load generator did, reconciled with what MongoDB,
 * RabbitMQ and the fake APIs hold. Exact equalities where insole promises them; where a crash can
 * repeat work (at-least-once), a repetition must be explained by the crash, or the check fails.
 */
export interface Check { name: string; ok: boolean; detail: string }
export interface AuditResult { checks: Check[]; figures: Record<string, number | string> }

/** Work that may legitimately have been done twice: jobs running on an instance killed with -9, or while the database was away. */
export interface CrashWindow { jobIds: Set<string> }

interface UserRow { user_id: string; email?: string; email_verified?: boolean; logins_count?: number; created_at?: unknown; identities?: { provider: string; profileData?: { screen_name?: string } }[]; app_metadata?: { fullcontact?: { status?: string }; sentiment_initialized?: boolean } }

const count = <T>(items: T[], key: (item: T) => string) => items.reduce((m, item) => m.set(key(item), (m.get(key(item)) ?? 0) + 1), new Map<string, number>());
const sample = (items: string[]) => (items.length ? `${items.length}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}` : 'none');

export async function audit(suite: Suite, attempts: Attempt[], shoppers: Shopper[], crash: CrashWindow): Promise<AuditResult> {
  const db = suite.mongo.db!;
  const checks: Check[] = [];
  const check = (name: string, failures: string[], detail = '') => checks.push({ name, ok: failures.length === 0, detail: failures.length ? `failures ${sample(failures)}` : detail });

  const users = await db.collection<UserRow>('users').find({}, { projection: { user_id: 1, email: 1, email_verified: 1, logins_count: 1, created_at: 1, identities: 1, app_metadata: 1 } }).toArray();
  const logs = await db.collection<{ log_id: string; type: string; user_id?: string }>('logs').find({}, { projection: { log_id: 1, type: 1, user_id: 1 } }).toArray();
  const outbox = await db.collection<{ _id: string; state: string; attempts: number }>('event_outbox').find({}, { projection: { state: 1, attempts: 1 } }).toArray();
  const jobs = await db.collection<{ _id: mongoose.Types.ObjectId; hook: string; user_id: string; state: string; attempts: number }>('hook_jobs').find({}).toArray();

  // Users: one per shopper who got in, complete, and none nobody asked for.
  const byEmail = new Map(users.map((u) => [u.email, u]));
  const wanted = shoppers.filter((s) => s.userId);
  check('every shopper who finished a sign-in has exactly their user', wanted.filter((s) => byEmail.get(s.email)?.user_id !== s.userId).map((s) => s.email), `${wanted.length} users`);
  const emails = new Set(shoppers.map((s) => s.email));
  check('no user that no shopper signed up for', users.filter((u) => !emails.has(u.email!)).map((u) => u.user_id));
  check('no shopper has two users', [...count(users, (u) => u.email ?? u.user_id)].filter(([, n]) => n > 1).map(([e]) => e));
  check('every user is whole (id, email, identity, dates, login count)', users.filter((u) => !u.user_id || !u.email || !u.identities?.length || !(u.created_at instanceof Date) || !(u.logins_count! >= 1)).map((u) => u.user_id));

  // Logs: each login counted on the user is one log event, and one sign-up each.
  const loginLogs = count(logs.filter((l) => l.type === 's' || l.type === 'ss'), (l) => l.user_id ?? '');
  const signups = count(logs.filter((l) => l.type === 'ss'), (l) => l.user_id ?? '');
  check('logins_count equals the s + ss log events of each user', users.filter((u) => (loginLogs.get(u.user_id) ?? 0) !== u.logins_count).map((u) => `${u.user_id} ${u.logins_count}≠${loginLogs.get(u.user_id) ?? 0}`));
  check('exactly one sign-up (ss) event per user', users.filter((u) => signups.get(u.user_id) !== 1).map((u) => `${u.user_id}×${signups.get(u.user_id) ?? 0}`));
  const tries = count(attempts, (a) => a.shopper.key);
  const wins = count(attempts.filter((a) => a.ok), (a) => a.shopper.key);
  check('each shopper: completed sign-ins ≤ login events ≤ attempts', wanted.filter((s) => {
    const events = loginLogs.get(s.userId!) ?? 0;
    return events < (wins.get(s.key) ?? 0) || events > (tries.get(s.key) ?? 0);
  }).map((s) => s.email));
  const types = count(logs, (l) => l.type);
  check('no failed-login events (shoppers use their right passwords)', ['f', 'fp', 'fu', 'limit_wc'].filter((t) => types.has(t)).map((t) => `${t}×${types.get(t)}`));

  // Events: every log event and insight event reached the consumer; duplicates only after a republish.
  const arrivals = suite.counter.arrivals;
  const records = new Map(outbox.map((r) => [r._id, r]));
  check('every log event reached RabbitMQ', logs.filter((l) => !arrivals.has(l.log_id)).map((l) => `${l.type} ${l.log_id}`), `${logs.length} log events`);
  check('every outbox record was confirmed and received', outbox.filter((r) => r.state !== 'sent' || !arrivals.has(r._id)).map((r) => `${r._id} ${r.state}`), `${outbox.length} records`);
  check('nothing arrived that insole did not write', [...arrivals.keys()].filter((id) => !records.has(id)));
  const duplicates = [...arrivals].filter(([, n]) => n > 1);
  check('every duplicate was published again after a lease ran out or a confirm was lost', duplicates.filter(([id]) => (records.get(id)?.attempts ?? 0) < 2).map(([id, n]) => `${id}×${n}`));

  // Addresses: a password shopper's is verified exactly when they confirmed the mailed link (a lost
  // answer to the confirmation included: email-confirmation.ts), whatever fault it met on the way.
  const verified = (u: UserRow) => u.email_verified === true;
  const shopperOf = new Map(shoppers.map((s) => [s.email, s]));
  const confirmed = (s: Shopper) => s.confirmation?.outcome === 'confirmed' || s.confirmation?.outcome === 'answer lost';
  const confirmations = shoppers.filter((s) => s.confirmation);
  check('every password shopper who set out to confirm the mailed link got there', confirmations.filter((s) => !confirmed(s)).map((s) => `${s.email} ${s.confirmation!.outcome}`), `${confirmations.length} confirmations`);
  check('a password shopper\'s address is verified exactly when they confirmed it', users.filter((u) => { const s = shopperOf.get(u.email!); return s?.connection === 'password' && verified(u) !== confirmed(s); }).map((u) => `${u.email} ${u.email_verified}`));

  // Hook jobs: each done once, none left behind. FullContact looks up only a verified email (queued
  // when a confirmation verifies it, or at the sign-in of a user created verified: Google vouches).
  const expectedHandle = (u: UserRow) => u.identities?.find((i) => i.provider === 'twitter')?.profileData?.screen_name?.toLowerCase()
    ?? (verified(u) && u.email && SuiteFullContact.knows(u.email) ? SuiteFullContact.handleFor(u.email) : undefined);
  const jobsOf = count(jobs, (j) => `${j.hook} ${j.user_id}`);
  check('one FullContact job per verified user, done; none for the others', users.filter((u) => (jobsOf.get(`fullcontact ${u.user_id}`) ?? 0) !== (verified(u) ? 1 : 0)).map((u) => u.user_id),
    `${users.filter(verified).length} of ${users.length} verified`);
  check('one sentiment job per user with an X handle, none for the others', users.filter((u) => (jobsOf.get(`sentiment ${u.user_id}`) ?? 0) !== (expectedHandle(u) ? 1 : 0)).map((u) => u.user_id));
  check('no job pending, running, dead or disabled', jobs.filter((j) => j.state !== 'done').map((j) => `${j.hook} ${j.user_id} ${j.state}`), `${jobs.length} jobs`);
  check('their results are on the profiles', users.filter((u) => Boolean(u.app_metadata?.fullcontact?.status) !== verified(u) || (expectedHandle(u) && u.app_metadata?.sentiment_initialized !== true)).map((u) => u.user_id));

  // API effects at the fakes: once per user, a repetition only for a job the crash interrupted.
  const explained = (hook: string, user: UserRow) => jobs.some((j) => j.hook === hook && j.user_id === user.user_id && crash.jobIds.has(String(j._id)));
  const fc = suite.fullcontact.effects;
  check('FullContact answered each verified user once, no other', users.filter((u) => { const n = fc.get(u.email!.toLowerCase()) ?? 0; return verified(u) ? n < 1 || (n > 1 && !explained('fullcontact', u)) : n > 0; }).map((u) => `${u.email}×${fc.get(u.email!.toLowerCase()) ?? 0}`));
  check('X answered each handle once', users.filter((u) => { const h = expectedHandle(u); const n = h ? suite.x.effects.get(h) ?? 0 : 0; return h ? n < 1 || (n > 1 && !explained('sentiment', u)) : false; }).map((u) => expectedHandle(u)!));

  // Tokens: every completed sign-in's tokens verified at the storefront (ok means verified); refresh tokens stored for them.
  const ok = attempts.filter((a) => a.ok);
  const exchanges = attempts.filter((a) => a.steps.some((s) => s.path.endsWith('/oauth/token')));
  const refresh = await db.collection('oidc_flow').countDocuments({ model: 'RefreshToken' });
  check('refresh tokens: completed sign-ins ≤ stored ≤ code exchanges made', refresh < ok.length || refresh > exchanges.length ? [`${refresh} stored, ${ok.length} completed, ${exchanges.length} exchanges`] : [], `${refresh} stored`);

  const figures: Record<string, number | string> = {
    users: users.length, 'log events': logs.length, 'outbox records': outbox.length, 'events received': [...arrivals.values()].reduce((a, b) => a + b, 0),
    'duplicate events': duplicates.reduce((sum, [, n]) => sum + n - 1, 0), 'broker redeliveries (ours)': suite.counter.redeliveries(),
    'addresses confirmed by the link': confirmations.filter(confirmed).length, 'sv events': types.get('sv') ?? 0,
    'hook jobs': jobs.length, 'job attempts > 1': jobs.filter((j) => j.attempts > 1).length,
    'FullContact effects': [...fc.values()].reduce((a, b) => a + b, 0), 'X effects': [...suite.x.effects.values()].reduce((a, b) => a + b, 0),
    'tokens verified': ok.length, 'refresh tokens stored': refresh, 'signing keys used': [...count(ok, (a) => a.kid ?? '?')].map(([k, n]) => `${k.slice(0, 8)}×${n}`).join(' '),
  };
  return { checks, figures };
}
