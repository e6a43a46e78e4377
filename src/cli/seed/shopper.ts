import type { InterestVocabulary } from '../../insight/facts/interest-vocabulary.ts';
import type { LifecycleWindows } from '../../insight/lifecycle/lifecycle-windows.ts';
import type { LogDoc } from '../../logs/log.model.ts';
import type { UserDoc } from '../../users/user.model.ts';
import { hookResults, type HookSettings } from './hook-results.ts';
import { SeededRandom } from './seeded-random.ts';
import { accountOf, CONNECTION_MIX } from './shopper-account.ts';
import { storedFactsOf } from './shopper-facts.ts';
import { signInLogs, type LogSettings } from './shopper-logs.ts';
import { createPerson } from './shopper-person.ts';
import { signInHistory, signUpTime, type Period } from './signin-history.ts';

/** Everything a run needs to make shopper number N; the same plan and N always give the same shopper. */
export interface ShopperPlan {
  seed: number;
  period: Period;
  hooks: HookSettings;
  logs: LogSettings;
  insight: { vocabulary: InterestVocabulary; windows: LifecycleWindows; enrichmentEnabled: boolean };
}

export interface Shopper { user: UserDoc; logs: LogDoc[] }

// Shoppers who did not sign up with X have an account there this often (FullContact may find it).
const X_ACCOUNT_SHARE = 0.25;

/**
 * Shopper `number` of the plan: a person, their sign-up and sign-ins, the profile their
 * connection made, what the hooks added, the facts production would store, and the log events of
 * the recent sign-ins.
 */
export function generateShopper(plan: ShopperPlan, number: number): Shopper {
  const random = SeededRandom.forItem(plan.seed, number);
  const { now } = plan.period;
  const connection = random.weighted(CONNECTION_MIX);
  const person = createPerson(random, number, now, { hasX: connection === 'twitter' || random.chance(X_ACCOUNT_SHARE) });
  const createdAt = signUpTime(random, person.country, plan.period);
  const signIns = signInHistory(random, person.country, createdAt, now);
  const account = accountOf(random, person, connection, createdAt);
  const verifiedEmail = account.email_verified === true ? account.email : undefined;
  const hooks = hookResults(random, { person, verifiedEmail, signedUpWithX: connection === 'twitter' }, signIns, plan.hooks, now);
  const last = signIns[signIns.length - 1];
  const user: UserDoc = {
    ...account,
    created_at: createdAt,
    updated_at: hooks.lastWrite && hooks.lastWrite > last.at ? hooks.lastWrite : last.at,
    last_login: last.at, last_ip: last.ip, logins_count: signIns.length,
    blocked: false, blocked_for: [], user_metadata: hooks.user_metadata, app_metadata: hooks.app_metadata,
  };
  const { vocabulary, windows, enrichmentEnabled } = plan.insight;
  user.facts = storedFactsOf(user, signIns.map((s) => s.at), {
    vocabulary, windows, enrichmentEnabled, now, sentimentThresholds: plan.hooks.sentiment,
  });
  return { user, logs: signInLogs(random, user, signIns, plan.logs) };
}
