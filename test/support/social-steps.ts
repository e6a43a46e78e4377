import { answerConsent } from '../fakes/drive.ts';
import { DEFAULT_FACEBOOK_ACCOUNT, type FacebookAccount } from '../fakes/fake-facebook.ts';
import { DEFAULT_GOOGLE_ACCOUNT, type GoogleAccount } from '../fakes/fake-google.ts';
import { DEFAULT_TWITTER_ACCOUNT, type TwitterAccount } from '../fakes/fake-twitter.ts';
import { createSealedBox } from '../../src/lib/sealed-box.ts';
import { signInLogsWritten, type TestInsole } from './insole.ts';
import { buildAuthorization, discoverStorefront, exchangeCode, type AuthorizationRequest, type oidc } from './relying-party.ts';
import type { SocialWorld } from './social.ts';
import { BrowserAgent } from './checked-agent.ts';
import { interactionUidOf } from './user-agent.ts';

/**
 * A social sign-in taken one step at a time (sign-in page → provider → consent → back), so tests
 * can break the provider between steps, replay a callback, or finish in another browser.
 */

export type Connection = 'google-oauth2' | 'facebook' | 'twitter';

/** A browser-like agent that can list the server errors it met (see checked-agent.ts). */
export class ShopperAgent extends BrowserAgent {
  /** Answers in the 5xx range, except the documented 502 of a provider that fails before its consent page. */
  serverErrors() {
    return this.seen.filter((s) => s.status >= 500 && !(s.status === 502 && new URL(s.url).pathname.includes('/connect/')));
  }
}

export interface Page {
  status: number;
  url: string;
  html: string;
  /** The URL outside insole the browser was sent to (the storefront's callback), if it left. */
  left?: string;
}

export interface SignInPage {
  agent: ShopperAgent;
  config: oidc.Configuration;
  request: AuthorizationRequest;
  uid: string;
  page: Page;
}

async function pageOf(hop: Promise<{ res: Response; url: string; left?: string }>): Promise<Page> {
  const { res, url, left } = await hop;
  return { status: res.status, url, left, html: left ? '' : await res.text() };
}

/** The storefront sends a shopper to insole: the sign-in page of a new interaction. */
export async function openSignIn(insole: TestInsole, agent = new ShopperAgent(insole.issuer)): Promise<SignInPage> {
  const config = await discoverStorefront(insole.issuer);
  const request = await buildAuthorization(config);
  const page = await pageOf(agent.get(request.url));
  const uid = interactionUidOf(page.html);
  if (!uid) throw new Error(`not on an interaction page: ${page.url} (HTTP ${page.status})`);
  return { agent, config, request, uid, page };
}

export interface Trip extends SignInPage {
  /** The provider's consent page the shopper was sent to (undefined when insole could not start). */
  providerUrl?: string;
  /** Where the provider sent the browser back to (insole's /login/callback/…). */
  callbackUrl?: string;
  /** What the shopper finally sees: a page of insole's, or `left` for the storefront. */
  landing: Page;
}

export interface TripOptions {
  decision?: 'allow' | 'deny';
  agent?: ShopperAgent;
  /** Runs while the shopper looks at the provider's consent page, e.g. to break its token endpoint. */
  atProvider?: () => void;
}

/** Sign-in page → "Continue with …" → the provider's consent page → answer → back at insole. */
export async function socialTrip(insole: TestInsole, connection: Connection, options: TripOptions = {}): Promise<Trip> {
  const start = await openSignIn(insole, options.agent);
  const button = new RegExp(`href="(/interaction/${start.uid}/connect/${connection})"`).exec(start.page.html)?.[1];
  if (!button) throw new Error(`no "Continue with ${connection}" on the sign-in page`);
  const toProvider = await start.agent.get(new URL(button, insole.issuer).href);
  if (!toProvider.left) return { ...start, landing: await pageOf(Promise.resolve(toProvider)) };
  options.atProvider?.();
  const callbackUrl = (await answerConsent(toProvider.left, options.decision ?? 'allow')).href;
  return { ...start, providerUrl: toProvider.left, callbackUrl, landing: await pageOf(start.agent.get(callbackUrl)) };
}

/** Follows a link or posts a form of a trip's last page, as the same browser. */
export function follow(agent: ShopperAgent, url: string, insole: TestInsole): Promise<Page> {
  return pageOf(agent.get(new URL(url, insole.issuer).href));
}

export function submit(agent: ShopperAgent, action: string, fields: Record<string, string>, insole: TestInsole): Promise<Page> {
  return pageOf(agent.postForm(new URL(action, insole.issuer).href, fields));
}

