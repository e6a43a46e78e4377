import { createRequire } from 'node:module';
import { format } from 'node:util';
import type { OutboundHttp } from '../../integrations/http-dispatcher.ts';
import type { Logger } from '../../lib/logger.ts';
import type { MetadataWrites } from './metadata-store.ts';
import { createRequest } from './request-shim.ts';
import { RulePromise, type RuleScope } from './rule-scope.ts';

/** Auth0's error for "this user may not sign in": the message reaches the application. */
export class UnauthorizedError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

// What `require` offers rules: a date library (Auth0's runtime had moment), the `request` shim,
// and Node modules without file-system, process or network-server access.
const nodeRequire = createRequire(import.meta.url);
const MODULES: Record<string, (scope: RuleScope, env: RuleEnvironment) => unknown> = {
  moment: () => nodeRequire('moment'),
  request: (scope, env) => createRequest(scope, env.http),
  crypto: () => nodeRequire('node:crypto'),
  querystring: () => nodeRequire('node:querystring'),
  url: () => nodeRequire('node:url'),
  util: () => nodeRequire('node:util'),
};

export interface RuleEnvironment {
  configuration: Record<string, string>;
  /** Auth0's `global`: a cache shared by all rules of this process, which may be reset at any time. */
  shared: Record<string, unknown>;
  metadata: MetadataWrites;
  logger: Logger;
  http: OutboundHttp;
}

/** The globals of one rule run, as Auth0's rule runtime offers them. A fresh set per run. */
export function createRuleGlobals(scope: RuleScope, env: RuleEnvironment): Record<string, unknown> {
  const log = env.logger.child({ rule: scope.name });
  return {
    request: createRequest(scope, env.http),
    auth0: {
      users: {
        updateUserMetadata: (userId: unknown, metadata: unknown) => queueUpdate(scope, env, userId, 'user_metadata', metadata),
        updateAppMetadata: (userId: unknown, metadata: unknown) => queueUpdate(scope, env, userId, 'app_metadata', metadata),
      },
    },
    configuration: Object.freeze({ ...env.configuration }),
    UnauthorizedError,
    require: (name: unknown) => requireAllowed(scope, env, String(name)),
    global: env.shared,
    console: {
      log: (...args: unknown[]) => log.info(format(...args)),
      info: (...args: unknown[]) => log.info(format(...args)),
      debug: (...args: unknown[]) => log.debug(format(...args)),
      warn: (...args: unknown[]) => log.warn(format(...args)),
      error: (...args: unknown[]) => log.error(format(...args)),
    },
    ...timers(scope),
    Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, structuredClone, AbortController, AbortSignal,
  };
}

function requireAllowed(scope: RuleScope, env: RuleEnvironment, name: string): unknown {
  // Auth0 let rules pin versions ('moment@2.29.4'); the installed version is what runs here.
  const bare = name.replace(/^node:/, '').replace(/^(@?[^@]+)@.*$/, '$1');
  const load = MODULES[bare];
  if (!load) {
    throw Object.assign(new Error(`Cannot find module '${name}': rules may require only ${Object.keys(MODULES).join(', ')}`), { code: 'MODULE_NOT_FOUND' });
  }
  return load(scope, env);
}

/**
 * Metadata updates are recorded, and written once when the rules of the sign-in are done (the
 * promise resolves at once, as the write is certain to be attempted). Only while the rule runs.
 */
function queueUpdate(scope: RuleScope, env: RuleEnvironment, userId: unknown, field: 'user_metadata' | 'app_metadata', metadata: unknown): Promise<void> {
  const queued = new RulePromise<void>((resolve, reject) => {
    if (scope.signal.aborted) return reject(new Error(`rule ${scope.name} has already finished`));
    env.metadata.queue(String(userId), field, metadata);
    resolve();
  });
  // Rules often ignore the promise (Auth0's FullContact rule does): a refusal is logged, not unhandled.
  Promise.prototype.then.call(queued, undefined, (err: Error) => env.logger.warn({ rule: scope.name, field, err: { message: err.message } }, 'rule metadata update refused'));
  return queued;
}

function timers(scope: RuleScope) {
  const later = (schedule: typeof setTimeout, repeat: boolean) => (fn: unknown, ms?: number, ...args: unknown[]) => {
    const call = scope.guard(fn);
    const timer: NodeJS.Timeout = schedule(() => {
      if (!repeat) scope.untrack(timer);
      call(...args);
    }, ms);
    scope.track(timer);
    return timer;
  };
  const cancel = (timer: unknown) => {
    clearTimeout(timer as NodeJS.Timeout);
    scope.untrack(timer as NodeJS.Timeout);
  };
  return {
    setTimeout: later(setTimeout, false),
    setInterval: later(setInterval as typeof setTimeout, true),
    clearTimeout: cancel,
    clearInterval: cancel,
    setImmediate: (fn: unknown, ...args: unknown[]) => {
      const call = scope.guard(fn);
      const immediate: NodeJS.Immediate = setImmediate(() => {
        scope.untrack(immediate);
        call(...args);
      });
      scope.track(immediate);
      return immediate;
    },
    clearImmediate: (immediate: unknown) => {
      clearImmediate(immediate as NodeJS.Immediate);
      scope.untrack(immediate as NodeJS.Immediate);
    },
  };
}
