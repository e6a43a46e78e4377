import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { MANAGEMENT_SCOPES } from '../admin/management-api.ts';
import { clientSchema, type Config } from '../config/schema.ts';
import { clientSecretsBox, sealClientSecret } from '../oidc/client-secrets.ts';
import { CliError } from './cli-database.ts';

interface CreateOptions {
  name?: string; id?: string; public?: boolean; 'third-party'?: boolean;
  'redirect-uri'?: string[]; 'post-logout-uri'?: string[];
  m2m?: boolean; scopes?: string; audience?: string;
}

/**
 * A machine-to-machine client as Auth0 makes one: client_credentials only, the secret sent in the
 * form (what Auth0's SDKs do), no redirect URIs, and a grant of these scopes of the Management API
 * or, with --audience, of an API in config (client_credentials gets no token for an API without one).
 */
function m2mMetadata(options: CreateOptions, config: Config) {
  if (options.public || options['redirect-uri']?.length || options['post-logout-uri']?.length) {
    throw new CliError('A --m2m client signs no users in: it takes no --public, --redirect-uri or --post-logout-uri.');
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
  return {
    redirect_uris: options['redirect-uri'] ?? [],
    post_logout_redirect_uris: options['post-logout-uri'] ?? [],
    token_endpoint_auth_method: options.public ? 'none' : 'client_secret_basic',
  };
}

// oidc-provider's Client model reads this collection through our adapter (src/oidc/mongo-adapter.ts),
// which opens the sealed secret.
const clients = (connection: Connection) => connection.collection<{ _id: string; payload: Record<string, unknown> }>('oidc_client');

export async function createClient(connection: Connection, config: Config, options: CreateOptions): Promise<void> {
  const client_id = options.id ?? randomBytes(16).toString('hex');
  const client_secret = options.public ? undefined : randomBytes(32).toString('base64url');
  const parsed = clientSchema.safeParse({ client_id, client_secret, client_name: options.name, first_party: !options['third-party'], ...clientMetadata(options, config) });
  if (!parsed.success) {
    throw new CliError(`Cannot create the client:\n  - ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  - ')}`);
  }
  const plain = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  const payload = sealClientSecret(plain, clientSecretsBox(config));
  try {
    await clients(connection).insertOne({ _id: client_id, payload });
  } catch (err) {
    if ((err as { code?: number }).code === 11000) throw new CliError(`A client with id "${client_id}" already exists.`);
    throw err;
  }
  const shown = options.m2m ? { grants: parsed.data.grants } : { redirect_uris: parsed.data.redirect_uris };
  console.log(JSON.stringify({ client_id, client_secret, client_name: options.name, ...shown }, null, 2));
  if (client_secret) console.log('\nStore the client_secret now: it is not shown again.');
}

export async function listClients(connection: Connection): Promise<void> {
  const rows = await clients(connection).find({}).toArray();
  for (const { payload } of rows) {
    const redirects = (payload.redirect_uris as string[] | undefined) ?? [];
    const grants = (payload.grants as { audience?: string; scope: string[] }[] | undefined) ?? [];
    const granted = grants.map((grant) => `${grant.audience ?? 'Management API'}: ${grant.scope.join(' ')}`).join('; ');
    console.log(`${payload.client_id}\t${payload.client_name ?? ''}\t${redirects.join(' ')}\t${granted}`);
  }
  if (!rows.length) console.log('No clients in the database (clients from config files are not listed).');
}
