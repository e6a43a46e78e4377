import vm from 'node:vm';
import { createRuleGlobals, type RuleEnvironment } from './rule-globals.ts';
import type { RuleFile } from './rule-files.ts';
import { createRuleScope } from './rule-scope.ts';

export type RuleState = { user: Record<string, unknown>; context: Record<string, unknown> };

export type RuleResult =
  | { kind: 'done'; state: RuleState }
  | { kind: 'denied'; message: string }
  | { kind: 'failed'; reason: string; timedOut: boolean };

// Runs inside the rule's context, so the synchronous part of the rule is bounded by vm's timeout.
const INVOKE = new vm.Script('__insoleRule.apply(undefined, __insoleArgs)', { filename: 'insole:rule-invoke' });

/**
 * Runs one rule in a fresh `node:vm` context with Auth0's globals. It ends when the rule calls
 * back, throws, or reaches its budget: the synchronous part is cut by vm's timeout, the rest by a
 * timer (then its HTTP requests and timers are cancelled). node:vm is not a security boundary:
 * rules are the operator's code.
 */
export function runRule(rule: RuleFile, state: RuleState, env: RuleEnvironment, budgetMs: number): Promise<RuleResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: RuleResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(budget);
      run.end();
      resolve(result);
    };
    const fail = (err: unknown) => settle(failure(err));
    const run = createRuleScope(rule.name, budgetMs, fail);
    const budget = setTimeout(() => settle({ kind: 'failed', reason: `did not call back within ${budgetMs} ms`, timedOut: true }), budgetMs);

    const callback = (err: unknown, user?: unknown, context?: unknown) => {
      if (err) return fail(err);
      settle({ kind: 'done', state: { user: asObject(user) ?? state.user, context: asObject(context) ?? state.context } });
    };

    try {
      const context = vm.createContext(createRuleGlobals(run.scope, env), { name: `rule ${rule.name}` });
      const fn: unknown = rule.script.runInContext(context, { timeout: budgetMs });
      if (typeof fn !== 'function') throw new TypeError('the rule file does not evaluate to a function (user, context, callback)');
      Object.assign(context, { __insoleRule: fn, __insoleArgs: [state.user, state.context, callback] });
      const returned: unknown = INVOKE.runInContext(context, { timeout: Math.max(1, run.scope.deadline - Date.now()) });
      // An async rule's rejection fails it like a throw.
      if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
        (returned as PromiseLike<unknown>).then(undefined, fail);
      }
    } catch (err) {
      fail(err);
    }
  });
}

function failure(err: unknown): RuleResult {
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.name === 'UnauthorizedError') return { kind: 'denied', message: message || 'Unauthorized' };
  return { kind: 'failed', reason: message, timedOut: e?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' ? value as Record<string, unknown> : undefined;
}
