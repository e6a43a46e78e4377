import { USER_AGENTS } from './shopper-names.ts';
import { VISIT_HOURS, type Country } from './shopper-places.ts';
import type { SeededRandom } from './seeded-random.ts';

export interface SignIn { at: Date; ip: string; user_agent: string }

/** The seeded period: sign-ups from `start` (the store's launch) up to `now`. */
export interface Period { start: Date; now: Date }

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The share of shoppers who sign up on launch day, and how much busier the last day is than the first. */
export const LAUNCH_DAY_SHARE = 0.03;
const GROWTH = 2.5;
/** Never back after the sign-up session (e-commerce: a third or so of accounts are made for one order). */
export const NEVER_RETURN_SHARE = 0.33;
/** A shopper who stopped coming may be won back once, after a long absence. */
const REACTIVATION_SHARE = 0.15;

/** A moment on `day` at a local hour shoppers visit (evening heavy), in UTC. */
function atVisitHour(random: SeededRandom, day: number, country: Country): number {
  const localHour = random.weighted(VISIT_HOURS);
  return day + (localHour - country.utc_offset) * HOUR_MS + random.int(0, HOUR_MS - 1);
}

const dayOf = (time: number) => Math.floor(time / DAY_MS) * DAY_MS;

/**
 * When the shopper signed up: a bump on launch day, then a steady growth (the density rises
 * GROWTH-fold over the period; inverse-CDF sampling of an exponential ramp).
 */
export function signUpTime(random: SeededRandom, country: Country, { start, now }: Period): Date {
  const span = now.getTime() - start.getTime();
  const ramp = Math.log(GROWTH);
  const offset = random.chance(LAUNCH_DAY_SHARE) ? random.float() * Math.min(DAY_MS, span) : (Math.log(1 + random.float() * (GROWTH - 1)) / ramp) * span;
  let at = atVisitHour(random, dayOf(start.getTime() + offset), country);
  // On the first and last day the visit hour can fall outside the period: then it is the same hour
  // a day later (earlier). Clamping instead would pile shoppers up on the period's first instant.
  if (at < start.getTime()) at += DAY_MS;
  if (at >= now.getTime()) at -= DAY_MS;
  return new Date(Math.min(Math.max(at, start.getTime()), now.getTime() - 1));
}

/** A home connection (most sign-ins) and the odd mobile one; documentation ranges only (RFC 5737, RFC 3849). */
function ipAddress(random: SeededRandom): string {
  if (random.chance(0.3)) return `2001:db8:${random.hex(4)}:${random.hex(4)}::${random.hex(4).replace(/^0+(?=.)/, '')}`;
  return `${random.pick(['192.0.2', '198.51.100', '203.0.113'])}.${random.int(1, 254)}`;
}

/**
 * Sign-up, then returns: NEVER_RETURN_SHARE never come back; the others visit every few days to
 * weeks (each shopper their own rhythm), and after each visit may stop for good (each their own
 * chance); some who stopped come back once more months later (reactivated), then go on as before.
 */
export function signInHistory(random: SeededRandom, country: Country, createdAt: Date, now: Date): SignIn[] {
  const home = ipAddress(random);
  const [device, other] = [random.weighted(USER_AGENTS), random.weighted(USER_AGENTS)];
  const visit = (at: number): SignIn => ({ at: new Date(at), ip: random.chance(0.85) ? home : ipAddress(random), user_agent: random.chance(0.8) ? device : other });
  const history: SignIn[] = [{ at: createdAt, ip: home, user_agent: device }];
  if (random.chance(NEVER_RETURN_SHARE)) return history;
  const meanGapDays = Math.min(120, Math.max(1.5, Math.exp(random.normal(Math.log(12), 0.8))));
  const stopAfterVisit = 0.06 + 0.2 * random.float();
  let reactivations = random.chance(REACTIVATION_SHARE) ? 1 : 0;
  let last = createdAt.getTime();
  let next = last + random.exponential(Math.min(meanGapDays, 10)) * DAY_MS + HOUR_MS;
  while (true) {
    const at = Math.max(atVisitHour(random, dayOf(next), country), last + HOUR_MS);
    if (at >= now.getTime()) return history;
    history.push(visit(at));
    last = at;
    let gapDays = random.exponential(meanGapDays) + 0.1;
    if (random.chance(stopAfterVisit)) {
      if (!reactivations) return history;
      reactivations -= 1;
      gapDays = 100 + random.float() * 200;
    }
    next = at + gapDays * DAY_MS;
  }
}
