import type { Check, CrashWindow } from './audit.ts';
import type { Window } from './figures.ts';
import type { History } from './load.ts';
import type { Suite } from './suite.ts';

/** How long each phase lasts. CI shortens the figures (see run.ts); `--full` uses them. */
export interface Durations {
  /** Load before the fault, for a baseline. */
  baseMs: number;
  /** Load after recovery. */
  tailMs: number;
  brokerMs: number;
  databaseMs: number;
  /** Each of the two API-outage phases (FullContact 503 + X hanging, then the other way round). */
  apiPhaseMs: number;
  /** Bound on waiting for background work to finish before an audit. */
  settleMs: number;
}

export interface ScenarioContext {
  suite: Suite;
  history: History;
  durations: Durations;
  /** Jobs a crash or the database's loss interrupted: the audit accepts a repeated API effect for these only. */
  crash: CrashWindow;
  /** Stops the load and waits for every shopper's retries (call before checking failures). */
  stopLoad(): Promise<void>;
}

export interface ScenarioOutcome {
  windows: Window[];
  figures: Record<string, string | number>;
  checks: Check[];
}

export interface Scenario {
  name: string;
  title: string;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

export const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });
