import { setDefaultCACertificates, getCACertificates } from 'node:tls';
import { startTestInsole, type TestInsole } from './insole.ts';
import { m2mClientConfig, type M2mClient } from './management.ts';
import { selfSignedCertificate, startTlsProxy, type TlsCertificate } from './tls-proxy.ts';
import { seededUser } from './user-jobs.ts';

const DAY = 24 * 3600 * 1000;
export const PASSWORD_CONNECTION = 'Username-Password-Authentication';
export const ALL_SCOPES = ['read:users', 'create:users', 'update:users', 'delete:users', 'read:logs', 'read:stats'];
export const sdkClient = (id: string, scopes = ALL_SCOPES): M2mClient => ({ client_id: id, client_secret: `${id}-secret-0123456789abcdef`, scopes });

export interface TlsInsole {
  insole: TestInsole;
  /** What an Auth0 SDK takes as `domain`: it calls https://<domain>/api/v2 and https://<domain>/oauth/token. */
  domain: string;
  stop(): Promise<void>;
}

/**
 * Makes this process trust `certificate` as well as the usual CAs, for every TLS client that does
 * not bring its own CA list — Node's global fetch included, which both SDKs use (v5 offers no way to
 * pass a fetch or a dispatcher). Node 24's tls.setDefaultCACertificates does this in-process: no
 * NODE_EXTRA_CA_CERTS (read only at start-up, so it would need a child process), no undici dependency.
 */
export function trustCertificate(certificate: TlsCertificate): void {
  setDefaultCACertificates([...getCACertificates('default'), certificate.cert]);
}

/**
 * insole behind a TLS-terminating proxy on loopback, as production runs it: the issuer is
 * https://127.0.0.1:<proxy port>, and insole trusts the proxy's X-Forwarded-Proto (trust_proxy).
 */
export async function startTlsInsole(certificate: TlsCertificate, clients: M2mClient[], settings: Record<string, unknown> = {}): Promise<TlsInsole> {
  const proxy = await startTlsProxy(certificate);
  let insole: TestInsole;
  try {
    insole = await startTestInsole({
      issuer: `https://127.0.0.1:${proxy.port}`, trust_proxy: 'loopback',
      clients: clients.map(m2mClientConfig), ...settings,
    });
  } catch (err) {
    await proxy.close();
    throw err;
  }
  proxy.forwardTo(insole.url);
  return { insole, domain: `127.0.0.1:${proxy.port}`, stop: async () => { await proxy.close(); await insole.stop(); } };
}

export { selfSignedCertificate };

// The seeded tenant: 12 shoppers (auth0|seed0 … seed11) and their log events of 10–12 January 2025.
export const SHOPPERS = 12;
export const shopperEmail = (n: number) => `shopper${n}@innovashoes.example`;
export const planOf = (n: number) => (n % 3 === 0 ? 'premium' : 'basic');
/** Shoppers 0–4 signed in during the last 30 days (n days ago); 5–7 long ago; 8–11 never. */
const lastLoginOf = (n: number, now: number) => (n < 5 ? new Date(now - n * DAY - 3600_000) : n < 8 ? new Date(now - (40 + n) * DAY) : undefined);
export const ACTIVE_SHOPPERS = 5;

export interface SeededLog { log_id: string; date: Date; type: string; user_id: string; user_name: string; description: string; details: Record<string, unknown> }

function seededLogs(): SeededLog[] {
  const logs: SeededLog[] = [];
  const add = (n: number, type: string, iso: string, offsetMinutes: number) => {
    const date = new Date(new Date(iso).getTime() + offsetMinutes * 60_000);
    const log_id = `${date.getTime().toString(16).padStart(12, '0')}${(logs.length + 1).toString(16).padStart(20, '0')}`;
    logs.push({ log_id, date, type, user_id: `auth0|seed${n}`, user_name: shopperEmail(n), description: type === 'f' ? 'Wrong email or password.' : '', details: {} });
  };
  for (let n = 0; n < SHOPPERS; n++) add(n, 'ss', '2025-01-10T00:00:00Z', n * 120);
  for (let n = 0; n < SHOPPERS; n += 2) add(n, 's', '2025-01-11T08:00:00Z', n);
  for (const n of [3, 7]) add(n, 'f', '2025-01-11T09:00:00Z', n);
  add(5, 's', '2025-01-12T10:00:00Z', 0);
  return logs;
}

export async function seedTenant(insole: TestInsole): Promise<SeededLog[]> {
  const now = Date.now();
  const users = Array.from({ length: SHOPPERS }, (_, n) => {
    const lastLogin = lastLoginOf(n, now);
    return seededUser(n, {
      user_metadata: { shoe_size: 38 + (n % 6) }, app_metadata: { plan: planOf(n) },
      ...(lastLogin ? { last_login: lastLogin, logins_count: 1 } : {}),
    });
  });
  await insole.db.collection('users').insertMany(users as never[]);
  const logs = seededLogs();
  await insole.db.collection('logs').insertMany(logs.map((log) => ({ ...log })));
  return logs;
}

/** GET /stats/daily as it must answer for the seeded logs: `s` and `ss` are logins, `ss` sign-ups; the day's first and last of them. */
export function expectedDailyStats(logs: SeededLog[]) {
  const days = new Map<string, SeededLog[]>();
  for (const log of logs.filter((l) => l.type === 's' || l.type === 'ss')) {
    const day = log.date.toISOString().slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), log]);
  }
  return [...days].sort(([a], [b]) => a.localeCompare(b)).map(([day, events]) => {
    const times = events.map((e) => e.date.getTime());
    return {
      date: `${day}T00:00:00.000Z`, logins: events.length, signups: events.filter((e) => e.type === 'ss').length, leaked_passwords: 0,
      updated_at: new Date(Math.max(...times)).toISOString(), created_at: new Date(Math.min(...times)).toISOString(),
    };
  });
}
