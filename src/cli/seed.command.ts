import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createUserModel } from '../users/user.model.ts';
import { CliError } from './cli-database.ts';
import { createProgressBar, type ProgressOutput } from './progress-bar.ts';
import { LOG_DAYS, shopperPlan } from './seed/seed-plan.ts';
import { seedShoppers } from './seed/seed-shoppers.ts';
import { SeedSummary } from './seed/seed-summary.ts';

export interface SeedOptions { users: number; seed: number; months: number; now: Date; append: boolean; force: boolean }

type SeedValues = { users?: string; seed?: string; months?: string; now?: string; append?: boolean; force?: boolean };

/** A database with more users than this is somebody's store, not a fresh install: seeding it takes --append. */
export const FEW_USERS = 10;
export const MAX_USERS = 10_000_000;

function wholeNumber(name: string, value: string | undefined, fallback: number | undefined, min: number, max: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(`--${name} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}${value === undefined ? '' : `, not "${value}"`}.`);
  }
  return Number(value);
}

function moment(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(date.getTime())) {
    throw new CliError(`--now must be an ISO date or date-time (2026-03-01, 2026-03-01T12:00:00Z), not "${value}".`);
  }
  return date;
}

/** Checked before anything is connected to or written. */
export function parseSeedOptions(values: SeedValues): SeedOptions {
  return {
    users: wholeNumber('users', values.users, undefined, 1, MAX_USERS),
    seed: wholeNumber('seed', values.seed, 1, 0, 2 ** 32 - 1),
    months: wholeNumber('months', values.months, 12, 1, 120),
    now: moment(values.now),
    append: values.append === true,
    force: values.force === true,
  };
}

/**
 * Made-up shoppers next to real customers would end up in reports, segments and campaign mails,
 * and only their .example addresses tell them apart: never by accident on a production store,
 * nor on a database that already has users.
 */
async function refuseUnlessWanted(config: Config, options: SeedOptions, existingUsers: () => Promise<number>): Promise<number> {
  if (config.env === 'production' && !options.force) {
    throw new CliError('Refusing to seed with NODE_ENV=production: made-up shoppers would mix with real customers in reports, segments and campaign lists. Pass --force if this is a demo install.');
  }
  const existing = await existingUsers();
  if (existing > FEW_USERS && !options.append) {
    throw new CliError(`The database already has ${existing.toLocaleString('en-US')} users. Seeding adds made-up shoppers to them: pass --append if that is what you want.`);
  }
  return existing;
}

export interface SeedOutput { log(line: string): void; progress: ProgressOutput }

export async function seedCommand(connection: Connection, config: Config, options: SeedOptions, output: SeedOutput = { log: console.log, progress: process.stderr }): Promise<SeedSummary> {
  const users = createUserModel(connection);
  const logs = createLogModel(connection);
  const existing = await refuseUnlessWanted(config, options, () => users.collection.countDocuments());
  // The indexes first: a unique user_id and email are what make --append skip a shopper already
  // there. (Building them after the load was tried: 1.3× faster on the in-memory dev server, but
  // 2× slower on the H2 file store `npm start` uses, whose index builds do not scale.)
  await Promise.all([users.init(), logs.init()]);
  const plan = shopperPlan(config, options);
  output.progress.write(`Seeding ${options.users.toLocaleString('en-US')} shoppers into "${connection.name}" (seed ${options.seed}, ${options.months} months to ${options.now.toISOString()}, log events of the last ${LOG_DAYS} days). Written directly: nothing goes to RabbitMQ, no hook runs.\n`);
  const started = performance.now();
  const progress = createProgressBar(output.progress, { total: options.users, unit: 'users' });
  const summary = new SeedSummary(options.now);
  try {
    await seedShoppers({ users: users.collection, logs: logs.collection }, plan, { count: options.users, firstNumber: existing }, summary, progress);
  } catch (err) {
    if (!(err as Error).name?.startsWith('Mongo')) throw err;
    if (output.progress.isTTY) output.progress.write('\n');
    throw new CliError(`The database failed after ${summary.users.toLocaleString('en-US')} shoppers were written (${(err as Error).message}). `
      + 'Those are complete; the batch being written may be in part, without its log events. To add more, run seed again with --append: the numbering continues.');
  }
  output.log(summary.format((performance.now() - started) / 1000));
  return summary;
}
