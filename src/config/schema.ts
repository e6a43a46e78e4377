import { z } from 'zod';
import { insightConfigSchema } from '../insight/insight-config.ts';
import { backchannelLogoutUriProblem } from './backchannel-logout-uri.ts';
import { outboundHttpSchema } from './outbound-http-schema.ts';
import { withBothHomePageForms } from './post-logout-uris.ts';
import { smtpUrlSchema } from './smtp-url-schema.ts';
import { trustProxySchema } from './trust-proxy-schema.ts';

// OpenID Connect client metadata (RFC 7591 names), as operators declare relying parties.
// Auth0's client grants: which scopes of an API a client may get with client_credentials.
const clientGrantSchema = z.object({
  audience: z.url().optional().describe('The API; default the Management API (`${ISSUER}/api/v2/`).'),
  scope: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is one word')).min(1),
}).strict();

export const clientSchema = z.object({
  client_id: z.string().min(1).describe('Public identifier of the relying party.'),
  client_secret: z.string().min(16).optional().describe('Omit for public clients (SPAs, mobile apps).'),
  client_name: z.string().optional(),
  redirect_uris: z.array(z.url()).default([]).describe('Required for the authorization_code grant.'),
  post_logout_redirect_uris: z.array(z.url()).default([]).transform(withBothHomePageForms)
    .describe('Matched exactly at logout; a home page (no path) is registered with and without its trailing slash.'),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).min(1).default(['authorization_code', 'refresh_token']),
  response_types: z.array(z.literal('code')).optional().describe("Default ['code'] with the authorization_code grant, else none."),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'none']).default('client_secret_basic'),
  first_party: z.boolean().default(true).describe('First-party clients skip the consent screen.'),
  grants: z.array(clientGrantSchema).default([]).describe('Machine-to-machine access: the scopes this client gets for each API with client_credentials.'),
  backchannel_logout_uri: z.string().optional().describe('OpenID Connect Back-Channel Logout: insole POSTs a logout token here when a session this client signed in to ends. https:// (http:// for a loopback host outside production).'),
  backchannel_logout_session_required: z.boolean().optional().describe('Logout tokens carry the session id `sid`, as Auth0 sends it (ID tokens always do); default true when backchannel_logout_uri is set.'),
}).strict().superRefine((client, ctx) => {
  const signsInUsers = client.grant_types.includes('authorization_code');
  if (signsInUsers && !client.redirect_uris.length) ctx.addIssue({ code: 'custom', path: ['redirect_uris'], message: 'at least one is required for the authorization_code grant' });
  if (client.grants.length && !client.grant_types.includes('client_credentials')) ctx.addIssue({ code: 'custom', path: ['grants'], message: 'need the client_credentials grant' });
  // Production's stricter rule (no http:// at all) is checked where the environment is known (production-checks.ts, the CLI).
  const uriProblem = client.backchannel_logout_uri === undefined ? undefined : backchannelLogoutUriProblem(client.backchannel_logout_uri, undefined);
  if (uriProblem) ctx.addIssue({ code: 'custom', path: ['backchannel_logout_uri'], message: uriProblem });
  if (client.backchannel_logout_session_required !== undefined && client.backchannel_logout_uri === undefined) {
    ctx.addIssue({ code: 'custom', path: ['backchannel_logout_session_required'], message: 'goes with backchannel_logout_uri' });
  }
}).transform(({ backchannel_logout_uri, backchannel_logout_session_required, ...client }) => ({
  ...client,
  response_types: client.response_types ?? (client.grant_types.includes('authorization_code') ? ['code' as const] : []),
  ...(backchannel_logout_uri === undefined ? {} : { backchannel_logout_uri, backchannel_logout_session_required: backchannel_logout_session_required ?? true }),
}));

export type ClientConfig = z.infer<typeof clientSchema>;

// An API the storefront calls with insole access tokens (Auth0 "APIs"; RFC 8707 resources).
const apiSchema = z.object({
  identifier: z.url().describe('The audience: JWT access tokens for it carry aud = identifier.'),
  scopes: z.array(z.string().min(1)).default([]),
  access_token_ttl: z.number().int().positive().default(3600),
}).strict();

