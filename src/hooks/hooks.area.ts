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
  // Enrichment waits for a verified email (fullcontact.hook.ts): an address verified outside a sign-in queues it then.
  changes.onWrite((_userId, before, after) => {
    if (before && before.email_verified !== true && after.email_verified === true) durableHooks.emailVerified(after);
  });
  const rules = createRulesStep({ rules: config.rules, issuer: config.issuer, logger, logs, http, metadata: createMetadataStore(changes) });
  return {
    durableHooks,
    postLogin: createPostLogin([rules, durableHooks.step], logger),
    start: () => durableHooks.start(),
    stop: (graceMs) => durableHooks.stop(graceMs), // claims no more; in-flight attempts get the grace
  };
}
