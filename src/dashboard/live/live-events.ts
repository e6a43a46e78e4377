import { isIP } from 'node:net';

/** A sign-in as the open dashboards see it: nothing secret, the address and email masked. */
export interface LiveSignIn {
  id: string;
  at: string;
  kind: 'signup' | 'signin';
  connection: string;
  who: string;
  ip: string | null;
  /** What it adds to the counters (the overview's rules: an `ss` that did not sign the user in is not a sign-in). */
  delta: { day: string; users: number; signups: number; signins: number };
}

export interface LiveLog { log_id: string; date: Date; type: string; connection?: string; ip?: string; user_id?: string; user_name?: string; details?: Record<string, unknown> }

/** 203.0.113.7 → 203.0.113.x; IPv6 keeps its first three groups (the network, not the host). */
export function maskIp(ip: string | undefined): string | null {
  if (!ip) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  if (isIP(address) === 4) return `${address.split('.').slice(0, 3).join('.')}.x`;
  if (isIP(address) === 6) {
    const groups = address.split('::')[0].split(':').filter(Boolean).slice(0, 3);
    return `${groups.join(':')}::x`;
  }
  return null;
}

/** shopper12@innovashoes.example → s•••@innovashoes.example. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}

/** The user's name when it is a name; an email (password users are often named by it) is masked. */
export function displayName(name: string | undefined, email: string | undefined): string {
  if (name && !name.includes('@')) return name.slice(0, 80);
  const address = email ?? name;
  return address ? maskEmail(address) : 'someone';
}

export function toLiveSignIn(log: LiveLog, profile: { name?: string; email?: string } | undefined): LiveSignIn {
  const kind = log.type === 'ss' ? 'signup' : 'signin';
  const signedIn = log.type === 's' || log.details?.signed_in !== false;
  return {
    id: log.log_id, at: log.date.toISOString(), kind, connection: log.connection ?? 'unknown',
    who: displayName(profile?.name, profile?.email ?? log.user_name), ip: maskIp(log.ip),
    delta: { day: log.date.toISOString().slice(0, 10), users: kind === 'signup' ? 1 : 0, signups: kind === 'signup' ? 1 : 0, signins: signedIn ? 1 : 0 },
  };
}
