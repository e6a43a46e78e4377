import type { UserDoc } from '../../src/users/user.model.ts';
import { FITNESS_TOPICS, WINDOWS } from './report-shoppers.ts';
import { agedWithin, possibleAges } from './segment-users.ts';

/**
 * What each report must answer, read in plain JavaScript off the stored documents: no pipeline, no
 * filter compiler, no report code. Histories are read from the profile's own fields (created_at,
 * last_login, logins_count); only "which users have computed facts" comes from the facts.
 */
const DAY = 86_400_000;
const iso = (date: Date | undefined) => (date ? date.toISOString() : null);
const byCreated = (a: UserDoc, b: UserDoc) => a.created_at.getTime() - b.created_at.getTime() || (a.user_id < b.user_id ? -1 : 1);
const hasFacts = (user: UserDoc) => Boolean(user.facts?.lifecycle);

/** Back after the sign-up session: a second login, or a first one at least new_days after signing up. */
export function cameBack(user: UserDoc): boolean {
  if (user.logins_count >= 2) return true;
  return user.logins_count === 1 && Boolean(user.last_login) && user.last_login!.getTime() - user.created_at.getTime() >= WINDOWS.new_days * DAY;
}

export interface DormantQuery { mode: 'never_returned' | 'inactive'; days?: number; connection?: string; created_from?: Date; created_to?: Date }

export function expectedDormant(users: UserDoc[], query: DormantQuery, now: Date) {
  const days = query.days ?? (query.mode === 'never_returned' ? WINDOWS.new_days : WINDOWS.dormant_days);
  const cutoff = now.getTime() - days * DAY;
  return users.filter(hasFacts)
    .filter((u) => (query.mode === 'never_returned' ? !cameBack(u) && u.created_at.getTime() <= cutoff : cameBack(u) && u.last_login!.getTime() <= cutoff))
    .filter((u) => !query.connection || u.identities.some((i) => i.connection === query.connection))
    .filter((u) => (!query.created_from || u.created_at >= query.created_from) && (!query.created_to || u.created_at < query.created_to))
    .sort(byCreated)
    .map((u) => ({
      email: u.email ?? null, name: u.name ?? null, user_id: u.user_id, connection: u.identities[0].connection,
      created_at: u.created_at.toISOString(), last_login: iso(u.last_login), logins_count: u.logins_count,
    }));
}

/** The analysed users (a score in app_metadata.sentiment), most negative first; the label as stored, or by the default thresholds. */
export function expectedSentiment(users: UserDoc[], label?: string) {
  const read = (u: UserDoc) => (u.app_metadata.sentiment ?? {}) as { score?: number; label?: string; tweets_analyzed?: number; analyzed_at?: Date | string };
  const labelOf = (u: UserDoc) => read(u).label ?? (read(u).score! < -1 ? 'negative' : read(u).score! > 1 ? 'positive' : 'neutral');
  return users.filter((u) => u.facts && typeof read(u).score === 'number' && (!label || labelOf(u) === label))
    .sort((a, b) => read(a).score! - read(b).score! || (a.user_id < b.user_id ? -1 : 1))
    .map((u) => {
      const handle = (u.identities.find((i) => i.provider === 'twitter')?.profileData?.screen_name as string).toLowerCase();
      const at = read(u).analyzed_at;
      return {
        handle, email: u.email ?? null, name: u.name ?? null, user_id: u.user_id, label: labelOf(u), score: read(u).score!,
        tweets_analyzed: read(u).tweets_analyzed ?? null, analyzed_at: at instanceof Date ? at.toISOString() : at ?? null,
      };
    });
}

/** The pre-order segment: men whose every possible age is 20–40, with a fitness topic. */
export const isPreorderShopper = (now: Date) => (u: UserDoc) =>
  u.facts?.gender === 'male' && agedWithin(u, 20, 40, now) && u.facts.interests.some((topic) => FITNESS_TOPICS.has(topic));

export function expectedSegmentUsers(users: UserDoc[], isMember: (u: UserDoc) => boolean, now: Date, asksFitness: boolean) {
  return users.filter(isMember).sort(byCreated).map((u) => {
    const ages = possibleAges(u, now);
    return {
      email: u.email ?? null, name: u.name ?? null, user_id: u.user_id, gender: u.facts?.gender ?? null,
      age_min: ages?.youngest ?? null, age_max: ages?.oldest ?? null, country: u.facts?.country ?? null, city: u.facts?.city ?? null,
      interests_matched: asksFitness ? (u.facts?.interests ?? []).filter((topic) => FITNESS_TOPICS.has(topic)) : [],
      connection: u.identities[0].connection,
    };
  });
}

/** The Monday 00:00 UTC of a date's ISO week, and the week's ISO 8601 name (week 1 holds the year's first Thursday). */
export function isoWeekOf(at: Date): { monday: Date; label: string } {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const monday = new Date(midnight - ((at.getUTCDay() + 6) % 7) * DAY);
  const thursday = new Date(monday.getTime() + 3 * DAY);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / DAY + 1) / 7);
  return { monday, label: `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}` };
}

export function expectedCohorts(users: UserDoc[], now: Date, weeks: number) {
  const current = isoWeekOf(now).monday.getTime();
  return Array.from({ length: weeks }, (_, i) => {
    const start = current - (weeks - 1 - i) * 7 * DAY;
    const members = users.filter((u) => u.created_at.getTime() >= start && u.created_at.getTime() < start + 7 * DAY);
    const reached = (u: UserDoc) => Math.floor((now.getTime() - u.created_at.getTime()) / (7 * DAY));
    const furthest = members.length ? Math.max(...members.map(reached)) : -1;
    const retention = Array.from({ length: furthest + 1 }, (_, week) => {
      const eligible = members.filter((u) => reached(u) >= week);
      const active = eligible.filter((u) => (u.facts?.active_weeks ?? []).includes(week)).length;
      return { week, eligible: eligible.length, active, share: eligible.length ? Math.round((active / eligible.length) * 10_000) / 10_000 : 0 };
    });
    return { week: isoWeekOf(new Date(start)).label, week_start: new Date(start).toISOString(), users: members.length, retention };
  });
}

export function expectedStates(users: UserDoc[]) {
  const states: Record<string, number> = { new: 0, active: 0, lapsing: 0, dormant: 0, never_returned: 0, reactivated: 0, unknown: 0 };
  for (const u of users) states[u.facts?.lifecycle?.state ?? 'unknown']++;
  return states;
}
