import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mongoose from 'mongoose';
import { lifecycleOf, type Lifecycle, type LifecycleState } from '../src/insight/lifecycle/lifecycle-state.ts';
import { LIFECYCLE_STATE_PATH, sweepThresholds } from '../src/insight/lifecycle/lifecycle-sweep.ts';
import { onSignIn, onTick } from '../src/insight/lifecycle/lifecycle-transitions.ts';
import { lifecycleWindowsSchema, type LifecycleWindows } from '../src/insight/lifecycle/lifecycle-windows.ts';
import { insightConfigSchema } from '../src/insight/insight-config.ts';
import { createUserModel } from '../src/users/user.model.ts';

const windows: LifecycleWindows = { new_days: 14, active_days: 30, dormant_days: 90 };
const DAY = 86_400_000;
const C = new Date('2025-01-01T12:00:00Z');
const at = (days: number, ms = 0) => new Date(C.getTime() + days * DAY + ms);

/** A user as the repository keeps it, and its stored lifecycle, driven by sign-ins and sweeps at chosen times. */
class Shopper {
  user: { created_at: Date; last_login?: Date; logins_count: number };
  facts: { lifecycle?: Lifecycle } = {};
  entered: Lifecycle[] = [];
  readonly w: LifecycleWindows;

  constructor(signedInAtSignUp: boolean, w: LifecycleWindows = windows) {
    this.w = w;
    this.user = { created_at: C, logins_count: signedInAtSignUp ? 1 : 0, ...(signedInAtSignUp ? { last_login: C } : {}) };
    this.facts.lifecycle = lifecycleOf(this.user, w, C);
  }

  signIn(now: Date): this {
    const change = onSignIn(this.facts, this.user, { windows: this.w, now });
    this.user = { ...this.user, last_login: now, logins_count: this.user.logins_count + 1 };
    return this.record(change);
  }

  sweep(now: Date): this {
    return this.record(onTick(this.facts, this.user, { windows: this.w, now }));
  }

  private record({ lifecycle, entered }: { lifecycle: Lifecycle; entered: Lifecycle[] }): this {
    this.facts = { lifecycle };
    this.entered = entered;
    return this;
  }

  get state(): LifecycleState {
    return this.facts.lifecycle!.state;
  }
}

const steps = (entered: Lifecycle[]) => entered.map((l) => `${l.state}@${(l.since.getTime() - C.getTime()) / DAY}`);

describe('lifecycle transitions, driven by the clock', () => {
  const table: [string, () => Shopper, LifecycleState, string[]][] = [
    ['a social sign-up is new', () => new Shopper(true).sweep(at(13)), 'new', []],
    ['new → never_returned once new_days pass without a return (half-open: at exactly 14 days)', () => new Shopper(true).sweep(at(14, -1)).sweep(at(14)), 'never_returned', ['never_returned@14']],
    ['new → active on a return', () => new Shopper(true).signIn(at(3)), 'active', ['active@3']],
    ['a return one millisecond before new_days end: active', () => new Shopper(true).signIn(at(14, -1)), 'active', [`active@${14 - 1 / DAY}`]],
    ['a return at exactly new_days: it was never_returned, so reactivated', () => new Shopper(true).signIn(at(14)), 'reactivated', ['never_returned@14', 'reactivated@14']],
    ['never_returned → reactivated on sign-in', () => new Shopper(true).sweep(at(20)).signIn(at(40)), 'reactivated', ['reactivated@40']],
    ['active → lapsing at exactly active_days after the last sign-in', () => new Shopper(true).signIn(at(3)).sweep(at(33, -1)).sweep(at(33)), 'lapsing', ['lapsing@33']],
    ['lapsing → dormant at exactly dormant_days after it', () => new Shopper(true).signIn(at(3)).sweep(at(40)).sweep(at(93, -1)).sweep(at(93)), 'dormant', ['dormant@93']],
    ['a late sweep reports every state passed through, each when its window closed', () => new Shopper(true).signIn(at(3)).sweep(at(200)), 'dormant', ['lapsing@33', 'dormant@93']],
    ['lapsing → active on sign-in (not reactivated: never dormant)', () => new Shopper(true).signIn(at(3)).sweep(at(50)).signIn(at(60)), 'active', ['active@60']],
    ['dormant → reactivated on sign-in', () => new Shopper(true).signIn(at(3)).sweep(at(100)).signIn(at(120)), 'reactivated', ['reactivated@120']],
    ['a sign-in while the sweep still says active, 100 days on: lapsing and dormant, then reactivated', () => new Shopper(true).signIn(at(3)).signIn(at(103)), 'reactivated', ['lapsing@33', 'dormant@93', 'reactivated@103']],
    ['reactivated stays so for active_days, sign-ins included', () => new Shopper(true).sweep(at(20)).signIn(at(40)).signIn(at(50)).sweep(at(70, -1)), 'reactivated', []],
    ['reactivated → active after active_days when the shopper came again', () => new Shopper(true).sweep(at(20)).signIn(at(40)).signIn(at(50)).sweep(at(70)), 'active', ['active@70']],
    ['reactivated → lapsing after active_days when they did not (a win-back that did not stick)', () => new Shopper(true).sweep(at(20)).signIn(at(40)).sweep(at(70)), 'lapsing', ['lapsing@70']],
    ['verify-first: opening the link is the sign-up session, not a return', () => new Shopper(false).signIn(at(0, 3_600_000)), 'new', []],
    ['verify-first: no sign-in after the link → never_returned', () => new Shopper(false).signIn(at(0, 3_600_000)).sweep(at(15)), 'never_returned', ['never_returned@14']],
    ['verify-first: the link opened on day 20 is a return from never_returned', () => new Shopper(false).signIn(at(20)), 'reactivated', ['never_returned@14', 'reactivated@20']],
    ['an imported user (0 logins) is never_returned after new_days, reactivated by a first sign-in', () => new Shopper(false).sweep(at(30)).signIn(at(45)), 'reactivated', ['reactivated@45']],
    ['with active_days = dormant_days there is no lapsing', () => new Shopper(true, { new_days: 14, active_days: 60, dormant_days: 60 }).signIn(at(3)).sweep(at(63)), 'dormant', ['dormant@63']],
  ];
  for (const [title, run, state, entered] of table) {
    test(title, () => {
      const shopper = run();
      assert.equal(shopper.state, state);
      assert.deepEqual(steps(shopper.entered), entered);
    });
  }

  test('an active shopper who keeps coming stays active since the first return', () => {
    const shopper = new Shopper(true).signIn(at(3)).signIn(at(20)).signIn(at(45)).sweep(at(60));
    assert.deepEqual(shopper.facts.lifecycle, { state: 'active', since: at(3) });
  });

  test('a first computation (no stored lifecycle) reports the state and no events', () => {
    const change = onTick(undefined, { created_at: C, last_login: at(5), logins_count: 4 }, { windows, now: at(200) });
    assert.deepEqual(change, { lifecycle: { state: 'dormant', since: at(95) }, entered: [] });
  });

  test('nothing changes when no window closed', () => {
    const shopper = new Shopper(true).signIn(at(3)).sweep(at(10)).sweep(at(20));
    assert.deepEqual([shopper.state, shopper.entered], ['active', []]);
  });
});