/** The storefront's half: exchange the code it got. */
export async function storefrontTokens(trip: SignInPage, landing: Page) {
  if (!landing.left) throw new Error(`the shopper did not get back to the storefront (HTTP ${landing.status}): ${textOf(landing.html).slice(0, 400)}`);
  return exchangeCode(trip.config, landing.left, trip.request);
}

// Reading insole's pages.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#34': '"', '#38': '&', '#60': '<', '#62': '>' };
export const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#\d+);/g, (m, e: string) => ENTITIES[e] ?? m);
const textOf = (html: string) => decode(html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).trim();

export const read = {
  h1: (html: string) => textOf(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? ''),
  alert: (html: string) => {
    const inner = /role="alert"[^>]*>([\s\S]*?)<\//.exec(html)?.[1];
    return inner === undefined ? undefined : textOf(inner);
  },
  notice: (html: string) => {
    const inner = /class="notice" role="status"[^>]*>([\s\S]*?)<\//.exec(html)?.[1];
    return inner === undefined ? undefined : textOf(inner);
  },
  inputValue: (html: string, id: string) => {
    const tag = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
    const value = tag && /\bvalue="([^"]*)"/.exec(tag)?.[1];
    return value === undefined || value === null ? undefined : decode(value);
  },
  /** The first form posting to a path matching `action`, with its CSRF token. */
  form: (html: string, action: RegExp) => {
    for (const m of html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
      if (!action.test(decode(m[1]!))) continue;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(m[2]!)?.[1];
      return { action: decode(m[1]!), csrf: csrf ? decode(csrf) : '' };
    }
    throw new Error(`no form posting to ${action} in:\n${textOf(html).slice(0, 400)}`);
  },
  link: (html: string, text: RegExp) => {
    for (const m of html.matchAll(/<a[^>]*href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g)) if (text.test(textOf(m[2]!))) return decode(m[1]!);
    throw new Error(`no link ${text} in:\n${textOf(html).slice(0, 400)}`);
  },
};

// Accounts at the fake providers: a new person per test, so tests never see each other's users.

let serial = 0;
const unique = (length: number) => {
  const tail = `${Date.now()}${String(++serial).padStart(4, '0')}`;
  return `1${tail.padStart(length - 1, '7').slice(-(length - 1))}`;
};

export function freshGoogle(world: SocialWorld, patch: Partial<GoogleAccount> = {}): GoogleAccount {
  const sub = unique(21);
  world.google.account = { ...DEFAULT_GOOGLE_ACCOUNT, sub, email: `ada.lovelace.${sub.slice(-6)}@gmail.com`, ...patch };
  return world.google.account;
}

export function freshFacebook(world: SocialWorld, patch: Partial<FacebookAccount> = {}): FacebookAccount {
  const id = unique(17);
  world.facebook.account = { ...DEFAULT_FACEBOOK_ACCOUNT, id, email: `grace.hopper.${id.slice(-6)}@example.com`, ...patch };
  return world.facebook.account;
}

export function freshTwitter(world: SocialWorld, patch: Partial<TwitterAccount> = {}): TwitterAccount {
  const id_str = unique(19); // above 2^53, like real ids: only id_str survives JSON.parse
  world.twitter.account = { ...DEFAULT_TWITTER_ACCOUNT, id_str, screen_name: `alan_${id_str.slice(-6)}`, email: `alan.turing.${id_str.slice(-6)}@example.com`, ...patch };
  return world.twitter.account;
}

/** Back to a well-behaved provider (tests that break one must not break the next). */
export function healAll(world: SocialWorld): void {
  for (const fake of [world.google, world.facebook, world.twitter]) {
    fake.mode = 'ok';
    fake.modeTarget = 'all';
    fake.delayMs = 10_000;
  }
}

// Reading insole's database.

export const usersOf = (insole: TestInsole) => insole.db.collection('users');
export const logsOf = (insole: TestInsole) => insole.db.collection('logs');

/** The logs since `since`, once the sign-ins' own logs (written in a batch after the sign-in answered) are there. */
export async function logsSince(insole: TestInsole, since: Date, filter: Record<string, unknown> = {}) {
  await signInLogsWritten(insole.db);
  return logsOf(insole).find({ date: { $gte: since }, ...filter }).sort({ date: 1, log_id: 1 }).toArray();
}

/** The provider tokens insole sealed into an identity, opened with insole's own key. */
export function openSealedTokens(insole: TestInsole, sealed: { iv: string; tag: string; data: string }): Record<string, string> {
  const box = createSealedBox(insole.config.secrets.key_encryption_key, 'idp-tokens');
  return JSON.parse(box.open(sealed)) as Record<string, string>;
}
