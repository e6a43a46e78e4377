import { randomBytes } from 'node:crypto';
import type { Inbox } from '../support/smtp.ts';
import { confirmEmail } from './email-confirmation.ts';
import { ALREADY_EXISTS, SignInFailure, signIn, type Connection, type Shopper, type SocialFakes } from './shopper-flows.ts';
import { traced, type Step, type Storefront } from './storefront.ts';

/**
 * The steady load: `concurrency` shoppers at a time, each signing up (password, Google or X) or
 * coming back to sign in, with a pause between visits. A shopper whose sign-in fails tries again
 * (a new sign-in from the storefront, as a person would) until it works; after `stop()` they keep
 * trying for `retryForMs`, so "shoppers on the dead instance can retry and finish" can be checked.
 * With `confirmShare`, that share of new password shoppers then confirm the link mailed at sign-up
 * (email-confirmation.ts), which is when FullContact may look them up; the others stay unverified.
 */
export interface Attempt {
  id: number;
  shopper: Shopper;
  screen: 'signup' | 'login';
  start: number;
  end?: number;
  ok?: boolean;
  /** Why it failed: 'http 503', 'balancer 502 ECONNRESET', 'already exists', … */
  reason?: string;
  detail?: string;
  steps: Step[];
  /** The attempt this one retries (same shopper, after a failure). */
  retryOf?: number;
  kid?: string;
  idToken?: string;
}

/** What the load has done so far, across scenarios: returning shoppers come back in later ones. */
export interface History {
  attempts: Attempt[];
  shoppers: Shopper[];
  returning: Record<Connection, Shopper[]>;
}

export const createHistory = (): History => ({ attempts: [], shoppers: [], returning: { password: [], 'google-oauth2': [], twitter: [] } });

export interface LoadOptions {
  issuer: string;
  storefront: Storefront;
  fakes: SocialFakes;
  /** Where insole's mails arrive (the suite's SMTP server): needed with a confirmShare. */
  inbox?: Inbox;
  /** The share of new password shoppers who confirm their mailed link (default none: the benches' sign-ins only). */
  confirmShare?: number;
  concurrency: number;
  thinkMs: number;
  retryForMs: number;
  history: History;
}

export interface Load {
  /** Stops starting visits; resolves when every shopper has finished (or given up after retryForMs). */
  stop(): Promise<void>;
}

const tag = randomBytes(3).toString('hex');
let serial = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** RFC 2544's benchmarking range: one address per shopper, so per-IP limits see shoppers, not the test. */
const addressOf = (n: number) => `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

export function newShopper(connection: Connection): Shopper {
  const n = ++serial;
  const ip = addressOf(n);
  if (connection === 'password') {
    return { key: `p${n}`, connection, email: `p${n}.${tag}@shoppers.innovashoes.example`, password: `steady pace ${n} ${tag} uphill`, ip };
  }
  const digits = `${Date.now()}${String(n).padStart(6, '0')}`;
  if (connection === 'google-oauth2') {
    const sub = `1${digits.padStart(20, '7').slice(-20)}`;
    const email = `g${n}.${tag}@gmail.example`;
    return { key: `google-oauth2|${sub}`, connection, email, ip, google: { sub, email, email_verified: true, name: `Grace ${n}`, given_name: 'Grace', family_name: `Runner${n}`, picture: 'https://lh3.googleusercontent.com/a/fake=s96-c', locale: 'en' } };
  }
  const idStr = `1${digits.padStart(18, '7').slice(-18)}`;
  const email = `x${n}.${tag}@example.com`;
  return {
    key: `twitter|${idStr}`, connection, email, ip,
    twitter: { id_str: idStr, name: `Ada ${n}`, screen_name: `x${tag}${n}`.slice(0, 15), location: 'Boulder, CO', description: 'Trail runner', profile_image_url_https: 'https://pbs.twimg.com/profile_images/1/x_normal.jpg', email },
  };
}

let ids = 0;
const CONFIRM_WITHIN_MS = 8_000;

export function startLoad(options: LoadOptions): Load {
  const { attempts, shoppers, returning } = options.history;
  let running = true;
  let stoppedAt = Infinity;
  const keepTrying = () => running || Date.now() - stoppedAt <= options.retryForMs;

  function nextVisit(): { shopper: Shopper; screen: 'signup' | 'login' } {
    const roll = Math.random();
    const connection: Connection = roll < 0.7 ? 'password' : roll < 0.85 ? 'google-oauth2' : 'twitter';
    const known = returning[connection];
    if (known.length && Math.random() < (connection === 'password' ? 0.55 : 0.5)) {
      return { shopper: known[Math.floor(Math.random() * known.length)]!, screen: 'login' };
    }
    const shopper = newShopper(connection);
    if (connection === 'password' && Math.random() < (options.confirmShare ?? 0)) shopper.confirms = true;
    shoppers.push(shopper);
    return { shopper, screen: 'signup' };
  }

  async function attempt(shopper: Shopper, screen: 'signup' | 'login', retryOf?: number): Promise<Attempt> {
    const entry: Attempt = { id: ++ids, shopper, screen, start: Date.now(), steps: [], retryOf };
    attempts.push(entry);
    try {
      const { kid, sub, idToken } = await traced(entry.steps, () => signIn(options.storefront, options.issuer, shopper, options.fakes, screen));
      if (shopper.userId && shopper.userId !== sub) throw new SignInFailure('wrong user', `${sub} instead of ${shopper.userId}`);
      Object.assign(entry, { ok: true, kid, idToken });
      if (!shopper.userId) returning[shopper.connection].push(shopper);
      shopper.userId = sub;
    } catch (err) {
      const failure = err instanceof SignInFailure ? err : new SignInFailure(`network ${(err as { cause?: { code?: string } }).cause?.code ?? 'error'}`, (err as Error).message);
      Object.assign(entry, { ok: false, reason: failure.reason, detail: failure.message });
    }
    entry.end = Date.now();
    return entry;
  }

  async function visit(shopper: Shopper, screen: 'signup' | 'login'): Promise<void> {
    let last = await attempt(shopper, screen);
    while (!last.ok) {
      if (!keepTrying()) return;
      // A sign-up whose answer was lost may have created the account: the shopper signs in instead.
      const next = last.reason === ALREADY_EXISTS ? 'login' : last.screen;
      await sleep(300 + Math.random() * 400);
      last = await attempt(shopper, next, last.id);
    }
    if (screen === 'signup' && shopper.confirms) confirmLater(shopper);
  }

  /**
   * The shopper opens the mail within seconds (at once when the load stops), while the worker goes
   * on: a confirmation can meet a fault its sign-up did not (a database going away meanwhile).
   */
  const confirming: Promise<void>[] = [];
  let stopping!: () => void;
  const stopped = new Promise<void>((resolve) => { stopping = resolve; });
  function confirmLater(shopper: Shopper): void {
    confirming.push(Promise.race([sleep(Math.random() * CONFIRM_WITHIN_MS), stopped]).then(async () => {
      shopper.confirmation = await confirmEmail(options.issuer, options.inbox!, shopper, keepTrying);
    }));
  }

  const workers = Array.from({ length: options.concurrency }, async () => {
    while (running) {
      const { shopper, screen } = nextVisit();
      await visit(shopper, screen);
      await sleep(options.thinkMs * (0.5 + Math.random()));
    }
  });

  return {
    async stop() {
      running = false;
      stoppedAt = Date.now();
      stopping();
      await Promise.all(workers);
      await Promise.all(confirming);
    },
  };
}
