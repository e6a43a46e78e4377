import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { clientSchema, type Config } from '../config/schema.ts';
import { clientSecretsBox, sealClientSecret } from '../oidc/client-secrets.ts';
import { CliError } from './cli-database.ts';

interface CreateOptions {
  name?: string; id?: string; public?: boolean; 'third-party'?: boolean;
  'redirect-uri'?: string[]; 'post-logout-uri'?: string[];
}

// oidc-provider's Client model reads this collection through our adapter (src/oidc/mongo-adapter.ts),
// which opens the sealed secret.
const clients = (connection: Connection) => connection.collection<{ _id: string; payload: Record<string, unknown> }>('oidc_client');

export async function createClient(connection: Connection, config: Config, options: CreateOptions): Promise<void> {
  const client_id = options.id ?? randomBytes(16).toString('hex');
  const client_secret = options.public ? undefined : randomBytes(32).toString('base64url');
  const parsed = clientSchema.safeParse({
    client_id, client_secret, client_name: options.name,
    redirect_uris: options['redirect-uri'] ?? [],
    post_logout_redirect_uris: options['post-logout-uri'] ?? [],
    token_endpoint_auth_method: options.public ? 'none' : 'client_secret_basic',
    first_party: !options['third-party'],
  });
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
  console.log(JSON.stringify({ client_id, client_secret, client_name: options.name, redirect_uris: parsed.data.redirect_uris }, null, 2));
  if (client_secret) console.log('\nStore the client_secret now: it is not shown again.');
}

export async function listClients(connection: Connection): Promise<void> {
  const rows = await clients(connection).find({}).toArray();
  for (const { payload } of rows) {
    console.log(`${payload.client_id}\t${payload.client_name ?? ''}\t${(payload.redirect_uris as string[]).join(' ')}`);
  }
  if (!rows.length) console.log('No clients in the database (clients from config files are not listed).');
}
