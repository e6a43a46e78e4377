import { backchannelLogoutUriProblem } from './backchannel-logout-uri.ts';
import type { configSchema } from './schema.ts';

type ParsedConfig = ReturnType<typeof configSchema.parse>;

// Values shipped in config/default.json so `npm start` works out of the box. Production refuses them.
const DEVELOPMENT_SECRETS = new Set([
  'development-cookie-key-change-me-0000000000',
  'development-key-encryption-key-change-me-00',
  'storefront-development-secret',
]);

/**
 * Secrets anyone can read: the development ones, and the placeholders of the deployment examples
 * (deploy/kubernetes/secret.example.yaml): a Secret applied as shipped started production with them.
 */
export const isPublishedSecret = (value: string) => DEVELOPMENT_SECRETS.has(value) || value.startsWith('replace-with-');

/**
 * The environment variables still at the development values of config/default.json, for the start's
 * warning. Each on its own: with INSOLE_COOKIE_SECRETS set, the development key encryption key
 * went unmentioned.
 */
export function developmentSecretsInUse(config: Pick<ParsedConfig, 'secrets'>): string[] {
  const inUse: string[] = [];
  if (config.secrets.cookie_keys.some((key) => DEVELOPMENT_SECRETS.has(key))) inUse.push('INSOLE_COOKIE_SECRETS');
  if (DEVELOPMENT_SECRETS.has(config.secrets.key_encryption_key)) inUse.push('INSOLE_KEY_ENCRYPTION_KEY');
  return inUse;
}

/**
 * The current key must be a real one. A previous key only opens: a published value is allowed
 * there (it is how a deployment started on the development key moves off it), but one equal to the
 * current key, or listed twice, is a slip (the new key not set where it was meant to be). Problems
 * name the position in the list, never a value.
 */
function keyEncryptionKeyProblems(config: ParsedConfig): string[] {
  const { key_encryption_key: current, previous_key_encryption_keys: previous } = config.secrets;
  const problems = isPublishedSecret(current)
    ? ['secrets.key_encryption_key: the development value (or an example\'s placeholder) is refused in production; set INSOLE_KEY_ENCRYPTION_KEY (openssl rand -hex 32)']
    : [];
  previous.forEach((key, index) => {
    const where = `secrets.previous_key_encryption_keys.${index} (INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS, item ${index + 1})`;
    if (key === current) problems.push(`${where}: equals INSOLE_KEY_ENCRYPTION_KEY; list there only the keys the current one replaced`);
    else if (previous.indexOf(key) < index) problems.push(`${where}: listed twice`);
  });
  return problems;
}

function cookieAndClientProblems(config: ParsedConfig): string[] {
  const problems: string[] = [];
  if (config.secrets.cookie_keys.some(isPublishedSecret)) {
    problems.push('secrets.cookie_keys: the development value (or an example\'s placeholder) is refused in production; set INSOLE_COOKIE_SECRETS (openssl rand -hex 32)');
  }
  for (const client of config.clients) {
    if (client.client_secret && isPublishedSecret(client.client_secret)) {
      problems.push(`clients.${client.client_id}.client_secret: the development value (or an example's placeholder) is refused in production; declare your own clients in the INSOLE_CONFIG file ("clients": [] for none: config/default.json's are for development)`);
    }
    const uriProblem = client.backchannel_logout_uri === undefined ? undefined : backchannelLogoutUriProblem(client.backchannel_logout_uri, 'production');
    if (uriProblem) problems.push(`clients.${client.client_id}.backchannel_logout_uri: ${uriProblem}`);
  }
  return problems;
}

function publicAddressProblems(config: ParsedConfig): string[] {
  const problems: string[] = [];
  if (!config.issuer?.startsWith('https://')) problems.push('issuer: must be an https:// URL in production (set ISSUER)');
  // insole serves plain http: an https issuer means a TLS proxy in front, which must be trusted
  // for Secure cookies and real client addresses.
  if (config.issuer?.startsWith('https://') && config.trust_proxy === false) {
    problems.push('trust_proxy: the issuer is https, so insole runs behind a TLS proxy; set TRUST_PROXY (e.g. 1, or the proxy address)');
  }
  // Express then takes the client address from the left-most X-Forwarded-For entry, which the client
  // writes itself: each request could name a new address and pass the per-IP limits of attack protection.
  if (config.trust_proxy === true) {
    problems.push('trust_proxy: true believes any X-Forwarded-For a client sends (the per-IP sign-in limits could be dodged); set TRUST_PROXY to the number of proxies in front of insole (e.g. 1) or their addresses');
  }
  return problems;
}

/**
 * Production's checks, named after what they guard. `npm start` runs them all; a CLI command only
 * those of what it uses (src/cli/insole.ts): rotating a key needs a key encryption key of its own,
 * not a TLS proxy nor a mail relay.
 */
const CHECKS = {
  /** Every command reads or writes it: the embedded one would be a file on this machine. */
  database: (config: ParsedConfig) => config.mongodb_uri ? [] : ['mongodb_uri: the embedded database is for development; set MONGODB_URI'],
  /** Seals signing keys, client secrets and provider tokens; the previous keys open them. */
  key_encryption_key: keyEncryptionKeyProblems,
  /** The HTTP server: its cookies, the clients of its config, its public address and the proxy in front. */
  http: (config: ParsedConfig) => [...cookieAndClientProblems(config), ...publicAddressProblems(config)],
  // Without a relay, verification and password-reset mails are files under data_dir: in production
  // nobody reads them, and a sign-up that waits for its link could never finish.
  mail: (config: ParsedConfig) => config.mail.smtp_url ? [] : ['mail.smtp_url: mails are written to files in development only; set SMTP_URL'],
};

export type ProductionCheck = keyof typeof CHECKS;

/** What the server needs: everything. */
export const ALL_PRODUCTION_CHECKS = Object.keys(CHECKS) as ProductionCheck[];

export function productionProblems(config: ParsedConfig, checks: readonly ProductionCheck[]): string[] {
  return checks.flatMap((name) => CHECKS[name](config));
}
