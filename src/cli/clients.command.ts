import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { MANAGEMENT_SCOPES } from '../admin/management-api.ts';
import { backchannelLogoutUriProblem } from '../config/backchannel-logout-uri.ts';
import { clientSchema, type Config } from '../config/schema.ts';
import { clientSecretsBox, sealClientSecret } from '../oidc/client-secrets.ts';
import { DASHBOARD_CLIENT_ID } from '../oidc/dashboard-client.ts';
import { checkKeyEncryptionKey, signingKeysBox } from '../oidc/signing-keys.ts';
import { CliError } from './cli-database.ts';

interface BackchannelOptions { 'backchannel-logout-uri'?: string; 'backchannel-logout-session-required'?: string }

interface CreateOptions extends BackchannelOptions {
  name?: string; id?: string; public?: boolean; 'third-party'?: boolean;
  'redirect-uri'?: string[]; 'post-logout-uri'?: string[];
  m2m?: boolean; scopes?: string; audience?: string;
}

interface UpdateOptions extends BackchannelOptions { id?: string; name?: string; 'redirect-uri'?: string[]; 'post-logout-uri'?: string[] }

/**
 * Back-channel logout metadata from the options (README "Back-channel logout"): the URI must be
 * https (http only for a loopback host, never in production), checked here with the environment
 * the schema does not know. Undefined when neither option was given.
 */
function backchannelMetadata(options: BackchannelOptions, config: Config): { backchannel_logout_uri?: string; backchannel_logout_session_required?: boolean } | undefined {
  const uri = options['backchannel-logout-uri'];
  const required = options['backchannel-logout-session-required'];
  if (required !== undefined && required !== 'true' && required !== 'false') {
    throw new CliError(`--backchannel-logout-session-required is true or false, not "${required}"`);
  }
  if (uri === undefined && required === undefined) return undefined;
  const problem = uri ? backchannelLogoutUriProblem(uri, config.env) : undefined;
  if (problem) throw new CliError(`--backchannel-logout-uri ${problem}; "${uri}" is not.`);
  return {
    ...(uri ? { backchannel_logout_uri: uri } : {}),
    ...(required === undefined ? {} : { backchannel_logout_session_required: required === 'true' }),
  };
}

/** A checked client as the database keeps it: no undefined fields, its secret sealed. */
const storedPayload = (client: Record<string, unknown>, config: Config) =>
  sealClientSecret(Object.fromEntries(Object.entries(client).filter(([, v]) => v !== undefined)), clientSecretsBox(config));

const issuesOf = (error: { issues: { path: PropertyKey[]; message: string }[] }) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  - ');

/**
 * A machine-to-machine client as Auth0 makes one: client_credentials only, the secret sent in the
 * form (what Auth0's SDKs do), no redirect URIs, and a grant of these scopes of the Management API
 * or, with --audience, of an API in config (client_credentials gets no token for an API without one).
 */
function m2mMetadata(options: CreateOptions, config: Config) {
  if (options.public || options['redirect-uri']?.length || options['post-logout-uri']?.length || options['backchannel-logout-uri'] !== undefined) {
    throw new CliError('A --m2m client signs no users in: it takes no --public, --redirect-uri, --post-logout-uri or --backchannel-logout-uri.');
  }
  const api = options.audience === undefined ? undefined : config.apis.find((candidate) => candidate.identifier === options.audience);
  if (options.audience !== undefined && !api) {
    throw new CliError(`Unknown API: ${options.audience} (in config: ${config.apis.map((known) => known.identifier).join(', ') || 'none'})`);
  }
  const [name, known]: [string, readonly string[]] = api ? [api.identifier, api.scopes] : ['Management API', MANAGEMENT_SCOPES];
  const scopes = [...new Set((options.scopes ?? '').split(',').map((scope) => scope.trim()).filter(Boolean))];
  if (!scopes.length) throw new CliError(`Say which scopes: --scopes ${known.slice(0, 2).join(',')} (known: ${known.join(', ')})`);
  const unknown = scopes.filter((scope) => !known.includes(scope));
  if (unknown.length) throw new CliError(`Unknown ${name} scope(s): ${unknown.join(', ')} (known: ${known.join(', ')})`);
  // A grant without an audience is the Management API's (src/config/schema.ts).
  return { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', grants: [{ ...(api && { audience: api.identifier }), scope: scopes }] };
}

function clientMetadata(options: CreateOptions, config: Config) {
  if (options.m2m) return m2mMetadata(options, config);
  if (options.scopes) throw new CliError('--scopes goes with --m2m.');
  if (options.audience) throw new CliError('--audience goes with --m2m.');
  if (options['backchannel-logout-uri'] === '') throw new CliError('--backchannel-logout-uri needs a URL, e.g. https://shop.example/backchannel-logout');
  return {
    redirect_uris: options['redirect-uri'] ?? [],
    post_logout_redirect_uris: options['post-logout-uri'] ?? [],
    token_endpoint_auth_method: options.public ? 'none' : 'client_secret_basic',
    ...backchannelMetadata(options, config),
  };
}

// oidc-provider's Client model reads this collection through our adapter (src/oidc/mongo-adapter.ts),
// which opens the sealed secret.
const clients = (connection: Connection) => connection.collection<{ _id: string; payload: Record<string, unknown> }>('oidc_client');

/**
 * oidc-provider looks a client up among those of the config files (and the dashboard's) before the
 * database: one stored under the same id would never be used, and the secret printed for it never work.
 */
function refuseConfiguredId(clientId: string, config: Config): void {
  if (clientId === DASHBOARD_CLIENT_ID || config.clients.some((client) => client.client_id === clientId)) {
    throw new CliError(`The client id "${clientId}" is taken by ${clientId === DASHBOARD_CLIENT_ID ? "insole's dashboard" : 'a client in a config file'}: choose another --id.`);
  }
}

export async function createClient(connection: Connection, config: Config, options: CreateOptions): Promise<void> {
  const client_id = options.id ?? randomBytes(16).toString('hex');
  refuseConfiguredId(client_id, config);
  const client_secret = options.public ? undefined : randomBytes(32).toString('base64url');
  const parsed = clientSchema.safeParse({ client_id, client_secret, client_name: options.name, first_party: !options['third-party'], ...clientMetadata(options, config) });
  if (!parsed.success) {
    throw new CliError(`Cannot create the client:\n  - ${issuesOf(parsed.error)}`);
  }
  await checkKeyEncryptionKey(connection, signingKeysBox(config)); // the servers must be able to open the secret
  const payload = storedPayload(parsed.data, config);
  try {
    await clients(connection).insertOne({ _id: client_id, payload });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) throw new CliError(`A client with id "${client_id}" already exists.`);
    throw err;
  }
  const shown = options.m2m ? { grants: parsed.data.grants } : { redirect_uris: parsed.data.redirect_uris, ...backchannelShown(parsed.data) };
  console.log(JSON.stringify({ client_id, client_secret, client_name: options.name, ...shown }, null, 2));
  if (client_secret) console.log('\nStore the client_secret now: it is not shown again.');
}

