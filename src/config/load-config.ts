import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema, type Config } from './schema.ts';
import { ALL_PRODUCTION_CHECKS, productionProblems, type ProductionCheck } from './production-checks.ts';

const CONFIG_DIR = resolve(import.meta.dirname, '../../config');

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Json = Record<string, unknown>;
type Env = Record<string, string | undefined>;

export interface LoadOptions {
  env?: Env;
  /** Merged last; tests use it instead of writing files. */
  overrides?: Json;
  /** With NODE_ENV=production, the checks of what the caller uses (production-checks.ts): the server's default, all. */
  production?: readonly ProductionCheck[];
}

/** The one reader of process.env: files first, then environment variables, then overrides. */
export function loadConfig({ env = process.env, overrides = {}, production = ALL_PRODUCTION_CHECKS }: LoadOptions = {}): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  const layers: Json[] = [readJson(resolve(CONFIG_DIR, 'default.json'))];
  const envFile = resolve(CONFIG_DIR, `${nodeEnv}.json`);
  if (existsSync(envFile)) layers.push(readJson(envFile));
  if (env.INSOLE_CONFIG) layers.push(readJson(resolve(env.INSOLE_CONFIG)));
  // NODE_ENV alone names the environment: it chose the config/<env>.json layer above, and Express
  // reads it. "env": "production" in a file ran production with development.json's settings.
  const fileEnv = layers.findLast((layer) => layer.env !== undefined)?.env;
  if (fileEnv !== undefined && fileEnv !== nodeEnv) {
    const given = env.NODE_ENV === undefined ? 'unset (development)' : `"${nodeEnv}"`;
    throw new ConfigError([`env: ${JSON.stringify(fileEnv)} in a config file, but NODE_ENV is ${given}: name the environment with NODE_ENV, not in a file (it also picks config/<NODE_ENV>.json)`]);
  }
  layers.push(fromEnvironment(env), overrides);

  const merged = layers.reduce((acc, layer) => deepMerge(acc, layer), {} as Json);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const config = parsed.data;
  const problems = config.env === 'production' ? productionProblems(config, production) : [];
  // The issuer is fixed before the server listens (every token and the discovery document carry
  // it): derived from port 0 it was http://localhost:0, never the port the system then picked.
  if (config.port === 0 && config.issuer === undefined) problems.unshift('port: 0 (any free port) needs ISSUER: the default issuer, http://localhost:$PORT, would name port 0, not the one the system picks');
  if (problems.length) throw new ConfigError(problems);
  return { ...config, issuer: (config.issuer ?? `http://localhost:${config.port}`).replace(/\/$/, '') };
}

function fromEnvironment(env: Env): Json {
  const out: Json = {};
  if (env.NODE_ENV) out.env = env.NODE_ENV;
  if (env.PORT) out.port = Number(env.PORT);
  if (env.ISSUER) out.issuer = env.ISSUER;
  if (env.MONGODB_URI) out.mongodb_uri = env.MONGODB_URI;
  if (env.LOG_LEVEL) out.log_level = env.LOG_LEVEL;
  if (env.TRUST_PROXY) out.trust_proxy = parseTrustProxy(env.TRUST_PROXY);
  const mail = pick({ smtp_url: env.SMTP_URL, reply_to: env.MAIL_REPLY_TO });
  if (Object.keys(mail).length) out.mail = mail;
  if (env.METRICS_TOKEN) out.metrics_token = env.METRICS_TOKEN;
  if (env.AMQP_URL) out.events = { amqp_url: env.AMQP_URL };
  // curl's convention: the lower-case name wins; an empty value counts as unset.
  const proxy = pick({
    http_proxy: env.http_proxy || env.HTTP_PROXY,
    https_proxy: env.https_proxy || env.HTTPS_PROXY,
    no_proxy: env.no_proxy || env.NO_PROXY,
  });
  if (Object.keys(proxy).length) out.outbound_http = { proxy };
  const secrets: Json = {};
  if (env.INSOLE_COOKIE_SECRETS) secrets.cookie_keys = env.INSOLE_COOKIE_SECRETS.split(',').map((s) => s.trim());
  if (env.INSOLE_KEY_ENCRYPTION_KEY) secrets.key_encryption_key = env.INSOLE_KEY_ENCRYPTION_KEY;
  // Empty items (a trailing comma) are dropped rather than refused as too short.
  if (env.INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS) {
    secrets.previous_key_encryption_keys = env.INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (Object.keys(secrets).length) out.secrets = secrets;
  const connections = {
    'google-oauth2': pick({ client_id: env.GOOGLE_CLIENT_ID, client_secret: env.GOOGLE_CLIENT_SECRET }),
    facebook: pick({ client_id: env.FACEBOOK_APP_ID, client_secret: env.FACEBOOK_APP_SECRET }),
    twitter: pick({ consumer_key: env.TWITTER_CONSUMER_KEY, consumer_secret: env.TWITTER_CONSUMER_SECRET }),
  };
  out.connections = connections;
  // Durable hooks' credentials (README "Hooks").
  out.hooks = {
    fullcontact: pick({ api_key: env.FULLCONTACT_API_KEY }),
    sentiment: pick({ secret: env.SENTIMENT_SECRET, x_bearer_token: env.X_BEARER_TOKEN }),
  };
  // Rule settings and secrets, as Auth0's rule "Settings": RULE_CONFIG_FULLCONTACT_KEY → configuration.FULLCONTACT_KEY.
  const ruleConfiguration = pick(Object.fromEntries(Object.entries(env)
    .filter(([name]) => name.startsWith('RULE_CONFIG_') && name.length > 'RULE_CONFIG_'.length)
    .map(([name, value]) => [name.slice('RULE_CONFIG_'.length), value])));
  if (Object.keys(ruleConfiguration).length) out.rules = { configuration: ruleConfiguration };
  return out;
}

function pick(values: Record<string, string | undefined>): Json {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== ''));
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ConfigError([`${path}: ${withoutExcerpt((err as Error).message, text!)}`]);
  }
}

/**
 * V8 quotes the text around an unexpected token (`Unexpected token 's', ..."ion_key": super-secr"...
 * is not valid JSON`): an unquoted secret in a config file reached the console. Its line is said instead.
 */
function withoutExcerpt(message: string, text: string | undefined): string {
  const quoted = /^(Unexpected token .*?), (\.\.\.)?"([^]*?)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  if (!quoted || text === undefined) return message;
  const at = text.indexOf(quoted[3]);
  const line = at < 0 ? undefined : text.slice(0, at + (quoted[2] ? 10 : 0)).split('\n').length;
  return `${quoted[1]} in JSON${line ? ` near line ${line}` : ''}`;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Objects merge key by key; arrays and scalars from a later layer replace earlier ones.
function deepMerge(base: Json, layer: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as Json, value) : value;
  }
  return out;
}
