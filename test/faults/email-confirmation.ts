import type { ParsedMail } from 'mailparser';
import type { Inbox } from '../support/smtp.ts';
import { readForm } from '../support/user-agent.ts';
import type { Shopper } from './shopper-flows.ts';
import { ShopperBrowser } from './storefront.ts';

/**
 * A password shopper confirming the "Confirm your email" link mailed at sign-up, every request
 * through the balancer, as a person would under faults: a page that fails (a 5xx, a balancer
 * error) is tried again with the same link; a mail that never came (its instance was killed while
 * sending it) gets a new link from /email/verify/resend, and so does a link spent by a try whose
 * answer was lost (the dead-link page: "If you confirmed your email already, go back to the store").
 * If no new link comes then, the lost answer was the confirmation: the address is verified.
 */
export interface Confirmation {
  start: number;
  end?: number;
  /** 'confirmed': "Email confirmed" shown; 'answer lost': see above; the others did not get there ('refused': a page no retry helps, in `failures`). */
  outcome?: 'confirmed' | 'answer lost' | 'no mail' | 'gave up' | 'refused';
  /** Requests that failed and were tried again: 'http 503', 'balancer 502 ECONNRESET', … */
  failures: string[];
  /** Links that answered "Link expired" after a try whose answer was lost. */
  spent: number;
  /** New links asked for at /email/verify/resend. */
  resent: number;
}

/** A mail to a live instance arrives in milliseconds; this long without one, it was lost with its instance. */
const MAIL_WAIT_MS = 5_000;
const MAX_RESENDS = 2;
const SUBJECT = /^Confirm your email/;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Step = { ok: true; text: string } | { ok: false; reason: string };

/** The request's page, or why it failed (a balancer error, a 5xx, no answer at all). */
async function page(request: Promise<{ res: Response }>): Promise<Step & { status?: number }> {
  try {
    const { res } = await request;
    const balancer = res.headers.get('x-balancer-error');
    if (balancer) return { ok: false, reason: `balancer ${res.status} ${balancer}` };
    const text = await res.text();
    return res.status >= 500 ? { ok: false, reason: `http ${res.status}` } : { ok: true, text, status: res.status };
  } catch (err) {
    return { ok: false, reason: `network ${(err as { cause?: { code?: string } }).cause?.code ?? 'error'}` };
  }
}

const recipients = (mail: ParsedMail) => [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address?.toLowerCase()) ?? []);

/** The newest verification link mailed to the shopper that has not answered "Link expired". */
function newestLink(inbox: Inbox, issuer: string, email: string, dead: Set<string>): string | undefined {
  const mails = inbox.mails.filter((m) => SUBJECT.test(m.subject ?? '') && recipients(m).includes(email.toLowerCase()));
  return mails.map((m) => inbox.linkIn(m, `${issuer}/email/verify?ticket=`)).filter((link) => !dead.has(link)).at(-1);
}

/** Opens the link and presses "Confirm my email". */
async function useLink(browser: ShopperBrowser, issuer: string, link: string): Promise<'confirmed' | 'dead' | { reason: string }> {
  const shown = await page(browser.get(link));
  if (!shown.ok) return shown;
  const { action, csrf } = readForm(shown.text);
  const ticket = /name="ticket" value="([^"]+)"/.exec(shown.text)?.[1] ?? '';
  const posted = await page(browser.postForm(new URL(action, issuer).href, { _csrf: csrf, ticket }));
  if (!posted.ok) return posted;
  if (posted.status === 200 && /Email confirmed/.test(posted.text)) return 'confirmed';
  if (posted.status === 400 && /expired or was already used/.test(posted.text)) return 'dead';
  throw new Error(`the verification link answered HTTP ${posted.status}: ${/role="alert"[^>]*>([^<]*)/.exec(posted.text)?.[1]?.trim() ?? posted.text.slice(0, 120)}`);
}

/** Asks for a new link, as the dead-link page offers; true once the "Check your inbox" page is shown. */
async function askAgain(browser: ShopperBrowser, issuer: string, email: string): Promise<Step> {
  const shown = await page(browser.get(`${issuer}/email/verify/resend`));
  if (!shown.ok) return shown;
  const { action, csrf } = readForm(shown.text);
  return page(browser.postForm(new URL(action, issuer).href, { email, _csrf: csrf }));
}

/** Runs until the shopper is done, or `keepTrying` says to stop (the load's retry window ran out). */
export async function confirmEmail(issuer: string, inbox: Inbox, shopper: Shopper, keepTrying: () => boolean): Promise<Confirmation> {
  const entry: Confirmation = { start: Date.now(), failures: [], spent: 0, resent: 0 };
  const browser = new ShopperBrowser(issuer, shopper.ip);
  const dead = new Set<string>();
  let askedAt = entry.start;
  while (!entry.outcome) {
    if (!keepTrying()) { entry.outcome = 'gave up'; break; }
    try {
      await step();
    } catch (err) {
      entry.failures.push((err as Error).message);
      entry.outcome = 'refused';
    }
  }
  entry.end = Date.now();
  return entry;

  async function step(): Promise<void> {
    const link = newestLink(inbox, issuer, shopper.email, dead);
    if (!link) {
      if (Date.now() - askedAt < MAIL_WAIT_MS) return sleep(100);
      if (entry.resent >= MAX_RESENDS) { entry.outcome = entry.spent ? 'answer lost' : 'no mail'; return; }
      const asked = await askAgain(browser, issuer, shopper.email);
      if (asked.ok) { entry.resent++; askedAt = Date.now(); return; }
      entry.failures.push(asked.reason);
      return sleep(300 + Math.random() * 400);
    }
    const used = await useLink(browser, issuer, link);
    if (used === 'confirmed') entry.outcome = 'confirmed';
    else if (used === 'dead') { entry.spent++; dead.add(link); askedAt = 0; } // ask for a new one at once
    else { entry.failures.push(used.reason); await sleep(300 + Math.random() * 400); }
  }
}
