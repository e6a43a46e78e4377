import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { seedCommand, type SeedOptions } from '../src/cli/seed.command.ts';
import type { SeedSummary } from '../src/cli/seed/seed-summary.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { deriveFacts } from '../src/insight/facts/user-facts.ts';
import { createUserInsight } from '../src/insight/user-insight.ts';
import type { LogDoc } from '../src/logs/log.model.ts';
import type { UserDoc } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';

// Checks of `insole seed` written as plain computations over the documents it stored: what the
// facts, lifecycle and logs must be, worked out here independently of the generator.

const DAY = 86_400_000;
const NOW = new Date('2026-06-15T12:00:00Z');
const LOG_WINDOW_START = NOW.getTime() - 90 * DAY;
const config = loadConfig({ env: { NODE_ENV: 'test' } });
const options: SeedOptions = { users: 2000, seed: 7, months: 12, now: NOW, append: false, force: false };
const quiet = { log: () => {}, progress: { write: () => true } };

type Stored = UserDoc & { _id?: unknown };
const t = (date: Date | undefined) => date!.getTime();
const share = (part: unknown[], whole: unknown[]) => part.length / whole.length;

function inRange(name: string, value: number, low: number, high: number): void {
  assert.ok(value >= low && value <= high, `${name}: ${value.toFixed(3)} not within [${low}, ${high}]`);
}

async function seededDatabase(seedOptions: SeedOptions, seedConfig = config) {
  const connection = await mongoose.createConnection(testDatabaseUri()).asPromise();
  const summary = await seedCommand(connection, seedConfig, seedOptions, quiet);
  const db = connection.db!;
  const users = (await db.collection<Stored>('users').find().toArray()) as Stored[];
  const logs = (await db.collection<LogDoc>('logs').find().toArray()) as LogDoc[];
  return { connection, summary, users, logs };
}

/** The profile without what is stored beside it, as deriveFacts sees it. */
function profileOf({ _id, facts, ...profile }: Stored): UserDoc {
  return profile as UserDoc;
}