// Social connections: enabled when their credentials are set (from the environment). Every
// provider URL can be overridden: tests point them at fakes, and Facebook's Graph version moves.
const googleSchema = z.object({
  client_id: z.string().min(1).optional().describe('From GOOGLE_CLIENT_ID.'),
  client_secret: z.string().min(1).optional().describe('From GOOGLE_CLIENT_SECRET.'),
  scope: z.array(z.string()).default(['openid', 'email', 'profile']),
  authorization_url: z.url().default('https://accounts.google.com/o/oauth2/v2/auth'),
  token_url: z.url().default('https://oauth2.googleapis.com/token'),
  userinfo_url: z.url().default('https://openidconnect.googleapis.com/v1/userinfo'),
}).strict();

const facebookSchema = z.object({
  client_id: z.string().min(1).optional().describe('From FACEBOOK_APP_ID.'),
  client_secret: z.string().min(1).optional().describe('From FACEBOOK_APP_SECRET.'),
  graph_version: z.string().regex(/^v\d+\.\d+$/).default('v19.0'),
  scope: z.array(z.string()).default(['email', 'public_profile']).describe('Add user_birthday, user_gender, user_likes, user_location once Facebook approves them.'),
  profile_fields: z.array(z.string()).default(['id', 'name', 'first_name', 'last_name', 'email', 'picture.type(large)', 'birthday', 'gender', 'location', 'likes']),
  authorization_url: z.url().optional().describe('Default https://www.facebook.com/<graph_version>/dialog/oauth'),
  token_url: z.url().optional().describe('Default https://graph.facebook.com/<graph_version>/oauth/access_token'),
  profile_url: z.url().optional().describe('Default https://graph.facebook.com/<graph_version>/me'),
}).strict();

const twitterSchema = z.object({
  consumer_key: z.string().min(1).optional().describe('From TWITTER_CONSUMER_KEY.'),
  consumer_secret: z.string().min(1).optional().describe('From TWITTER_CONSUMER_SECRET.'),
  include_email: z.boolean().default(true),
  request_token_url: z.url().default('https://api.twitter.com/oauth/request_token'),
  authorization_url: z.url().default('https://api.twitter.com/oauth/authenticate'),
  access_token_url: z.url().default('https://api.twitter.com/oauth/access_token'),
  profile_url: z.url().default('https://api.twitter.com/1.1/account/verify_credentials.json'),
}).strict();

