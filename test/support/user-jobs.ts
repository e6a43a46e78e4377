import { gunzipSync } from 'node:zlib';
import type mongoose from 'mongoose';
import { newPasswordUser } from '../../src/users/password-user.ts';
import type { UserDoc } from '../../src/users/user.model.ts';
import { until } from './hooks.ts';
import type { TestInsole } from './insole.ts';
import { api } from './management.ts';

type Insole = Pick<TestInsole, 'issuer'>;

export interface JobView {
  id: string; type: string; status: string; location?: string; summary?: { failed: number; updated: number; inserted: number; total: number };
  [key: string]: unknown;
}

/** POST /jobs/users-imports as Auth0's SDKs send it: multipart, the file as the `users` part. */
export async function postImport(insole: Insole, token: string | undefined, file: string, fields: Record<string, string> = { connection_id: 'Username-Password-Authentication' }) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('users', new Blob([file], { type: 'application/json' }), 'users.json');
  const res = await fetch(`${insole.issuer}/api/v2/jobs/users-imports`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {}, body: form });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * Admin API settings for jobs tests: workers that look often, and a rate limit that polling
 * clients do not reach (the limit has its own tests).
 */
export const JOBS_SETTINGS = (jobs: Record<string, unknown> = {}) => ({ rate_limit: { requests: 1000 }, jobs: { poll_ms: 50, ...jobs } });

/**
 * Polls GET /jobs/{id} until the job has ended. A 503 (the database's heartbeat lagging on a busy
 * dev server) or a 429 is answered as a client should: by asking again.
 */
export async function finishedJob(insole: Insole, token: string, id: string, boundMs = 90_000): Promise<JobView> {
  return until(`job ${id} to end`, async () => {
    const { status, body } = await api(insole, token, 'GET', `/jobs/${id}`);
    if (status === 503 || status === 429) return undefined;
    if (status !== 200) throw new Error(`GET /jobs/${id}: HTTP ${status} ${JSON.stringify(body)}`);
    return body.status === 'completed' || body.status === 'failed' ? body as JobView : undefined;
  }, boundMs);
}

/** Fetches an export's `location` (no token: the link is signed) and returns the file's text. */
export async function download(location: string): Promise<{ status: number; text?: string; headers: Headers }> {
  const res = await fetch(location);
  if (res.status !== 200) return { status: res.status, headers: res.headers };
  return { status: 200, text: gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8'), headers: res.headers };
}

/** Runs an export through the API and returns the file's lines. */
export async function exportThroughApi(insole: Insole, token: string, body: Record<string, unknown>): Promise<{ job: JobView; text: string }> {
  const created = await api(insole, token, 'POST', '/jobs/users-exports', body);
  if (created.status !== 201) throw new Error(`export not created: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  const job = await finishedJob(insole, token, created.body.id);
  if (job.status !== 'completed' || !job.location) throw new Error(`export ended ${job.status}: ${JSON.stringify(job)}`);
  const file = await download(job.location);
  if (file.status !== 200) throw new Error(`download: HTTP ${file.status}`);
  return { job, text: file.text! };
}

/** A database-connection user as insole stores it, for seeding without the API. */
export function seededUser(n: number, extra: Partial<UserDoc> = {}): UserDoc {
  const user = newPasswordUser({ email: `shopper${n}@innovashoes.example`, password_hash: undefined, email_verified: false, now: new Date(Date.UTC(2024, 0, 1) + n * 1000), id: `seed${n}` });
  return { ...user, ...extra };
}

/** One seeded user, verified unless `extra` says otherwise, inserted without the API. */
export async function seedVerifiedUser(db: mongoose.mongo.Db, n: number, extra: Partial<UserDoc> = {}): Promise<UserDoc> {
  const user = seededUser(n, { email_verified: true, ...extra });
  await db.collection('users').insertOne(user as never);
  return user;
}

/** insertMany in batches, as a migration would load a big tenant. */
export async function seedUsers(db: mongoose.mongo.Db, count: number, make: (n: number) => UserDoc = (n) => seededUser(n), batch = 5_000): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const docs = Array.from({ length: Math.min(batch, count - start) }, (_, i) => make(start + i));
    await db.collection('users').insertMany(docs as never[], { ordered: false });
  }
}
