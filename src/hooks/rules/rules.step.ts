import type { Config } from '../../config/schema.ts';
import type { OutboundHttp } from '../../integrations/http-dispatcher.ts';
import type { Logger } from '../../lib/logger.ts';
import type { LogService } from '../../logs/log.service.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { LoginContext, PostLoginOutcome, PostLoginStep } from '../post-login.ts';
import { createMetadataWrites, type MetadataStore } from './metadata-store.ts';
import { loadRuleFiles, type RuleFile } from './rule-files.ts';
import type { RuleEnvironment } from './rule-globals.ts';
import { runRule, type RuleResult, type RuleState } from './rule-runner.ts';
import { copyState, namespacedClaims, strategyOf, toRuleContext, toRuleUser } from './rule-payload.ts';

/** What the shopper reads when a critical rule could not run: the reason is for the logs only. */
export const CRITICAL_RULE_MESSAGE = 'We could not complete your sign-in right now. Please try again in a few minutes.';

export interface RulesStepDeps {
  rules: Config['rules'];
  issuer: string;
  logger: Logger;
  logs: Pick<LogService, 'record'>;
  /** The rules' `request` goes out through insole's dispatcher. */
  http: OutboundHttp;
  metadata: MetadataStore;
}

/**
 * Auth0-compatible rules as a post-login step: the rule files run in name order, each with its own
 * budget inside the pipeline's. A rule that fails or runs out of time is logged and skipped,
 * unless it is critical; `callback(new UnauthorizedError(msg))` denies. Metadata updates are
 * written once at the end; namespaced claims go to the tokens of this sign-in.
 */
export function createRulesStep({ rules: config, issuer, logger, logs, http, metadata }: RulesStepDeps): PostLoginStep {
  const rules = loadRuleFiles(config, logger);
  const shared: Record<string, unknown> = {};
  const configuration = config.configuration;

  async function deny(rule: RuleFile, message: string, reason: string, user: UserDoc, login: LoginContext): Promise<PostLoginOutcome> {
    logger.warn({ rule: rule.name, user_id: user.user_id, reason }, 'sign-in denied by a rule');
    await logs.record({
      type: 'f', description: message, client_id: login.client_id, client_name: login.client_name, ip: login.ip, user_agent: login.user_agent,
      user_id: user.user_id, user_name: user.email ?? user.user_id, connection: login.connection, strategy: strategyOf(login.connection), details: { rule: rule.name, error: reason },
    }).catch((err: Error) => logger.error({ err: { message: err.message }, rule: rule.name }, 'could not record the denied sign-in'));
    return { denied: message };
  }

  return {
    name: 'rules',
    async run(user, login) {
      if (!rules.length) return undefined;
      const deadline = Date.now() + config.pipeline_timeout_ms;
      const writes = createMetadataWrites({ userId: user.user_id, user_metadata: user.user_metadata, app_metadata: user.app_metadata });
      const env: RuleEnvironment = { configuration, shared, metadata: writes, logger, http };
      let state: RuleState = { user: toRuleUser(user), context: toRuleContext(user, login, issuer) };
      try {
        for (const rule of rules) {
          const result = await attempt(rule, state, env, Math.min(config.timeout_ms, deadline - Date.now()), config.pipeline_timeout_ms);
          if (result.kind === 'done') {
            state = result.state;
          } else if (result.kind === 'denied') {
            return await deny(rule, result.message, result.message, user, login);
          } else if (rule.critical) {
            return await deny(rule, CRITICAL_RULE_MESSAGE, result.reason, user, login);
          } else {
            logger.warn({ rule: rule.name, user_id: user.user_id, reason: result.reason, timed_out: result.timedOut }, `rule ${rule.name} skipped: ${result.reason}`);
          }
        }
      } finally {
        await flush(writes, metadata, logger);
      }
      return tokenClaims(state, logger);
    },
  };
}

async function attempt(rule: RuleFile, state: RuleState, env: RuleEnvironment, budgetMs: number, pipelineMs: number): Promise<RuleResult> {
  if (budgetMs <= 0) return { kind: 'failed', reason: `the rules of this sign-in used up their ${pipelineMs} ms`, timedOut: true };
  try {
    return await runRule(rule, copyState(state), env, budgetMs);
  } catch (err) {
    return { kind: 'failed', reason: (err as Error).message, timedOut: false }; // e.g. a state that cannot be copied
  }
}

async function flush(writes: ReturnType<typeof createMetadataWrites>, store: MetadataStore, logger: Logger): Promise<void> {
  if (!writes.size) return;
  try {
    const missing = await writes.flush(store);
    if (missing.length) logger.warn({ user_ids: missing }, 'rules updated metadata of users that do not exist');
  } catch (err) {
    logger.error({ err: { message: (err as Error).message } }, 'could not save the metadata rules updated; sign-in continues');
  }
}

function tokenClaims({ context }: RuleState, logger: Logger): PostLoginOutcome {
  const id = namespacedClaims(context.idToken);
  const access = namespacedClaims(context.accessToken);
  const ignored = [...id.ignored, ...access.ignored];
  if (ignored.length) logger.warn({ claims: ignored }, 'custom claims must be namespaced (https://…) and JSON: these were left out of the tokens');
  return { idTokenClaims: id.claims, accessTokenClaims: access.claims };
}