describe('insole seed: 2,000 shoppers', () => {
  let connection: mongoose.Connection;
  let summary: SeedSummary;
  let users: Stored[];
  let logs: LogDoc[];
  before(async () => ({ connection, summary, users, logs } = await seededDatabase(options)));
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  test('every user is stored with the facts production derives from the profile, and no segments', () => {
    assert.deepEqual([users.length, summary.users, summary.skipped], [2000, 2000, 0]);
    for (const user of users) {
      const { lifecycle, active_weeks, segments, ...facts } = user.facts!;
      const expected = deriveFacts(profileOf(user), {
        vocabulary: config.insight.interests, now: NOW, enrichmentEnabled: config.hooks.enabled && config.hooks.fullcontact.enabled, sentimentThresholds: config.hooks.sentiment,
      });
      assert.deepEqual(facts, expected, user.user_id);
      assert.ok(lifecycle && active_weeks, user.user_id);
      assert.equal(segments, undefined);
    }
  });

  test('for shoppers whose whole history is logged, replaying it through the write path (sign-up, each sign-in, then a sweep now) gives the stored facts', () => {
    const insight = createUserInsight(config);
    const logsOf = Map.groupBy(logs, (log) => log.user_id);
    const recent = users.filter((u) => t(u.created_at) >= LOG_WINDOW_START);
    assert.ok(recent.length > 100 && recent.some((u) => u.logins_count > 3));
    for (const user of recent) {
      const [signup, ...returns] = (logsOf.get(user.user_id) ?? []).sort((a, b) => t(a.date) - t(b.date));
      let stored: UserDoc = { ...profileOf(user), last_login: signup.date, logins_count: 1 };
      stored = { ...stored, facts: insight.update('insert', undefined, stored, signup.date).facts };
      for (const { date } of returns) {
        const after: UserDoc = { ...stored, last_login: date, logins_count: stored.logins_count + 1 };
        stored = { ...after, facts: insight.update('signin', stored, after, date).facts };
      }
      const { rev, ...swept } = insight.update('change', stored, stored, NOW).facts;
      assert.deepEqual(swept, user.facts, user.user_id);
    }
  });

  test('sign-ups: a launch-day bump, then more each month, each at its own moment', () => {
    const start = Date.UTC(2025, 5, 15, 12); // --months 12 before NOW
    const created = users.map((u) => t(u.created_at));
    assert.ok(created.every((c) => c >= start && c < NOW.getTime()));
    assert.equal(new Set(created).size, users.length, 'no two sign-ups at the same instant');
    inRange('launch day', share(created.filter((c) => c < start + DAY), created), 0.015, 0.05);
    const first = created.filter((c) => c >= start + DAY && c < start + 91 * DAY).length;
    const last = created.filter((c) => c >= NOW.getTime() - 90 * DAY).length;
    inRange('last quarter ÷ first quarter', last / first, 1.4, 3.5);
  });

  test('the lifecycle is what the windows say about created_at, last_login and logins_count', () => {
    const { new_days, active_days, dormant_days } = config.insight.lifecycle;
    for (const user of users) {
      const { state, since } = user.facts!.lifecycle!;
      const [created, last] = [t(user.created_at), t(user.last_login)];
      const label = `${user.user_id}: ${state}`;
      assert.ok(last >= created && last <= NOW.getTime() && user.logins_count >= 1, label);
      if (user.logins_count === 1) {
        assert.equal(last, created, 'the sign-up is the first login');
        const isNew = NOW.getTime() - created < new_days * DAY;
        assert.deepEqual([state, t(since)], isNew ? ['new', created] : ['never_returned', created + new_days * DAY], label);
      } else if (NOW.getTime() - last >= dormant_days * DAY) {
        assert.deepEqual([state, t(since)], ['dormant', last + dormant_days * DAY], label);
      } else if (NOW.getTime() - last >= active_days * DAY) {
        assert.deepEqual([state, t(since)], ['lapsing', last + active_days * DAY], label);
      } else {
        assert.ok(state === 'active' || state === 'reactivated', label);
        // Active since the return that made it so, or since a reactivation's active_days ran out.
        if (state === 'active') assert.ok(t(since) > created && t(since) <= Math.min(NOW.getTime(), last + active_days * DAY), label);
        if (state === 'reactivated') assert.ok(t(since) > created && t(since) <= last && NOW.getTime() - t(since) < active_days * DAY, label);
      }
    }
    const states = new Set(users.map((u) => u.facts!.lifecycle!.state));
    assert.deepEqual([...states].sort(), ['active', 'dormant', 'lapsing', 'never_returned', 'new', 'reactivated']);
  });

  test('active_weeks: the sign-up week, the last sign-in week, and for recent sign-ups exactly the weeks of their logged sign-ins', () => {
    const logsOf = Map.groupBy(logs, (log) => log.user_id);
    for (const user of users) {
      const weeks = user.facts!.active_weeks!;
      const weekOf = (at: number) => Math.floor((at - t(user.created_at)) / (7 * DAY));
      assert.equal(weeks[0], 0, user.user_id);
      assert.equal(weeks.at(-1), weekOf(t(user.last_login)), user.user_id);
      assert.ok(weeks.every((w, i) => Number.isInteger(w) && (i === 0 || w > weeks[i - 1])), user.user_id);
      assert.ok(weeks.length <= Math.min(user.logins_count, 104), user.user_id);
      if (t(user.created_at) >= LOG_WINDOW_START) {
        const logged = [...new Set((logsOf.get(user.user_id) ?? []).map((log) => weekOf(t(log.date))))].sort((a, b) => a - b);
        assert.deepEqual(weeks, logged, user.user_id);
      }
    }
  });

  test('the mix: connections, verified emails, FullContact and Facebook shares', () => {
    const by = (connection: string) => users.filter((u) => u.identities[0].connection === connection);
    inRange('password', share(by('Username-Password-Authentication'), users), 0.44, 0.56);
    inRange('google', share(by('google-oauth2'), users), 0.2, 0.3);
    inRange('facebook', share(by('facebook'), users), 0.11, 0.19);
    inRange('twitter', share(by('twitter'), users), 0.07, 0.13);
    assert.ok(by('google-oauth2').every((u) => u.email_verified && u.email), 'Google asserts a verified email');
    inRange('password verified', share(by('Username-Password-Authentication').filter((u) => u.email_verified), by('Username-Password-Authentication')), 0.6, 0.85);
    const xWithoutEmail = by('twitter').filter((u) => !u.email);
    assert.ok(xWithoutEmail.length > 0 && xWithoutEmail.length < by('twitter').length / 4, 'a few X users have no email');
    // The provider's address, or one typed on the email step, whose mailed link made the user verified.
    assert.ok([...by('facebook'), ...by('twitter')].every((u) => u.email_verified === Boolean(u.email)), 'Facebook and X addresses are verified');
    assert.ok(by('facebook').some((u) => !u.identities[0].profileData!.email), 'some typed on the email step');
    assert.ok(by('twitter').every((u) => /^\w{1,15}$/.test(u.screen_name!) && u.identities[0].profileData!.screen_name === u.screen_name));

    const checks = users.map((u) => (u.app_metadata.fullcontact as { status?: string } | undefined)?.status);
    const matched = users.filter((_, i) => checks[i] === 'matched');
    inRange('FullContact matched', share(matched, users), 0.4, 0.65);
    inRange('FullContact no_match', share(checks.filter((s) => s === 'no_match'), users), 0.2, 0.45);
    assert.ok(matched.every((u) => u.user_metadata.fullcontact && u.user_metadata.fullcontact_profile));
    assert.ok(users.filter((u) => !u.email).every((u) => !u.app_metadata.fullcontact), 'FullContact is asked by email only');
    const unverified = users.filter((u) => u.email && u.email_verified !== true);
    inRange('unverified emails', share(unverified, users), 0.08, 0.2);
    for (const user of unverified) {
      const { fullcontact, fullcontact_profile } = user.user_metadata;
      assert.deepEqual([fullcontact, fullcontact_profile, user.app_metadata.fullcontact], [undefined, undefined, undefined], `${user.user_id}: FullContact asks about a verified email only`);
    }

    const facebook = by('facebook');
    inRange('Facebook likes granted', share(facebook.filter((u) => u.likes?.length), facebook), 0.5, 0.8);
    assert.ok(facebook.every((u) => u.birthday === undefined || /^(\d{4}-\d{2}-\d{2}|--\d{2}-\d{2}|\d{4})$/.test(u.birthday)));
    assert.ok(facebook.some((u) => u.gender === 'male') && facebook.some((u) => u.gender === 'female'));
  });

  test('the three campaigns find some shoppers, not everyone, and the summary counts the same', () => {
    const yearsBefore = (years: number) => Date.UTC(NOW.getUTCFullYear() - years, NOW.getUTCMonth(), NOW.getUTCDate());
    const preorder = users.filter(({ facts }) => facts!.gender === 'male' && facts!.interest_keys.includes('fitness')
      && facts!.born_from !== undefined && t(facts!.born_from) >= yearsBefore(41) + DAY && t(facts!.born_to) <= yearsBefore(20) + DAY);
    inRange('men 20–40 into fitness', share(preorder, users), 0.015, 0.12);
    assert.equal(summary.preorder, preorder.length);

    const neverReturned = users.filter((u) => u.logins_count === 1 && NOW.getTime() - t(u.created_at) >= 14 * DAY);
    inRange('never returned', share(neverReturned, users), 0.2, 0.45);
    assert.equal(summary.lifecycle.get('never_returned'), neverReturned.length);

    const scored = users.filter((u) => u.app_metadata.sentiment_initialized === true);
    for (const user of scored) {
      const { score, label } = user.app_metadata.sentiment as { score: number; label: string };
      assert.equal(label, score < -1 ? 'negative' : score > 1 ? 'positive' : 'neutral', user.user_id);
      assert.ok(user.screen_name || (user.user_metadata.fullcontact_profile as { twitter?: string }).twitter, 'only shoppers with an X handle are analysed');
    }
    const unhappy = scored.filter((u) => (u.app_metadata.sentiment as { score: number }).score < -1);
    inRange('negative on X', share(unhappy, users), 0.004, 0.06);
    assert.ok(share(scored.filter((u) => (u.app_metadata.sentiment as { label: string }).label !== 'negative'), scored) > 0.7, 'mostly neutral or positive');
    assert.equal(summary.negativeSentiment, unhappy.length);
  });

  test('emails and user ids are unique, and the indexes say so too', async () => {
    const indexes = await connection.db!.collection('users').listIndexes().toArray();
    const unique = indexes.filter((index) => index.unique).map((index) => Object.keys(index.key).join());
    assert.deepEqual(unique.sort(), ['email', 'user_id']);
    assert.ok(indexes.some((index) => 'facts.lifecycle.state' in index.key), 'the facts indexes too');
    const logIndexes = await connection.db!.collection('logs').listIndexes().toArray();
    assert.ok(logIndexes.some((index) => index.unique && 'log_id' in index.key));

    const emails = users.flatMap((u) => (u.email ? [u.email] : []));
    assert.equal(new Set(emails).size, emails.length);
    assert.equal(new Set(users.map((u) => u.user_id)).size, users.length);
    assert.ok(emails.every((e) => /^[a-z._]+\d+@[a-z]+\.example$/.test(e)), 'lower case, at a .example domain');
  });

  test('the logs of the last 90 days agree with the profiles', () => {
    assert.equal(summary.logs, logs.length);
    assert.equal(new Set(logs.map((l) => l.log_id)).size, logs.length);
    const byId = [...logs].sort((a, b) => (a.log_id < b.log_id ? -1 : 1));
    assert.ok(byId.every((log, i) => i === 0 || t(log.date) >= t(byId[i - 1].date)), 'log ids sort by time');
    const logsOf = Map.groupBy(logs, (log) => log.user_id);
    for (const user of users) {
      const own = (logsOf.get(user.user_id) ?? []).sort((a, b) => t(a.date) - t(b.date));
      assert.ok(own.every((l) => t(l.date) >= LOG_WINDOW_START && t(l.date) <= NOW.getTime()));
      const signup = own.filter((l) => l.type === 'ss');
      assert.equal(signup.length, t(user.created_at) >= LOG_WINDOW_START ? 1 : 0, user.user_id);
      if (signup.length) assert.equal(t(signup[0].date), t(user.created_at));
      if (t(user.created_at) >= LOG_WINDOW_START) assert.equal(own.length, user.logins_count, 'a whole history in the window is all logged');
      if (t(user.last_login) < LOG_WINDOW_START) {
        assert.equal(own.length, 0);
        continue;
      }
      const newest = own.at(-1)!;
      assert.deepEqual([t(newest.date), newest.ip], [t(user.last_login), user.last_ip], user.user_id);
      const password = user.identities[0].connection === 'Username-Password-Authentication';
      for (const log of own) {
        assert.ok(log.type === 's' || log.type === 'ss');
        assert.deepEqual([log.connection, log.strategy, log.strategy_type], [user.identities[0].connection, password ? 'auth0' : log.connection, password ? 'database' : 'social']);
        assert.deepEqual([log.client_id, log.user_name], ['storefront', user.email ?? user.nickname]);
      }
    }
  });
});