const connectionsSchema = z.object({
  'google-oauth2': googleSchema.prefault({}),
  facebook: facebookSchema.prefault({}),
  twitter: twitterSchema.prefault({}),
  timeout_ms: z.number().int().positive().default(10_000).describe('How long to wait for a provider before giving up.'),
  // README "Social sign-in": the step lives 15 minutes after its last mail, so a wait of that much would leave "Send again" nothing to do.
  email_step: z.object({
    send_again_after_seconds: z.number().int().positive().max(600).default(60)
      .describe('"Send again" on the email step of a social sign-in without email mails at most once per this many seconds per pending sign-in, counted from its last mail; sooner, a 429 with Retry-After and nothing sent. At most 600 (the step lives 15 minutes after a mail).'),
  }).strict().prefault({}),
}).strict().superRefine((connections, ctx) => {
  // A connection is on when both halves of its credentials are set: one alone left its button
  // off the sign-in page without a word, which reads as the variable being ignored.
  const pairs = [
    ['google-oauth2', 'client_id', 'client_secret', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
    ['facebook', 'client_id', 'client_secret', 'FACEBOOK_APP_ID', 'FACEBOOK_APP_SECRET'],
    ['twitter', 'consumer_key', 'consumer_secret', 'TWITTER_CONSUMER_KEY', 'TWITTER_CONSUMER_SECRET'],
  ] as const;
  for (const [name, idKey, secretKey, idVariable, secretVariable] of pairs) {
    const credentials = connections[name] as Record<string, unknown>;
    const [hasId, hasSecret] = [Boolean(credentials[idKey]), Boolean(credentials[secretKey])];
    if (hasId && !hasSecret) ctx.addIssue({ code: 'custom', path: [name, secretKey], message: `required with ${idKey} (set ${secretVariable}), or unset ${idVariable} to turn ${name} off` });
    if (hasSecret && !hasId) ctx.addIssue({ code: 'custom', path: [name, idKey], message: `required with ${secretKey} (set ${idVariable}), or unset ${secretVariable} to turn ${name} off` });
  }
});

export type ConnectionsConfig = z.infer<typeof connectionsSchema>;

const secretsSchema = z.object({
  cookie_keys: z.array(z.string().min(32)).min(1).describe('Signs cookies; first signs, all verify (rotation). From INSOLE_COOKIE_SECRETS.'),
  key_encryption_key: z.string().min(32).describe('Seals what is kept secret at rest (private signing keys, client secrets, social provider tokens). From INSOLE_KEY_ENCRYPTION_KEY.'),
  previous_key_encryption_keys: z.array(z.string().min(32)).default([])
    .describe('Earlier key encryption keys: they only open, never seal (rotation; `keys reseal` moves every record to the current one). From INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS, comma-separated.'),
});

// The hooks' APIs: any other scheme (file:, ftp:, a typo such as htps:) starts silently, then fails every job until it is dead.
// So does user:password@ (fetch refuses it), with an error repeating the URL, password included, in every job's last_error.
const hookApiUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .refine((url) => !carriesCredentials(url), 'must not carry a user name or password (credentials for an egress proxy go in HTTPS_PROXY / HTTP_PROXY)');

function carriesCredentials(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { username, password } = new URL(url);
  return Boolean(username || password);
}

type SentimentCredentials = { enabled?: boolean; mode: 'remote' | 'builtin'; remote_url?: string; secret?: string; x_bearer_token?: string };

/**
 * The sentiment hook is on when its mode's credentials are all set. Switched on, it needs them all.
 * Without `enabled`, credentials of the other mode, or half of remote's, would leave it off without
 * a word (SENTIMENT_SECRET and remote_url with the default mode, builtin, is the easy slip): refused,
 * unless `enabled` says what is meant.
 */
function sentimentCredentialsProblems(s: SentimentCredentials, ctx: z.RefinementCtx): void {
  const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (s.enabled === false) return;
  if (s.enabled) {
    if (s.mode === 'remote' && !s.remote_url) problem('remote_url', 'required in remote mode');
    if (s.mode === 'remote' && !s.secret) problem('secret', 'required in remote mode (set SENTIMENT_SECRET)');
    if (s.mode === 'builtin' && !s.x_bearer_token) problem('x_bearer_token', 'required in builtin mode (set X_BEARER_TOKEN)');
    return;
  }
  const remoteSet = [s.remote_url && 'remote_url', s.secret && 'secret (SENTIMENT_SECRET)'].filter(Boolean).join(' and ');
  if (s.mode === 'builtin' && !s.x_bearer_token && remoteSet) {
    problem('mode', `is "builtin" (the default when unset), which needs X_BEARER_TOKEN; ${remoteSet} ${remoteSet.includes(' and ') ? 'belong' : 'belongs'} to remote mode: set mode "remote", or enabled: false`);
  }
  if (s.mode === 'remote' && s.remote_url && !s.secret) problem('secret', 'required in remote mode with remote_url (set SENTIMENT_SECRET), or set enabled: false');
  if (s.mode === 'remote' && s.secret && !s.remote_url) problem('remote_url', 'required in remote mode with SENTIMENT_SECRET, or set enabled: false');
  if (s.mode === 'remote' && !remoteSet && s.x_bearer_token) {
    problem('mode', 'is "remote", which needs remote_url and SENTIMENT_SECRET; X_BEARER_TOKEN belongs to builtin mode: set mode "builtin", or enabled: false');
  }
}

/** A lower bound (a first wait, one rule's budget) that must not exceed its upper one; named in the message. */
function notAbove<K extends string>(low: K, high: K) {
  return (value: Record<K, number>, ctx: z.RefinementCtx): void => {
    if (value[low] > value[high]) ctx.addIssue({ code: 'custom', path: [low], message: `must not exceed ${high} (${value[high]})` });
  };
}

export const configSchema = z.object({
  env: z.enum(['development', 'test', 'production']).default('development'),
  port: z.number().int().min(0).max(65535).default(3000),
  // OpenID Connect Discovery §2: an https (http for development) URL with no query or fragment.
  // oidc-provider asserts the same, but only once the database is up, and with a stack trace.
  issuer: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. https://id.innovashoes.example' })
    .refine((url) => !/[?#]/.test(url), 'must have no query (?) or fragment (#)')
    .optional().describe('Public base URL; default http://localhost:$PORT.'),
  mongodb_uri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    // Hosts and no path (mongodb://db:27017, mongodb://db:27017/?replicaSet=rs0): the driver's default
    // database, "test", where a store's users landed without a word. An address without hosts is the driver's to refuse.
    .refine((uri) => !/^mongodb(?:\+srv)?:\/\/[^/?]+\/?(?:\?|$)/.test(uri),
      'names no database (the driver would use "test"): add it to the path, e.g. mongodb://db:27017/insole; a deployment that has run without one has its data in "test": add /test to keep it')
    .optional()
    .describe('Names its database (mongodb://db:27017/insole). When unset, an embedded MongoDB-wire server is started with its data under data_dir.'),
  // README "Operations": a start with MongoDB away is an outage like any other (Kubernetes would
  // otherwise restart the pod in a loop); this brings back the old fail-fast start for who wants it.
  mongodb_wait_at_start_seconds: z.number().int().positive().optional()
    .describe('Unset: a start that cannot reach MongoDB keeps trying (backoff up to 15 s) while /health/live answers and everything else gets 503. Set: after this long without it, exit 1 naming why.'),
  data_dir: z.string().default('./data'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  trust_proxy: trustProxySchema.default(false)
    .describe("Express 'trust proxy': set it only behind a proxy, or X-Forwarded-For can be spoofed."),
  brand: z.object({
    name: z.string().min(1).default('InnovaShoes'),
    primary_color: z.string().regex(/^#[0-9a-fA-F]{6}$/).default('#e4572e'),
    logo_url: z.string().default('/assets/logo.svg'),
    support_email: z.email().optional(),
  }).strict().default({ name: 'InnovaShoes', primary_color: '#e4572e', logo_url: '/assets/logo.svg' }),
  password_policy: z.object({
    min_length: z.number().int().min(8).default(8),
    max_length: z.number().int().max(1024).default(128),
  }).strict().default({ min_length: 8, max_length: 128 }),
  // OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
  argon2: z.object({
    memory_cost_kib: z.number().int().min(8192).default(19456),
    time_cost: z.number().int().min(1).default(2),
    parallelism: z.number().int().min(1).default(1),
  }).strict().default({ memory_cost_kib: 19456, time_cost: 2, parallelism: 1 }),
  ttl: z.object({
    authorization_code: z.number().int().positive().max(600).default(60),
    access_token: z.number().int().positive().default(3600),
    id_token: z.number().int().positive().default(3600),
    refresh_token: z.number().int().positive().default(30 * 24 * 3600),
    session: z.number().int().positive().default(14 * 24 * 3600),
    interaction: z.number().int().positive().default(3600),
  }).strict().default({ authorization_code: 60, access_token: 3600, id_token: 3600, refresh_token: 2592000, session: 1209600, interaction: 3600 }),
  connections: connectionsSchema.prefault({}),
  signup: z.object({
    verify_email_first: z.boolean().default(true).describe(
      'Password sign-ups finish only after the emailed link is confirmed (until then they wait in pending_signups and are no account), so a sign-up, and a sign-in with its password, answer the same whether or not the email has an account (no enumeration). false: Auth0\'s behaviour, signed in at once.'),
  }).strict().prefault({}),
  mail: z.object({
    smtp_url: smtpUrlSchema.optional()
      .describe('From SMTP_URL. Unset: mails are written as .eml files under <data_dir>/mail/ (development).'),
    from: z.string().min(3).default('InnovaShoes <no-reply@innovashoes.example>'),
    reply_to: z.email().optional()
      .describe('From MAIL_REPLY_TO. The Reply-To of every mail insole sends (e.g. the support desk), so an answer to a no-reply From reaches someone. Unset: no Reply-To.'),
  }).strict().prefault({}),
  email_links: z.object({
    verification_ttl: z.number().int().positive().default(5 * 24 * 3600).describe('Seconds an email-verification link works (Auth0: 5 days).'),
    password_reset_ttl: z.number().int().positive().default(3600),
    unblock_ttl: z.number().int().positive().default(7 * 24 * 3600),
  }).strict().prefault({}),
  // STANDARDS "Attack protection": Auth0's defaults.
  attack_protection: z.object({
    brute_force: z.object({
      enabled: z.boolean().default(true),
      max_attempts: z.number().int().min(1).default(10).describe('Consecutive failures for one user from one IP before that IP is blocked for that user.'),
      block_seconds: z.number().int().positive().default(30 * 24 * 3600),
    }).strict().prefault({}),
    suspicious_ip: z.object({
      enabled: z.boolean().default(true),
      max_failed_logins: z.number().int().min(1).default(100).describe('Failed logins from one IP per window before it gets HTTP 429.'),
      max_signups: z.number().int().min(1).default(50),
      window_seconds: z.number().int().positive().default(24 * 3600),
    }).strict().prefault({}),
    // OWASP Forgot Password Cheat Sheet: anyone can type any address into these forms, so what they
    // can make us mail is limited (Auth0 rate-limits change_password likewise).
    account_mails: z.object({
      enabled: z.boolean().default(true),
      max_per_address: z.number().int().min(1).default(5)
        .describe('Password-reset and "send the link again" requests, and sign-ups that would tell the owner, for one email per window, all counted together; past it, the same page and no mail.'),
      max_per_ip: z.number().int().min(1).default(30).describe('The same requests from one IP per window, whatever the email.'),
      window_seconds: z.number().int().positive().default(3600),
    }).strict().prefault({}),
  }).strict().prefault({}),
  // README "Signing keys": rotation without restarts.
  signing_keys: z.object({
    refresh_seconds: z.number().positive().max(3600).default(60)
      .describe('How often each instance re-reads signing_keys, so a rotation (or a key becoming active or expiring) reaches it without a restart.'),
    activate_after_seconds: z.number().min(0).default(300)
      .describe('`insole keys rotate`: the new key is published at once and signs this much later, once every instance and relying party cache has it.'),
  }).strict().prefault({}).refine((keys) => keys.activate_after_seconds >= keys.refresh_seconds, {
    path: ['activate_after_seconds'], message: 'must be at least refresh_seconds, or an instance could sign with a key another does not publish yet',
  }),
  clients: z.array(clientSchema).default([]),
  // The Management API (README "Admin API"): /api/v2 for machine-to-machine clients.
  admin_api: z.object({
    access_token_ttl: z.number().int().positive().default(86_400).describe('Lifetime of Management API access tokens in seconds (Auth0: 24 h).'),
    rate_limit: z.object({
      requests: z.number().int().min(1).default(50).describe('Requests one client may make per window; then HTTP 429 (Auth0 sends x-ratelimit-* headers).'),
      window_seconds: z.number().int().min(1).default(1),
    }).strict().prefault({}),
    // Users export/import jobs (README "Admin API: jobs"): durable in `user_jobs`, run by any instance.
    jobs: z.object({
      worker: z.boolean().default(true).describe('false: this instance creates and serves jobs but leaves running them to the others.'),
      poll_ms: z.number().int().positive().default(1_000).describe('How often an idle worker looks for pending jobs (a job created on the same instance wakes it at once).'),
      lease_ms: z.number().int().min(300).default(60_000).describe('A running job belongs to its worker this long, renewed every third of it; a crashed instance\'s job is taken over after it.'),
      max_attempts: z.number().int().min(1).default(3).describe('Claims of one job before it is marked failed.'),
      retention_hours: z.number().positive().default(24).describe('Finished jobs and their export files are kept this long (Auth0: 24 h).'),
      download_link_seconds: z.number().int().min(1).default(60).describe('Lifetime of the signed `location` of an export (Auth0: 60 s); GET /jobs/{id} issues a fresh one.'),
      import_max_bytes: z.number().int().min(1024).default(512_000).describe('Largest users file an import accepts (Auth0: 500 kB); larger gets 413.'),
    }).strict().prefault({}),
  }).strict().prefault({}),
  apis: z.array(apiSchema).default([]),
  // Log events to RabbitMQ through the `event_outbox` collection (README "Events (RabbitMQ)").
  events: z.object({
    amqp_url: z.string().regex(/^amqps?:\/\//, 'must start with amqp:// or amqps://')
      // The publisher parses it only once insole is already listening; node's "Invalid URL" error
      // would then print the whole value, password included. The message never repeats the value.
      .refine((url) => URL.canParse(url), 'is not a valid URL (check the host and port, and percent-encode special characters in the user name and password)')
      .optional()
      .describe('From AMQP_URL. Unset: the relay is off and events wait in event_outbox, unpublished.'),
    exchange: z.string().min(1).default('insole.events').describe('Durable topic exchange; routing key = Auth0 log type code.'),
    poll_ms: z.number().int().positive().default(500).describe('How often the relay looks for events written by other instances.'),
    batch_size: z.number().int().min(1).max(1000).default(100),
    gather_ms: z.number().int().min(0).max(60_000).default(500)
      .describe('Log events written within this long are moved to event_outbox together (one write for a burst of sign-ins); it delays their publication as much, and a sign-in\'s or sign-up\'s own log (s, ss, a verify-first sign-up\'s sv), written with them, shows in the logs API that much later.'),
    claim_ms: z.number().int().min(1000).default(30_000).describe('Lease on claimed events: another instance retries them after this.'),
    recover_after_ms: z.number().int().min(1000).default(60_000)
      .describe('A log event whose writer stopped before moving it to event_outbox (a crash) is moved by the sweep this often; a staged event still unconfirmed this long is published if its log exists, else dropped.'),
    reconnect_min_ms: z.number().int().positive().default(1000),
    reconnect_max_ms: z.number().int().positive().default(30_000),
    retention_days: z.number().positive().default(7).describe('Sent events are kept this long in event_outbox (TTL), for replays.'),
    undelivered_retention_days: z.number().positive().default(30)
      .describe('Events never confirmed by a broker (AMQP_URL unset, or the broker away) are dropped by TTL after this long, so event_outbox cannot grow without bound.'),
  }).strict().superRefine(notAbove('reconnect_min_ms', 'reconnect_max_ms')).prefault({}),
  // Auth0-compatible rules (README "Rules"): operator JavaScript run inline after every sign-in.
  rules: z.object({
    folder: z.string().default('./rules').describe('Rule files (*.js directly in it, not sub-folders), run in name order. Missing folder: no rules.'),
    timeout_ms: z.number().int().positive().default(5000).describe('Budget of one rule (Auth0: 5 s); a rule that has not called back by then is skipped.'),
    pipeline_timeout_ms: z.number().int().positive().default(20_000).describe('Budget of all rules of one sign-in (Auth0: 20 s).'),
    critical: z.array(z.string().min(1)).default([]).describe('Rule file names whose failure or timeout denies the sign-in instead of skipping the rule.'),
    configuration: z.record(z.string(), z.string()).default({})
      .describe("Auth0's `configuration` object seen by rules; secrets come from RULE_CONFIG_<KEY> environment variables."),
  }).strict().superRefine(notAbove('timeout_ms', 'pipeline_timeout_ms')).prefault({}),
  // Durable hooks (README "Hooks"): jobs in MongoDB run after sign-in by a worker in every instance.
  hooks: z.object({
    enabled: z.boolean().default(true).describe('false: no hook is queued or run (nothing else changes).'),
    worker: z.object({
      poll_ms: z.number().int().positive().default(500).describe('How often an idle worker looks for due jobs (a sign-in on the same instance wakes it at once).'),
      concurrency: z.number().int().min(1).default(8).describe('Attempts in flight per instance (they mostly wait on HTTP).'),
      lease_ms: z.number().int().positive().default(60_000).describe('How long a claimed job belongs to its worker; after that (a crash) another instance reclaims it. Must exceed every hook timeout.'),
      max_attempts: z.number().int().min(1).default(16).describe('Attempts before a job that keeps failing is moved to `dead`. 16 at the default delays: about 1.5 hours of retrying on average (at most 3), so an outage of an API is ridden out; 8 gave up after about 2 minutes.'),
      base_delay_ms: z.number().int().positive().default(2_000).describe('Backoff: a random wait up to base·2^(attempt−1), capped at max_delay_ms; never shorter than a Retry-After.'),
      max_delay_ms: z.number().int().positive().default(30 * 60_000),
      max_rate_limited_ms: z.number().int().positive().optional()
        .describe('Obsolete, ignored with a warning at start-up: a rate-limited job (HTTP 429) used to be dead this long after its first 429, which lost a backlog larger than a day of the API\'s quota. It now waits for the API however long that takes (README "Hooks", Rate limits). Accepted so that config files setting it still start.'),
      requeue_dead_after_ms: z.number().int().min(0).default(24 * 3600_000)
        .describe("A sign-in queues the work of a dead job again (a new job; the dead one is kept, with superseded_at) once it died this long ago. 24 h: a job that always fails adds at most one dead job per user a day."),
    }).strict().superRefine(notAbove('base_delay_ms', 'max_delay_ms')).prefault({}),
    fullcontact: z.object({
      enabled: z.boolean().optional().describe('Default: on when api_key is set.'),
      api_key: z.string().min(1).optional().describe('From FULLCONTACT_API_KEY.'),
      base_url: hookApiUrl.default('https://api.fullcontact.com').describe('POST <base_url>/v3/person.enrich.'),
      timeout_ms: z.number().int().positive().default(10_000),
      refresh_after_days: z.number().positive().default(90).describe('An enriched (or unmatched) user is asked about again after this many days.'),
    }).strict().prefault({}).transform((fc) => ({ ...fc, enabled: fc.enabled ?? Boolean(fc.api_key) })),
    sentiment: z.object({
      enabled: z.boolean().optional().describe("Default: on when the mode's credentials are set (remote: remote_url and secret; builtin: x_bearer_token)."),
      mode: z.enum(['remote', 'builtin']).default('builtin').describe("remote: POST {twitterHandle, secret} to the store's sentiment service (Auth0's article); builtin: X API recent search + AFINN."),
      remote_url: hookApiUrl.optional(),
      secret: z.string().min(1).optional().describe('From SENTIMENT_SECRET; sent to remote_url.'),
      x_bearer_token: z.string().min(1).optional().describe('From X_BEARER_TOKEN (app-only token of an X API v2 project).'),
      x_base_url: hookApiUrl.default('https://api.x.com'),
      brand_handle: z.string().regex(/^\w{1,15}$/, 'an X handle without @').default('InnovaShoes'),
      max_tweets: z.number().int().min(10).max(100).default(100).describe('Tweets analysed per user (one page of recent search: 10–100).'),
      timeout_ms: z.number().int().positive().default(10_000),
      negative_below: z.number().default(-1).describe('Mean AFINN score per tweet below which the label is negative.'),
      positive_above: z.number().default(1).describe('Mean AFINN score per tweet above which the label is positive.'),
    }).strict().superRefine(sentimentCredentialsProblems).prefault({}).transform((s) => ({
      ...s, enabled: s.enabled ?? (s.mode === 'remote' ? Boolean(s.remote_url && s.secret) : Boolean(s.x_bearer_token)),
    })),
  }).strict().prefault({}).superRefine((hooks, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const { fullcontact: fc, sentiment: s, worker } = hooks;
    if (fc.enabled && !fc.api_key) problem(['fullcontact', 'api_key'], 'required when FullContact enrichment is enabled (set FULLCONTACT_API_KEY)');
    if (s.negative_below > s.positive_above) problem(['sentiment', 'negative_below'], 'must not exceed positive_above');
    for (const [name, timeout] of [['fullcontact', fc.timeout_ms], ['sentiment', s.timeout_ms]] as const) {
      if (timeout >= worker.lease_ms) problem(['worker', 'lease_ms'], `must exceed ${name}.timeout_ms (${timeout}), or a slow attempt could run twice at once`);
    }
  }),
  // The marketing dashboard (README "Dashboard"): who may use it, and what each role may do there.
  dashboard: z.object({
    enabled: z.boolean().default(true).describe('Serve /admin, signed in through insole itself (its built-in client insole-dashboard).'),
    admins: z.array(z.email()).default([]).describe('Emails that have the admin role whatever their app_metadata.roles says.'),
    roles: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/), z.array(z.string().min(1)))
      .default({
        // read:roles, read:role_members: who holds which role (GET /roles, /roles/{id}/users, /users/{id}/roles); giving and taking roles stays the operator's.
        admin: ['read:users', 'update:users', 'read:logs', 'read:stats', 'read:reports', 'read:segments', 'update:segments', 'read:roles', 'read:role_members'],
        // No read:roles: no dashboard page calls the role endpoints (README "Dashboard"), and no scope is given without a use.
        marketing: ['read:users', 'read:logs', 'read:stats', 'read:reports', 'read:segments', 'update:segments'],
      })
      .describe("Role → the Management API scopes a dashboard user with it gets (roles in app_metadata.roles). A user with none of them is refused."),
    report_max_age_seconds: z.number().int().min(0).max(3600).default(300)
      .describe('The summary widgets accept report roll-ups this old (the API\'s max_age), so a page load does not read every user; 0: every load computes them. The live counters add the sign-ins since.'),
  }).strict().prefault({}),
  // Customer insight (README "Customer insight"): the interest vocabulary and the lifecycle windows.
  insight: insightConfigSchema,
  // README "Outbound HTTP": one dispatcher for every call insole makes, with timeouts, a size cap and the proxy.
  outbound_http: outboundHttpSchema,
  // README "Back-channel logout": logout tokens POSTed to the clients' backchannel_logout_uri.
  backchannel_logout: z.object({
    timeout_ms: z.number().int().min(100).max(30_000).default(2_500)
      .describe('Longest wait for a client to answer a logout token (one attempt, all clients at once); the shopper\'s sign-out waits at most this long.'),
  }).strict().prefault({}),
  // README "Running in production": how an instance leaves a load balancer's rotation.
  answer_within_ms: z.number().int().min(1_000).default(60_000)
    .describe('A request with no answer by then gets a 503 and an error log line naming it (a dependency hung without closing its connections). Streams already answering are not cut.'),
  shutdown: z.object({
    // 6 s: a balancer polling readiness every 1-2 s (deploy/) has seen the 503 and stopped sending, and
    // every keep-alive connection idle since the signal has been closed by Node's own idle timer (it
    // advertises Keep-Alive: timeout=5 and closes at 5 + 1 s, which clients anticipate), not by the
    // close racing the client's next request (ECONNRESET). config/development.json and test.json: 0.
    drain_ms: z.number().int().min(0).default(6_000).describe('On SIGTERM, /health/ready answers 503 this long while requests are still served (each answer closing its connection), so a load balancer that polls readiness stops sending new ones first; then the server closes. 0 in development and tests.'),
    grace_ms: z.number().int().positive().default(10_000).describe('Then in-flight requests, the mails they send, hook attempts and jobs get this long to finish; the rest are cut or handed back.'),
  }).strict().prefault({}),
  metrics_token: z.string().min(16).optional().describe('From METRICS_TOKEN. Unset: GET /metrics is not served; set: a scraper presents it as a bearer token.'),
  secrets: secretsSchema,
}).strict();

export type Config = z.infer<typeof configSchema> & { issuer: string };

/** The key encryption keys, the one that seals first: a keyring (lib/sealed-box.ts) opens with any. */
export const keyEncryptionKeys = ({ secrets }: Pick<Config, 'secrets'>): string[] => [secrets.key_encryption_key, ...secrets.previous_key_encryption_keys];
