import { normaliseFullContact } from '../../hooks/builtin/fullcontact-profile.ts';
import { labelOf } from '../../hooks/builtin/sentiment-score.ts';
import { drawKnowledge, fullContactAnswer } from './fullcontact-answer.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { Person } from './shopper-person.ts';
import type { SignIn } from './signin-history.ts';

/** What the durable hooks would have written, and the settings they would have run with. */
export interface HookSettings {
  /** FullContact was switched on at this time: sign-ins before it were not enriched. */
  enrichFrom: Date;
  refreshAfterDays: number;
  sentiment: { negative_below: number; positive_above: number; mode: 'remote' | 'builtin' };
}

export interface HookResults {
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  /** The hooks' last write, which moved updated_at. */
  lastWrite?: Date;
}

/** FullContact knows this share of the addresses it is asked about (the rest answer 404: no_match). */
export const FULLCONTACT_MATCH_SHARE = 0.62;
const DAY_MS = 86_400_000;
const MOODS = [['negative', 17], ['neutral', 53], ['positive', 30]] as const;

/** When the FullContact hook ran: at the first sign-in once it was on, then again after refreshAfterDays (job delay: seconds). */
function fullContactChecks(random: SeededRandom, signIns: SignIn[], settings: HookSettings, now: Date): Date[] {
  const checks: Date[] = [];
  for (const { at } of signIns) {
    const last = checks.at(-1);
    if (at < settings.enrichFrom || (last && at.getTime() - last.getTime() < settings.refreshAfterDays * DAY_MS)) continue;
    const ranAt = new Date(at.getTime() + random.int(2_000, 40_000));
    if (ranAt >= now) break; // still queued
    checks.push(ranAt);
  }
  return checks;
}

/**
 * The sentiment hook's record (once per user, as app_metadata.sentiment_initialized says): most
 * shoppers never mention the brand (no tweets: score 0); of those who do, most are neutral or
 * happy and about one in six is unhappy. Labels follow hooks.sentiment's thresholds.
 */
function sentimentRecord(random: SeededRandom, analyzedAt: Date, settings: HookSettings['sentiment']): Record<string, unknown> {
  const tweets = random.chance(0.3) ? 0 : Math.min(100, 1 + Math.floor(random.exponential(12)));
  const mood = random.weighted(MOODS);
  const raw = mood === 'negative' ? random.normal(-2, 0.7) : mood === 'positive' ? random.normal(1.9, 0.6) : random.normal(0.2, 0.45);
  const score = tweets === 0 ? 0 : Math.round(raw * 100) / 100;
  return { score, label: labelOf(score, settings), tweets_analyzed: tweets, analyzed_at: analyzedAt, source: settings.mode };
}

/**
 * FullContact for shoppers with a verified email (the hook asks about no other: fullcontact.hook.ts);
 * then sentiment for those with an X handle (their own X sign-in, or one FullContact found),
 * analysed seconds after the handle became known, unless the job never succeeded (X API quota,
 * outages: about one in eight).
 */
export function hookResults(random: SeededRandom, shopper: { person: Person; verifiedEmail?: string; signedUpWithX: boolean }, signIns: SignIn[], settings: HookSettings, now: Date): HookResults {
  const { person, verifiedEmail: email } = shopper;
  const user_metadata: Record<string, unknown> = {};
  const app_metadata: Record<string, unknown> = {};
  const checks = email ? fullContactChecks(random, signIns, settings, now) : [];
  const matched = random.chance(FULLCONTACT_MATCH_SHARE);
  const knows = drawKnowledge(random, person);
  const lastCheck = checks.at(-1);
  if (lastCheck) {
    app_metadata.fullcontact = { status: matched ? 'matched' : 'no_match', checked_at: lastCheck };
    if (matched) {
      const answer = fullContactAnswer(person, knows, email!, lastCheck);
      user_metadata.fullcontact = answer;
      user_metadata.fullcontact_profile = normaliseFullContact(answer);
    }
  }
  const handleKnownAt = shopper.signedUpWithX ? signIns[0].at : matched && knows.twitter ? checks[0] : undefined;
  const analyzedAt = handleKnownAt && random.chance(0.88) ? new Date(handleKnownAt.getTime() + random.int(3_000, 30_000)) : undefined;
  if (analyzedAt && analyzedAt < now) {
    app_metadata.sentiment_initialized = true;
    app_metadata.sentiment = sentimentRecord(random, analyzedAt, settings.sentiment);
    return { user_metadata, app_metadata, lastWrite: lastCheck && lastCheck > analyzedAt ? lastCheck : analyzedAt };
  }
  return { user_metadata, app_metadata, lastWrite: lastCheck };
}
