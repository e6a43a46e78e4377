import type { Logger } from '../lib/logger.ts';
import type { UserDoc } from '../users/user.model.ts';
import type { RequestContext } from '../users/password-signin.service.ts';

/** What a sign-in that just succeeded looks like to the steps after it (Auth0's rule `context`). */
export interface LoginContext extends RequestContext {
  connection: string;
  /** The OIDC interaction the sign-in belongs to. */
  uid: string;
  /** The authorization request's parameters (Auth0's `context.request.query`). */
  query?: Record<string, unknown>;
}

export interface PostLoginOutcome {
  /** A message for the shopper: the sign-in is refused (a rule's UnauthorizedError). */
  denied?: string;
  /** Namespaced custom claims for the tokens of this sign-in. */
  idTokenClaims?: Record<string, unknown>;
  accessTokenClaims?: Record<string, unknown>;
}

/** One thing to do after every successful sign-in: inline rules, or enqueueing durable hooks. */
export interface PostLoginStep {
  name: string;
  run(user: UserDoc, ctx: LoginContext): Promise<PostLoginOutcome | void>;
}

export type PostLogin = ReturnType<typeof createPostLogin>;

/**
 * Runs the steps in order. A step that throws is logged and skipped: only an explicit `denied`
 * refuses a sign-in (rules decide that themselves, critical or not).
 */
export function createPostLogin(steps: PostLoginStep[], logger: Logger) {
  return {
    async run(user: UserDoc, ctx: LoginContext): Promise<PostLoginOutcome> {
      const outcome: Required<Pick<PostLoginOutcome, 'idTokenClaims' | 'accessTokenClaims'>> & PostLoginOutcome = { idTokenClaims: {}, accessTokenClaims: {} };
      for (const step of steps) {
        try {
          const result = await step.run(user, ctx);
          if (result?.denied) return { denied: result.denied };
          Object.assign(outcome.idTokenClaims, result?.idTokenClaims);
          Object.assign(outcome.accessTokenClaims, result?.accessTokenClaims);
        } catch (err) {
          logger.error({ err: { message: (err as Error).message }, step: step.name, user_id: user.user_id }, 'post-login step failed; sign-in continues');
        }
      }
      return outcome;
    },
  };
}
