import type { Connection } from 'mongoose';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../lib/logger.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { PostLoginStep } from '../post-login.ts';
import type { DurableHook } from './durable-hook.ts';
import { createHookJobModel } from './hook-job.model.ts';
import { createHookMetrics } from './hook-metrics.ts';
import { createHookWorker } from './hook-worker.ts';
import { createJobQueue } from './job-queue.ts';

export interface DurableHooksDeps {
  config: Config['hooks'];
  connection: Connection;
  /** The enabled hooks (built-in ones come from createBuiltinHooks). */
  hooks: DurableHook[];
  findUser(userId: string): Promise<UserDoc | null>;
  logger: Logger;
}

export type DurableHooks = Awaited<ReturnType<typeof createDurableHooks>>;

/**
 * The durable half of post-login: a sign-in step that only queues jobs (one upsert per hook that
 * applies, no API call), and the worker that runs them in every instance.
 */
export async function createDurableHooks({ config, connection, hooks: configured, findUser, logger }: DurableHooksDeps) {
  const hooks = config.enabled ? configured : [];
  const model = createHookJobModel(connection);
  await model.init();
  const queue = createJobQueue(model, { requeueDeadAfterMs: config.worker.requeue_dead_after_ms });
  const byName = new Map(hooks.map((hook) => [hook.name, hook]));
  const metrics = createHookMetrics(hooks.map((hook) => hook.name));
  const log = logger.child({ component: 'hooks' });
  const { worker: w } = config;
  if (w.max_rate_limited_ms !== undefined) {
    log.warn('hooks.worker.max_rate_limited_ms is obsolete and ignored: a rate-limited job waits for the API however long it takes (README "Hooks"); remove it from the config file');
  }

  /** Queues the hooks that apply to this user and are enabled (a key already queued or done is skipped). */
  async function enqueueFor(user: UserDoc, candidates: DurableHook[]): Promise<void> {
    const now = new Date();
    const due = candidates.filter((hook) => metrics.isEnabled(hook.name) && hook.appliesTo(user, now));
    const queued = await Promise.all(due.map((hook) => queue.enqueue({ hook: hook.name, user_id: user.user_id, key: hook.key(user) }, now)));
    if (queued.some(Boolean)) worker.nudge();
  }

  const worker = createHookWorker({
    queue, metrics, logger: log, findUser,
    hooks: byName,
    settings: {
      pollMs: w.poll_ms, concurrency: w.concurrency, leaseMs: w.lease_ms,
      maxAttempts: w.max_attempts, baseDelayMs: w.base_delay_ms, maxDelayMs: w.max_delay_ms,
    },
    async followUp(name, user) {
      const hook = byName.get(name);
      if (hook) await enqueueFor(user, [hook]);
    },
  });

  /** Queues, for a verified address, what now applies; nothing when it is queued or done already (the job key). */
  async function queueVerified(user: UserDoc): Promise<void> {
    if (hooks.length) await enqueueFor(user, hooks);
  }

  const step: PostLoginStep = {
    name: 'durable-hooks',
    async run(user) {
      if (hooks.length) await enqueueFor(user, hooks);
    },
  };

  return {
    step,
    queue,
    /**
     * The user's address was just verified (a link, an admin, a ticket): queues what now applies, as
     * a sign-in would, right after the write. A crash in between leaves it to the next sign-in, and
     * a failure is logged; the verification stands. The mailed link does not rely on this: it awaits
     * queueVerified before it is spent, so a retry queues it.
     */
    emailVerified(user: UserDoc): void {
      queueVerified(user).catch((err: unknown) => log.warn({ err: { message: (err as Error).message }, user_id: user.user_id }, 'could not queue hooks for a newly verified email; the next sign-in will'));
    },
    queueVerified,
    /** Starts the worker when at least one hook is enabled. */
    async start(): Promise<void> {
      if (hooks.length) await worker.start();
    },
    stop: (graceMs?: number) => worker.stop(graceMs),
    /** This instance's counters per hook, and whether each hook is enabled. */
    metrics: () => worker.metrics(),
  };
}
