import { answerConsent } from '../fakes/drive.ts';
import type { FakeGoogle, GoogleAccount } from '../fakes/fake-google.ts';
import type { FakeTwitter, TwitterAccount } from '../fakes/fake-twitter.ts';
import { readForm } from '../support/user-agent.ts';
import type { Confirmation } from './email-confirmation.ts';
import { buildRequest, exchange, ShopperBrowser, type Storefront } from './storefront.ts';

/**
 * One sign-in as a shopper does it, every step through the load balancer: the storefront's
 * redirect to /authorize, the hosted page, the form (or the social provider's consent page), the
 * redirect back, and the storefront's code exchange and token verification. It throws a
 * SignInFailure that says where and why it stopped.
 */
export type Connection = 'password' | 'google-oauth2' | 'twitter';

export interface Shopper {
  key: string;
  connection: Connection;
  email: string;
  password?: string;
  ip: string;
  google?: GoogleAccount;
  twitter?: TwitterAccount;
  /** The user_id insole gave this shopper, once a sign-in completed. */
  userId?: string;
  /** A password shopper who confirms the mailed link after signing up (the others never do). */
  confirms?: boolean;
  confirmation?: Confirmation;
}

export class SignInFailure extends Error {
  readonly reason: string;
  constructor(reason: string, detail = '') {
    super(detail ? `${reason}: ${detail}` : reason);
    this.reason = reason;
  }
}

/** The signup form answered "could not create an account": an earlier attempt created it (a retry signs in instead). */
export const ALREADY_EXISTS = 'already exists';

export interface SocialFakes { google: FakeGoogle; twitter: FakeTwitter }

const alertOf = (html: string) => /role="alert"[^>]*>([\s\S]*?)<\//.exec(html)?.[1]?.replace(/\s+/g, ' ').trim();

async function failed(hop: { res: Response; url: string }, where: string): Promise<SignInFailure> {
  const { res } = hop;
  const balancer = res.headers.get('x-balancer-error');
  if (balancer) return new SignInFailure(`balancer ${res.status} ${balancer}`, where);
  const html = await res.text().catch(() => '');
  if (res.status >= 500) return new SignInFailure(`http ${res.status}`, `${where} ${alertOf(html) ?? ''}`);
  const alert = alertOf(html);
  if (alert && /could not create an account/i.test(alert)) return new SignInFailure(ALREADY_EXISTS, where);
  return new SignInFailure(`http ${res.status} page`, `${where}: ${alert ?? html.slice(0, 120)}`);
}

export async function signIn(storefront: Storefront, issuer: string, shopper: Shopper, fakes: SocialFakes, screen: 'signup' | 'login'): Promise<{ kid: string; sub: string; idToken: string }> {
  const browser = new ShopperBrowser(issuer, shopper.ip);
  const request = await buildRequest(storefront);
  const page = await browser.get(request.url);
  if (page.res.status !== 200 || page.left) throw await failed(page, 'GET /authorize');
  const html = await page.res.text();
  const callback = shopper.connection === 'password'
    ? await passwordForm(browser, issuer, html, shopper, screen)
    : await socialConsent(browser, issuer, html, shopper, fakes);
  let tokens;
  try {
    tokens = await exchange(storefront, callback, request);
  } catch (err) {
    throw new SignInFailure(`token exchange ${(err as { code?: string }).code ?? 'error'}`, (err as Error).message);
  }
  try {
    return await storefront.verify(tokens);
  } catch (err) {
    throw new SignInFailure(`token verification ${(err as { code?: string }).code ?? 'error'}`, (err as Error).message);
  }
}

async function passwordForm(browser: ShopperBrowser, issuer: string, html: string, shopper: Shopper, screen: 'signup' | 'login'): Promise<string> {
  if (screen === 'signup') {
    const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(html)?.[1];
    if (!link) throw new SignInFailure('no sign-up link');
    const signup = await browser.get(new URL(link, issuer).href);
    if (signup.res.status !== 200 || signup.left) throw await failed(signup, 'GET signup page');
    html = await signup.res.text();
  }
  const form = readForm(html);
  const posted = await browser.postForm(new URL(form.action, issuer).href, { email: shopper.email, password: shopper.password!, _csrf: form.csrf });
  if (!posted.left) throw await failed(posted, `POST ${screen}`);
  return posted.left;
}

/** The fakes sign in whoever their `account` is when the consent page is shown and answered: one shopper at a time per provider. */
const queues = new Map<string, Promise<unknown>>();
function oneAtATime<T>(provider: string, work: () => Promise<T>): Promise<T> {
  const before = queues.get(provider) ?? Promise.resolve();
  const mine = before.then(work, work);
  queues.set(provider, mine.catch(() => undefined));
  return mine;
}

async function socialConsent(browser: ShopperBrowser, issuer: string, html: string, shopper: Shopper, fakes: SocialFakes): Promise<string> {
  const connect = new RegExp(`href="(/interaction/[^"]+/connect/${shopper.connection})"`).exec(html)?.[1];
  if (!connect) throw new SignInFailure(`no ${shopper.connection} button`);
  const toProvider = await browser.get(new URL(connect, issuer).href);
  if (!toProvider.left) throw await failed(toProvider, `GET connect/${shopper.connection}`);
  const back = await oneAtATime(shopper.connection, async () => {
    if (shopper.connection === 'google-oauth2') fakes.google.account = shopper.google!;
    else fakes.twitter.account = shopper.twitter!;
    return answerConsent(toProvider.left!, 'allow');
  });
  const landing = await browser.get(back.href);
  if (!landing.left) throw await failed(landing, `GET login/callback/${shopper.connection}`);
  return landing.left;
}
