import type { LogDoc } from '../../logs/log.model.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { ProgressBar } from '../progress-bar.ts';
import { SeedSummary } from './seed-summary.ts';
import { generateShopper, type Shopper, type ShopperPlan } from './shopper.ts';

/** What the seed writes to: the driver's collections (users, logs), bulk inserts only. */
export interface InsertTarget<T> {
  insertMany(docs: T[], options: { ordered: false }): Promise<unknown>;
}

export interface SeedTargets {
  users: InsertTarget<UserDoc>;
  logs: InsertTarget<LogDoc>;
}

export interface SeedRun {
  count: number;
  /** The number of the first shopper (emails end with it): the users already there, so appending never reuses one. */
  firstNumber: number;
  batchSize?: number;
}

/** A few thousand documents per insertMany: few round trips, and memory bounded by two batches. */
export const BATCH_SIZE = 2_000;

type WriteError = { index: number; code?: number };

/**
 * Inserts all it can (unordered) and returns the positions refused as duplicates (a user_id or
 * email already there, when appending). Any other failure is thrown.
 */
async function insertSkippingDuplicates<T>(target: InsertTarget<T>, docs: T[]): Promise<Set<number>> {
  try {
    await target.insertMany(docs, { ordered: false });
    return new Set();
  } catch (err) {
    const errors = (err as { writeErrors?: WriteError | WriteError[] }).writeErrors;
    const list = errors === undefined ? [] : Array.isArray(errors) ? errors : [errors];
    if (!list.length || list.some((e) => e.code !== 11000)) throw err;
    return new Set(list.map((e) => e.index));
  }
}

async function writeBatch(targets: SeedTargets, shoppers: Shopper[], summary: SeedSummary): Promise<void> {
  const skipped = await insertSkippingDuplicates(targets.users, shoppers.map((s) => s.user));
  const written = shoppers.filter((_, index) => !skipped.has(index));
  const logs = written.flatMap((s) => s.logs);
  const skippedLogs = logs.length ? await insertSkippingDuplicates(targets.logs, logs) : new Set();
  for (const shopper of written) summary.add(shopper.user, shopper.logs.length);
  summary.logs -= skippedLogs.size;
  summary.skipped += skipped.size;
}

/**
 * Generates and writes `run.count` shoppers, a batch at a time, counting them into `summary` (the
 * caller's, so that a failure still tells how far it got): the next batch is generated while the
 * previous one is being written (generation is CPU, writing mostly waiting on the database), and
 * never more than those two are in memory, so a million users need no more than a thousand.
 */
export async function seedShoppers(targets: SeedTargets, plan: ShopperPlan, run: SeedRun, summary: SeedSummary, progress?: ProgressBar): Promise<void> {
  const size = run.batchSize ?? BATCH_SIZE;
  let writing: Promise<void> = Promise.resolve();
  for (let from = 0; from < run.count; from += size) {
    const length = Math.min(size, run.count - from);
    const shoppers = Array.from({ length }, (_, i) => generateShopper(plan, run.firstNumber + from + i));
    await writing;
    progress?.update(summary.users + summary.skipped);
    writing = writeBatch(targets, shoppers, summary);
  }
  await writing;
  progress?.update(summary.users + summary.skipped);
  progress?.finish();
}
