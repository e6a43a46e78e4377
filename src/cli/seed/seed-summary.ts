import { ageRangeToBirthDates, birthBoundsWithin, type BirthBounds } from '../../insight/facts/age-bounds.ts';
import { LIFECYCLE_STATES } from '../../insight/lifecycle/lifecycle-state.ts';
import type { UserDoc } from '../../users/user.model.ts';

/** The three campaigns' audiences, as the reports will ask for them. */
export const PREORDER_AGES = [20, 40] as const;

const count = (n: number) => n.toLocaleString('en-US');
const share = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : '–');

/** What a seed run wrote, counted as it goes (from the facts stored, so it is what reports will see). */
export class SeedSummary {
  users = 0;
  /** Generated but already present (a unique user_id or email): not written, nor their logs. */
  skipped = 0;
  logs = 0;
  readonly connections = new Map<string, number>();
  readonly enrichment = new Map<string, number>();
  readonly lifecycle = new Map<string, number>(LIFECYCLE_STATES.map((state) => [state, 0]));
  negativeSentiment = 0;
  preorder = 0;
  private readonly preorderBirths: BirthBounds;

  constructor(now: Date) {
    this.preorderBirths = ageRangeToBirthDates(PREORDER_AGES[0], PREORDER_AGES[1], now);
  }

  add(user: UserDoc, logs: number): void {
    const facts = user.facts!;
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    this.users += 1;
    this.logs += logs;
    bump(this.connections, user.identities[0].connection);
    bump(this.enrichment, facts.enrichment ?? 'not checked');
    bump(this.lifecycle, facts.lifecycle!.state);
    if (facts.sentiment_label === 'negative') this.negativeSentiment += 1;
    if (facts.gender === 'male' && facts.interest_keys.includes('fitness') && birthBoundsWithin(facts, this.preorderBirths)) this.preorder += 1;
  }

  /** The lines printed at the end of `insole seed`. */
  format(seconds: number): string {
    const of = this.users;
    const list = (map: Map<string, number>) => [...map].map(([key, n]) => `${key} ${count(n)} (${share(n, of)})`).join(' · ');
    return [
      `Seeded ${count(of)} shoppers in ${seconds.toFixed(1)} s: ${count(Math.round(of / Math.max(seconds, 0.001)))} users/s.`
        + (this.skipped ? ` ${count(this.skipped)} generated shoppers were already in the database and were skipped.` : ''),
      `  connections  ${list(this.connections)}`,
      `  FullContact  ${list(this.enrichment)}`,
      `  lifecycle    ${list(this.lifecycle)}`,
      `  campaigns    pre-order (men ${PREORDER_AGES.join('–')} into fitness) ${count(this.preorder)} (${share(this.preorder, of)})`
        + ` · win-back (never returned) ${count(this.lifecycle.get('never_returned') ?? 0)} (${share(this.lifecycle.get('never_returned') ?? 0, of)})`
        + ` · unhappy on X (negative sentiment) ${count(this.negativeSentiment)} (${share(this.negativeSentiment, of)})`,
      `  logs         ${count(this.logs)} sign-up and sign-in events (ss, s) written`,
    ].join('\n');
  }
}
