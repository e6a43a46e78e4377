// The command-line tool: `npm run insole -- <command>`. Talks to the same MongoDB as the server.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { CliError, connectToConfiguredDatabase } from './cli-database.ts';
import { createClient, listClients } from './clients.command.ts';
import { listKeys, revokeKey, rotateKeys } from './keys.command.ts';
import { parseSeedOptions, seedCommand } from './seed.command.ts';
import { unblockUser, unlinkIdentity } from './users.command.ts';

const USAGE = `Usage: npm run insole -- <command> [options]

Commands:
  clients create --name NAME --redirect-uri URL [--redirect-uri URL …] [--post-logout-uri URL …]
                 [--id CLIENT_ID] [--public] [--third-party]
                 Registers a relying party and prints its client secret once.
  clients create --m2m --scopes read:users,read:logs [--name NAME] [--id CLIENT_ID]
                 Registers a machine-to-machine client of the Management API (/api/v2) with these
                 scopes (client_credentials, secret in the form) and prints its client secret once.
  clients list   Lists clients stored in the database and their grants (clients from config files are not listed).
  keys rotate [--activate-in SECONDS]
                 Publishes a new signing key at once; it signs after signing_keys.activate_after_seconds
                 (or SECONDS), and the old ones stay in the JWKS until their tokens expire. Running
                 instances pick it up within signing_keys.refresh_seconds: no restart.
  keys list      Lists signing keys (public part only) and their state.
  keys revoke --kid KID
                 Takes a compromised key out of the JWKS at once (not the one that signs: rotate first).
  users unblock --email ADDRESS
                 Lifts the brute-force blocks of a user (the IPs in blocked_for).
  users unlink --email ADDRESS --connection google-oauth2|facebook|twitter
                 Removes a linked (secondary) social identity from a user.
  seed --users N [--seed S] [--months M] [--now ISO] [--append] [--force]
                 Creates N made-up InnovaShoes shoppers for demos and benchmarks: the connection mix,
                 FullContact enrichment, Facebook likes, X handles and sentiment, sign-in histories over
                 M months (12) up to --now (now) with their facts and lifecycle, and the log events of the
                 last 90 days. The same --seed (1) and --now give the same shoppers; addresses are
                 @*.example. Writes straight to MongoDB: no hook runs and nothing is published to
                 RabbitMQ. Refused with NODE_ENV=production (unless --force), and when the database
                 already has more than a few users (unless --append).`;

/** `--activate-in`: whole seconds, 0 or more; checked before anything is written. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new CliError(`--activate-in must be a whole number of seconds, not "${value}"`);
  return Number(value);
}

export async function runCli(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      name: { type: 'string' }, id: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true }, 'post-logout-uri': { type: 'string', multiple: true },
      email: { type: 'string' }, connection: { type: 'string' }, 'activate-in': { type: 'string' }, kid: { type: 'string' },
      public: { type: 'boolean' }, 'third-party': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      m2m: { type: 'boolean' }, scopes: { type: 'string' },
      users: { type: 'string' }, seed: { type: 'string' }, months: { type: 'string' }, now: { type: 'string' },
      append: { type: 'boolean' }, force: { type: 'boolean' },
    },
  });
  const command = positionals.join(' ');
  const known = ['clients create', 'clients list', 'keys rotate', 'keys list', 'keys revoke', 'users unblock', 'users unlink', 'seed'];
  if (values.help || !known.includes(command)) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const activateIn = seconds(values['activate-in']);
  const seedOptions = command === 'seed' ? parseSeedOptions(values) : undefined;
  const config = loadConfig();
  const db = await connectToConfiguredDatabase(config);
  try {
    if (command === 'clients create') await createClient(db.connection, config, values);
    if (command === 'clients list') await listClients(db.connection);
    if (command === 'keys rotate') await rotateKeys(db.connection, config, activateIn);
    if (command === 'keys list') await listKeys(db.connection);
    if (command === 'keys revoke') await revokeKey(db.connection, config, values.kid);
    if (command === 'users unblock') await unblockUser(db.connection, config, values.email);
    if (command === 'users unlink') await unlinkIdentity(db.connection, config, values.email, values.connection);
    if (seedOptions) await seedCommand(db.connection, config, seedOptions);
    return 0;
  } finally {
    await db.close();
  }
}

if (import.meta.main) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof ConfigError || (err as Error)?.name === 'CliError' ? (err as Error).message : err);
    process.exit(1);
  });
}