describe('sweep thresholds', () => {
  // A tiny deterministic generator, so a failure can be replayed.
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

  test('a user matches a threshold exactly when time alone changes their state (3,000 random histories)', () => {
    for (let n = 0; n < 3000; n++) {
      const shopper = new Shopper(random() < 0.7);
      let now = C.getTime();
      for (let event = 0; event < 8; event++) {
        now += Math.floor(random() * 80 * DAY) + (random() < 0.2 ? 0 : Math.floor(random() * DAY));
        const stored = shopper.facts.lifecycle!;
        const condition = sweepThresholds(windows, new Date(now)).find((c) => c.state === stored.state);
        const value = condition?.field === 'created_at' ? shopper.user.created_at : condition?.field === 'last_login' ? shopper.user.last_login : stored.since;
        const selected = Boolean(condition && value && value <= condition.at_or_before);
        const moved = onTick(shopper.facts, shopper.user, { windows, now: new Date(now) }).lifecycle.state !== stored.state;
        assert.equal(selected, moved, `history ${n}, event ${event}: stored ${stored.state}, day ${(now - C.getTime()) / DAY}`);
        if (random() < 0.5) shopper.signIn(new Date(now));
        else shopper.sweep(new Date(now));
      }
    }
  });

  test('thresholds are the windows counted back from now', () => {
    const now = at(100);
    assert.deepEqual(sweepThresholds(windows, now), [
      { state: 'new', field: 'created_at', at_or_before: at(86) },
      { state: 'active', field: 'last_login', at_or_before: at(70) },
      { state: 'lapsing', field: 'last_login', at_or_before: at(10) },
      { state: 'reactivated', field: 'facts.lifecycle.since', at_or_before: at(70) },
    ]);
  });

  test('each threshold has its (state, date) index on users, so a sweep reads the users it may move, not a whole state', () => {
    const indexes = createUserModel(mongoose.createConnection()).schema.indexes().map(([keys]) => Object.keys(keys));
    for (const { state, field } of sweepThresholds(windows, at(100))) {
      assert.ok(indexes.some((keys) => keys[0] === LIFECYCLE_STATE_PATH && keys[1] === field), `no index on (${LIFECYCLE_STATE_PATH}, ${field}) for ${state}`);
    }
  });
});

describe('config insight.lifecycle', () => {
  test('defaults 14 / 30 / 90 days', () => {
    assert.deepEqual(insightConfigSchema.parse({}).lifecycle, { new_days: 14, active_days: 30, dormant_days: 90 });
  });

  test('active_days may not exceed dormant_days; windows are whole positive days', () => {
    const refused = [{ active_days: 100 }, { new_days: 0 }, { dormant_days: 1.5 }, { weeks: 2 }];
    for (const lifecycle of refused) assert.equal(lifecycleWindowsSchema.safeParse(lifecycle).success, false, JSON.stringify(lifecycle));
    const issue = insightConfigSchema.safeParse({ lifecycle: { active_days: 100 } }).error!.issues[0];
    assert.deepEqual(issue.path, ['lifecycle', 'active_days']);
    assert.equal(lifecycleWindowsSchema.safeParse({ new_days: 60, active_days: 30, dormant_days: 30 }).success, true);
  });
});
