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

const USAGE = `Usage: npm run -s insole -- <command> [options]   (-s: npm prints no banner, so stdout holds only the output)

Commands (each takes the options shown with it; any other is refused):
  clients create --name NAME --redirect-uri URL [--redirect-uri URL …] [--post-logout-uri URL …]
                 [--id CLIENT_ID] [--public] [--third-party]
                 [--backchannel-logout-uri URL [--backchannel-logout-session-required true|false]]
                 Registers a relying party and prints its client secret once. With a back-channel
                 logout URI (https; http only for localhost outside production) it is sent a logout
                 token when a session it signed in to ends; sid is required unless set to false.
  clients update --id CLIENT_ID [--name NAME] [--redirect-uri URL …] [--post-logout-uri URL …]
                 [--backchannel-logout-uri URL|""] [--backchannel-logout-session-required true|false]
                 Changes a client stored in the database (lists given replace the stored ones;
                 --backchannel-logout-uri "" stops back-channel logout). Running instances use it at once.
  clients create --m2m --scopes read:users,read:logs [--audience API] [--name NAME] [--id CLIENT_ID]
                 Registers a machine-to-machine client (client_credentials, secret in the form) granted
                 these scopes of the Management API (/api/v2), or of the API in config (apis) whose
                 identifier is --audience, and prints its client secret once.
  clients list   Lists clients stored in the database and their grants (clients from config files are not listed).
  keys rotate [--activate-in SECONDS]
                 Publishes a new signing key at once; it signs after signing_keys.activate_after_seconds
                 (or SECONDS), and the old ones stay in the JWKS until their tokens expire. Running
                 instances pick it up within signing_keys.refresh_seconds: no restart.
  keys list      Lists signing keys (public part only) and their state.
  keys revoke --kid KID
                 Takes a compromised key out of the JWKS at once (not the one that signs: rotate first).
  keys reseal    Seals again with INSOLE_KEY_ENCRYPTION_KEY every secret at rest that a key of
                 INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS sealed (signing keys, client secrets, social
                 provider tokens); safe while serving, and again. Prints counts, and whether a previous
                 key is still needed (exit code 1 while one is). Run with the servers' keys: refused
                 while an instance seen in the last 3 signing_keys.refresh_seconds seals with another.
  keys dashboard-secret --replace
                 Writes a new client secret for the dashboard (insole-dashboard), sealed; never printed.
                 Instances read it at start: restart every instance after it (until all have, a
                 dashboard sign-in may fail with "Sign-in unavailable").
  users unblock --email ADDRESS
                 Lifts the brute-force blocks of a user (the IPs in blocked_for).
  users unlink --email ADDRESS --connection google-oauth2|facebook|twitter
                 Removes a linked (secondary) social identity from a user.
  users grant-admin --email ADDRESS [--role ROLE]
                 Gives a user a dashboard role (app_metadata.roles; default admin; roles in config dashboard.roles).
  users export [--format json|csv] [--fields user_id,email,user_metadata.country,…] [--output FILE]
               [--connection NAME] [--limit N]
                 Writes users as the export job does (json: NDJSON, one user per line; csv: Auth0's
                 escaping), to FILE (created, never overwritten; it appears only when complete, mode 0600)
                 or stdout; no secrets, no gzip.
  users import --file FILE [--upsert]
                 Imports users as the import job does (a JSON array in Auth0's bulk-import format,
                 or NDJSON such as an export); prints each refused record, exits 1 if any was.
  reindex        Computes every user's facts again (after changing insight.interests or the lifecycle
                 windows, or for users stored before insight existed), with a progress bar; saved
                 segments are re-evaluated and real changes recorded as events. Safe while serving.
  seed --users N [--seed S] [--months M] [--now ISO] [--append] [--force]
                 Creates N made-up InnovaShoes shoppers for demos and benchmarks: the connection mix,
                 FullContact enrichment, Facebook likes, X handles and sentiment, sign-in histories over
                 M months (12) up to --now (now) with their facts and lifecycle, and the log events of the
                 last 90 days. The same --seed (1) and --now give the same shoppers; addresses are
                 @*.example. Writes straight to MongoDB: no hook runs and nothing is published to
                 RabbitMQ. Refused with NODE_ENV=production (unless --force), and when the database
                 already has more than a few users (unless --append).
  report segment [--gender male] [--age 20-40] [--interest fitness …] [--country DE …] [--connection NAME]
                 [--lifecycle STATE] [--filter JSON]
                 The users of a segment (the segment filter language; all options must hold): email, name,
                 user_id, gender, age_min, age_max, country, city, interests_matched, connection.
  report dormant [--mode never_returned|inactive] [--days N] [--connection NAME]
                 [--created-from DATE] [--created-to DATE]
                 never_returned: not back after the sign-up session, signed up at least N days ago
                 (default insight.lifecycle.new_days); inactive: came back once, no sign-in for N days
                 (default dormant_days). Oldest sign-up first.
  report sentiment [--label negative|neutral|positive]
                 Users whose tweets were analysed, most negative first.
  Every report: [--format csv|ndjson] (default csv) [--output FILE [--force]]
                 The Management API's rows and CSV escaping, every row, to FILE (never replaced
                 without --force; it appears, or replaces the old one, only when complete, mode 0600)
                 or stdout; the row count goes to stderr.`;

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
