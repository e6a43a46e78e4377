import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { createBuiltinHooks } from './builtin/builtin-hooks.ts';
import { createDurableHooks, type DurableHooks } from './jobs/durable-hooks.ts';
import { createPostLogin, type PostLogin } from './post-login.ts';
import { createMetadataStore } from './rules/metadata-store.ts';
import { createRulesStep } from './rules/rules.step.ts';

export type HooksArea = Area & { postLogin: PostLogin; durableHooks: DurableHooks };

/** After every sign-in: Auth0-style rules inline, then the durable hooks queued for the worker (their metrics: http/metrics.area.ts). */
export async function createHooksArea({ config, connection, changes, users, logs, logger, http }: Core): Promise<HooksArea> {
  const durableHooks = await createDurableHooks({
    config: config.hooks, connection, hooks: createBuiltinHooks(config.hooks, changes, http), findUser: users.findByUserId, logger,
  });
  const rules = createRulesStep({ rules: config.rules, issuer: config.issuer, logger, logs, http, metadata: createMetadataStore(changes) });
  return {
    durableHooks,
    postLogin: createPostLogin([rules, durableHooks.step], logger),
    start: () => durableHooks.start(),
    stop: (graceMs) => durableHooks.stop(graceMs), // claims no more; in-flight attempts get the grace
  };
}
