import type { FakeFullContact } from '../fakes/fake-fullcontact.ts';
import type { FakeSentimentService } from '../fakes/fake-sentiment.ts';
import type { FakeXApi } from '../fakes/fake-x-api.ts';
import type { TestInsole } from './insole.ts';
import { usersOf } from './social-steps.ts';

/**
 * insole's `hooks` settings pointed at fake APIs, with a fast worker: polls every 50 ms and backs
 * off from 50 ms (capped at 400 ms), so retries happen within a test. Hooks without a fake are off.
 * Each attempt's budget (timeout_ms) is a wall-clock deadline that a loaded machine can overrun
 * without anything being wrong: at 2 s, two attempts in jobs.test.ts's two-instance test took
 * 2.25 and 2.32 s under load and were retried (attempts 2). So it is far above what an attempt
 * against a loopback fake takes; a test about the budget itself sets its own (enrichment.test.ts).
 */
const HOOK_BUDGET_MS = 20_000;
export function hookSettings(fakes: { fullcontact?: FakeFullContact; sentiment?: FakeSentimentService; x?: FakeXApi }, tweak: { worker?: object; fullcontact?: object; sentiment?: object } = {}) {
  const { fullcontact, sentiment, x } = fakes;
  return {
    hooks: {
      worker: { poll_ms: 50, base_delay_ms: 50, max_delay_ms: 400, ...tweak.worker },
      fullcontact: fullcontact
        ? { api_key: fullcontact.apiKey, base_url: fullcontact.url, timeout_ms: HOOK_BUDGET_MS, ...tweak.fullcontact }
        : { enabled: false },
      sentiment: sentiment
        ? { mode: 'remote', remote_url: sentiment.endpoint, secret: sentiment.secret, timeout_ms: HOOK_BUDGET_MS, ...tweak.sentiment }
        : x
          ? { mode: 'builtin', x_bearer_token: x.bearerToken, x_base_url: x.url, timeout_ms: HOOK_BUDGET_MS, ...tweak.sentiment }
          : { enabled: false },
    },
  };
}

/**
 * Polls `probe` until it returns something truthy. A bound on waiting for background work, not
 * an assertion about speed: the bound is generous and only turns a hang into a readable failure.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, boundMs = 20_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`still waiting after ${boundMs} ms for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const jobsOf = (insole: TestInsole) => insole.db.collection('hook_jobs');

export async function userByEmail(insole: TestInsole, email: string) {
  return usersOf(insole).findOne({ email });
}

/** The jobs of one user and hook, oldest first. */
export async function jobsFor(insole: TestInsole, userId: string, hook: string) {
  return jobsOf(insole).find({ user_id: userId, hook }).sort({ created_at: 1 }).toArray();
}

/** Resolves once the user has no job of `hook` that is pending or running, and at least one job of it exists. */
export function settled(insole: TestInsole, userId: string, hook: string) {
  return until(`${hook} jobs of ${userId} to settle`, async () => {
    const jobs = await jobsFor(insole, userId, hook);
    return jobs.length > 0 && jobs.every((j) => j.state !== 'pending' && j.state !== 'running') && jobs;
  });
}

let serial = 0;
/** A new shopper's credentials (distinct per call, per process). */
export function newShopper(tag: string) {
  return { email: `${tag}.${process.pid}.${Date.now().toString(36)}.${++serial}@innovashoes.example`, password: `tempo run ${tag} number ${serial} uphill` };
}
