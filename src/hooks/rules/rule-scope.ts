/**
 * One run of one rule, seen from the code that serves it (request, auth0, timers): whether it is
 * still running, how long it has left, and a way to call back into rule code. Rule code called from
 * outside the vm (an HTTP callback, a timer, a promise handler) runs outside `runInContext`, so a
 * throw there would otherwise be an uncaught exception in insole; here it fails the rule instead.
 */
export interface RuleScope {
  readonly name: string;
  /** Aborted when the run ends, however it ends: pending HTTP requests are cancelled with it. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds at which the rule is cut. */
  readonly deadline: number;
  fail(err: unknown): void;
  /** Wraps a rule function: not called once the run has ended; a throw fails the run. */
  guard<A extends unknown[]>(fn: unknown): (...args: A) => void;
  /** Remembers a timer so it is cleared when the run ends. */
  track(timer: NodeJS.Timeout | NodeJS.Immediate): void;
  untrack(timer: NodeJS.Timeout | NodeJS.Immediate): void;
}

export function createRuleScope(name: string, budgetMs: number, fail: (err: unknown) => void) {
  const controller = new AbortController();
  const timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();
  const scope: RuleScope = {
    name,
    signal: controller.signal,
    deadline: Date.now() + budgetMs,
    fail,
    guard: (fn) => (...args) => {
      if (controller.signal.aborted || typeof fn !== 'function') return;
      try {
        fn(...args);
      } catch (err) {
        fail(err);
      }
    },
    track: (timer) => void timers.add(timer),
    untrack: (timer) => void timers.delete(timer),
  };
  return {
    scope,
    /** Ends the run: cancels its HTTP requests and timers, and stops calls into its code. */
    end(): void {
      controller.abort(new Error(`rule ${name} has finished`));
      for (const timer of timers) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
      }
      timers.clear();
    },
  };
}

/**
 * Promises handed to rule code. Every promise derived from one counts as handled, so a rule that
 * forgets `.catch` (or throws in `.then`) cannot end the process with an unhandled rejection: it
 * just never calls back and is cut at its budget. Rejections still flow down the chain as usual.
 */
export class RulePromise<T> extends Promise<T> {
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    const derived = super.then(onFulfilled, onRejected);
    Promise.prototype.then.call(derived, undefined, () => undefined);
    return derived;
  }
}