const backchannelShown = (client: { backchannel_logout_uri?: unknown; backchannel_logout_session_required?: unknown }) => (
  client.backchannel_logout_uri ? { backchannel_logout_uri: client.backchannel_logout_uri, backchannel_logout_session_required: client.backchannel_logout_session_required } : {});

/**
 * Changes a client stored in the database (clients in config files are changed there). Lists given
 * replace the stored ones; `--backchannel-logout-uri ""` stops back-channel logout for the client.
 * The whole client is checked again, and running instances read it on its next use.
 */
export async function updateClient(connection: Connection, config: Config, options: UpdateOptions): Promise<void> {
  const clientId = options.id;
  if (!clientId) throw new CliError('Say which client: clients update --id CLIENT_ID (clients list shows them).');
  if (config.clients.some((client) => client.client_id === clientId)) throw new CliError(`The client "${clientId}" is declared in a config file: change it there.`);
  const backchannel = backchannelMetadata(options, config);
  const changes = {
    ...(options.name === undefined ? {} : { client_name: options.name }),
    ...(options['redirect-uri'] ? { redirect_uris: options['redirect-uri'] } : {}),
    ...(options['post-logout-uri'] ? { post_logout_redirect_uris: options['post-logout-uri'] } : {}),
    ...backchannel,
  };
  const removeBackchannel = options['backchannel-logout-uri'] === '';
  if (!Object.keys(changes).length && !removeBackchannel) {
    throw new CliError('Say what to change: --name, --redirect-uri, --post-logout-uri, --backchannel-logout-uri or --backchannel-logout-session-required.');
  }
  const stored = await clients(connection).findOne({ _id: clientId });
  if (!stored) throw new CliError(`No client "${clientId}" in the database (clients list shows them).`);
  const { client_secret_sealed: sealed, ...current } = stored.payload;
  const next: Record<string, unknown> = { ...current, ...changes };
  if (removeBackchannel) {
    delete next.backchannel_logout_uri;
    if (options['backchannel-logout-session-required'] === undefined) delete next.backchannel_logout_session_required;
  }
  const parsed = clientSchema.safeParse(next);
  if (!parsed.success) throw new CliError(`Cannot update the client:\n  - ${issuesOf(parsed.error)}`);
  await checkKeyEncryptionKey(connection, signingKeysBox(config)); // a secret stored in plain text before is sealed now
  const payload = { ...storedPayload(parsed.data, config), ...(sealed ? { client_secret_sealed: sealed } : {}) };
  await clients(connection).replaceOne({ _id: clientId }, { payload });
  console.log(JSON.stringify({ client_id: clientId, client_name: parsed.data.client_name, redirect_uris: parsed.data.redirect_uris, ...backchannelShown(parsed.data) }, null, 2));
}

export async function listClients(connection: Connection): Promise<void> {
  const rows = await clients(connection).find({}).toArray();
  for (const { payload } of rows) {
    const redirects = (payload.redirect_uris as string[] | undefined) ?? [];
    const grants = (payload.grants as { audience?: string; scope: string[] }[] | undefined) ?? [];
    const granted = grants.map((grant) => `${grant.audience ?? 'Management API'}: ${grant.scope.join(' ')}`).join('; ');
    const backchannel = payload.backchannel_logout_uri ? `\tback-channel logout: ${String(payload.backchannel_logout_uri)}` : '';
    console.log(`${payload.client_id}\t${payload.client_name ?? ''}\t${redirects.join(' ')}\t${granted}${backchannel}`);
  }
  if (!rows.length) console.log('No clients in the database (clients from config files are not listed).');
}
