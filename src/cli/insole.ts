#!/usr/bin/env node
// The command-line tool: `npm run insole -- <command>`. Talks to the same MongoDB as the server.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import type { ProductionCheck } from '../config/production-checks.ts';
import { isOperatorMistake } from '../operator-mistakes.ts';
import { CliError, connectToConfiguredDatabase } from './cli-database.ts';
import { createClient, listClients, updateClient } from './clients.command.ts';
import { listKeys, replaceDashboardSecret, revokeKey, rotateKeys } from './keys.command.ts';
import { planReport, REPORT_OPTIONS, rowFormat, type ReportPlan } from './report-params.ts';
import { writeReport } from './report.command.ts';
import { parseSeedOptions, seedCommand } from './seed.command.ts';
import { reindexCommand } from './reindex.command.ts';
import { resealCommand } from './reseal.command.ts';
import { exportUsersToFile, importUsersFromFile } from './user-jobs.command.ts';
import { grantRole, unblockUser, unlinkIdentity } from './users.command.ts';
import { USAGE } from './usage.ts';

/** `--activate-in`: whole seconds, 0 or more; checked before anything is written. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new CliError(`--activate-in must be a whole number of seconds, not "${value}"`);
  return Number(value);
}

/** Every command's options: parseArgs takes them all, whichever command is run. */
const OPTIONS = {
  name: { type: 'string' }, id: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true }, 'post-logout-uri': { type: 'string', multiple: true },
  'backchannel-logout-uri': { type: 'string' }, 'backchannel-logout-session-required': { type: 'string' },
  email: { type: 'string' }, connection: { type: 'string' }, 'activate-in': { type: 'string' }, kid: { type: 'string' },
  public: { type: 'boolean' }, 'third-party': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  m2m: { type: 'boolean' }, scopes: { type: 'string' }, audience: { type: 'string' }, role: { type: 'string' },
  format: { type: 'string' }, fields: { type: 'string' }, output: { type: 'string' }, limit: { type: 'string' },
  file: { type: 'string' }, upsert: { type: 'boolean' },
  users: { type: 'string' }, seed: { type: 'string' }, months: { type: 'string' }, now: { type: 'string' }, append: { type: 'boolean' },
  gender: { type: 'string' }, age: { type: 'string' }, interest: { type: 'string', multiple: true }, country: { type: 'string', multiple: true },
  lifecycle: { type: 'string' }, filter: { type: 'string' }, mode: { type: 'string' }, days: { type: 'string' },
  'created-from': { type: 'string' }, 'created-to': { type: 'string' }, label: { type: 'string' }, force: { type: 'boolean' },
  replace: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

/**
 * parseArgs' own refusals (an option no command has, an option without its value) are usage
 * errors like the others: one line and exit code 1, not a TypeError and its stack.
 */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (!code?.startsWith('ERR_PARSE_ARGS_')) throw err;
    // Node's advice on positionals after `--` does not fit `npm run insole --`, which already has one.
    throw new CliError(`${message.replace(/\. To specify a positional argument[^]*$/, '')} (npm run insole -- --help lists each command's options)`);
  }
}

/**
 * Each command and its own options (those of USAGE). Since parseArgs accepts every command's
 * options, any other one (`users export --label`, `keys list --force`) is refused rather than
 * silently ignored.
 */
const COMMANDS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  'clients create': ['name', 'id', 'redirect-uri', 'post-logout-uri', 'public', 'third-party', 'm2m', 'scopes', 'audience', 'backchannel-logout-uri', 'backchannel-logout-session-required'],
  'clients update': ['id', 'name', 'redirect-uri', 'post-logout-uri', 'backchannel-logout-uri', 'backchannel-logout-session-required'],
  'clients list': [],
  'keys rotate': ['activate-in'],
  'keys list': [],
  'keys revoke': ['kid'],
  'keys reseal': [],
  'keys dashboard-secret': ['replace'],
  'users unblock': ['email'],
  'users unlink': ['email', 'connection'],
  'users grant-admin': ['email', 'role'],
  'users export': ['format', 'fields', 'output', 'connection', 'limit'],
  'users import': ['file', 'upsert'],
  ...Object.fromEntries(Object.entries(REPORT_OPTIONS).map(([kind, options]) => [`report ${kind}`, options])),
  seed: ['users', 'seed', 'months', 'now', 'append', 'force'],
  reindex: [],
};

/**
 * Production's checks (config/production-checks.ts) a command needs: the database, and the key
 * encryption key where it seals one. None needs the server's TLS proxy, cookie keys or mail relay,
 * which refused every command where only the servers had them.
 */
const SEALING = ['clients create', 'clients update', 'keys rotate', 'keys reseal', 'keys dashboard-secret'];
const productionChecksOf = (command: string): ProductionCheck[] => (SEALING.includes(command) ? ['database', 'key_encryption_key'] : ['database']);

export async function runCli(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandLine(argv);
  const command = positionals.join(' ');
  // Own keys only: `insole constructor` is not a command.
  if (values.help || !Object.hasOwn(COMMANDS, command)) {
    if (!values.help && command) console.error(`insole has no command "${command}".\n`);
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const foreign = Object.keys(values).filter((name) => !COMMANDS[command].includes(name as keyof typeof OPTIONS));
  if (foreign.length) throw new CliError(`${command} has no option ${foreign.map((name) => `--${name}`).join(', ')}`);
  const activateIn = seconds(values['activate-in']);
  // A report's options are checked before the database is opened.
  const report: ReportPlan | undefined = positionals[0] === 'report' ? planReport(positionals[1] as ReportPlan['kind'], values) : undefined;
  const format = report ? rowFormat(values.format) : undefined;
  const seedOptions = command === 'seed' ? parseSeedOptions(values) : undefined;
  const config = loadConfig({ production: productionChecksOf(command) });
  const db = await connectToConfiguredDatabase(config);
  try {
    if (command === 'clients create') await createClient(db.connection, config, values);
    if (command === 'clients update') await updateClient(db.connection, config, values);
    if (command === 'clients list') await listClients(db.connection);
    if (command === 'keys rotate') await rotateKeys(db.connection, config, activateIn);
    if (command === 'keys list') await listKeys(db.connection);
    if (command === 'keys revoke') await revokeKey(db.connection, config, values.kid);
    if (command === 'keys reseal') return await resealCommand(db.connection, config);
    if (command === 'keys dashboard-secret') await replaceDashboardSecret(db.connection, config, values.replace);
    if (command === 'users unblock') await unblockUser(db.connection, config, values.email);
    if (command === 'users unlink') await unlinkIdentity(db.connection, config, values.email, values.connection);
    if (command === 'users grant-admin') await grantRole(db.connection, config, values.email, values.role);
    if (command === 'users export') await exportUsersToFile(db.connection, config, values);
    if (command === 'users import') return await importUsersFromFile(db.connection, config, values.file, values.upsert ?? false);
    if (report) await writeReport(db.connection, config, report, { format: format!, output: values.output, force: values.force });
    if (seedOptions) await seedCommand(db.connection, config, seedOptions);
    if (command === 'reindex') console.log(`Reindexed ${await reindexCommand(db.connection, config)} user(s).`);
    return 0;
  } finally {
    await db.close();
  }
}

if (import.meta.main) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    console.error(isOperatorMistake(err) ? err.message : err);
    process.exit(1);
  });
}
