import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { until } from './hooks.ts';
import type { TestInsole } from './insole.ts';
import { signInForTokens } from './relying-party.ts';
import { readForm, UserAgent } from './user-agent.ts';

/**
 * The link of the newest "Confirm your email" mail to `email`. Without an SMTP server, insole
 * writes each mail to <data_dir>/mail/<time>-<to>.eml (mailer.ts): the test reads it there.
 */
export async function verificationLink(insole: TestInsole, email: string): Promise<string> {
  const folder = join(insole.config.data_dir, 'mail');
  return until(`a confirmation mail to ${email}`, async () => {
    const files = (await readdir(folder).catch(() => [])).filter((f) => f.endsWith(`-${email}.eml`)).sort();
    for (const file of files.reverse()) {
      const mail = await simpleParser(await readFile(join(folder, file)));
      if (!/Confirm your email/.test(mail.subject ?? '')) continue;
      const link = (mail.text ?? '').match(/https?:\/\/\S+/g)?.find((l) => l.startsWith(`${insole.issuer}/email/verify?ticket=`));
      if (link) return link;
    }
    return undefined;
  }, 10_000);
}

/** The shopper opens the mailed link (in a browser of its own) and presses "Confirm". */
export async function confirmEmail(insole: TestInsole, email: string): Promise<void> {
  const agent = new UserAgent(insole.issuer);
  const html = await (await agent.get(await verificationLink(insole, email))).res.text();
  const { action, csrf } = readForm(html);
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1]!;
  const confirmed = await agent.postForm(new URL(action, insole.issuer).href, { _csrf: csrf, ticket });
  const page = await confirmed.res.text();
  if (!/Email confirmed/.test(page)) throw new Error(`the link did not confirm ${email} (HTTP ${confirmed.res.status}): ${page.slice(0, 300)}`);
}

/**
 * A password sign-up (`signup.verify_email_first: false`, as in the test config) whose shopper
 * then confirms the mailed link: the address is verified, which is when the hooks may look it up.
 */
export async function signUpVerified(insole: TestInsole, credentials: { email: string; password: string }) {
  const signedUp = await signInForTokens(insole.issuer, credentials, 'signup');
  await confirmEmail(insole, credentials.email);
  return signedUp;
}
