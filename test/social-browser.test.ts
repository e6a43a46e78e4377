import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Response } from 'playwright-core';
import { launchBrowser, screenshot, watchForProblems, type PageProblem, type TestBrowser } from './support/browser.ts';
import { discoverStorefront, oidc } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { freshGoogle, freshTwitter, usersOf } from './support/social-steps.ts';

/**
 * A tiny storefront on loopback: /login starts the code flow (PKCE, state, nonce), /callback
 * exchanges the code with openid-client and says who signed in. Its "session" lives in memory.
 */
class TinyStorefront {
  readonly server: Server;
  origin = '';
  client = { client_id: 'social-browser-store', client_secret: 'social-browser-store-secret-0123456789', redirect_uri: '' };
  config?: oidc.Configuration;
  readonly errors: string[] = [];
  signedIn?: { sub: string; email: string; email_verified: boolean };
  private readonly pending = new Map<string, { verifier: string; nonce: string }>();

  constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.errors.push(String((err as Error)?.stack ?? err));
        if (!res.headersSent) page(res, 500, 'Storefront error');
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.client.redirect_uri = `${this.origin}/callback`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (url.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      this.pending.set(state, { verifier, nonce });
      const to = oidc.buildAuthorizationUrl(this.config!, {
        redirect_uri: this.client.redirect_uri, scope: 'openid email profile', state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      res.writeHead(302, { location: to.href }).end();
    } else if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const pending = this.pending.get(state);
      if (url.searchParams.has('error') || !pending) return page(res, 400, `Sign-in failed: ${url.searchParams.get('error') ?? 'unknown state'}`);
      this.pending.delete(state);
      const tokens = await oidc.authorizationCodeGrant(this.config!, url, {
        pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      this.signedIn = { sub: claims.sub, email: String(claims.email), email_verified: Boolean(claims.email_verified) };
      page(res, 200, `Signed in as ${this.signedIn.email}`);
    } else if (url.pathname === '/') {
      page(res, 200, 'InnovaShoes');
    } else {
      page(res, 404, 'Not found');
    }
  }
}

function page(res: ServerResponse, status: number, heading: string): void {
  const safe = heading.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${safe} · store</title><link rel="icon" href="data:,"></head><body><h1>${safe}</h1></body></html>`);
}

describe('social sign-in in a real Chromium', () => {
  let world: SocialWorld;
  let inbox: Inbox;
  let store: TinyStorefront;
  let browser: TestBrowser;
  let problems: PageProblem[];
  /** insole pages answered with an expected 4xx: Chromium logs "Failed to load resource" for them. */
  const expectedErrorDocuments = new Set<string>();

  before(async () => {
    store = new TinyStorefront();
    await store.listen();
    const { client_id, client_secret, redirect_uri } = store.client;
    inbox = await startInbox();
    world = await startSocialWorld({ clients: [{ client_id, client_secret, client_name: 'InnovaShoes', redirect_uris: [redirect_uri] }], mail: { smtp_url: inbox.url } });
    store.config = await discoverStorefront(world.insole.issuer, { ...store.client, post_logout_redirect_uri: `${store.origin}/` });
    browser = await launchBrowser();
    problems = await watchForProblems(browser.context);
  });

  after(async () => {
    await browser?.close();
    await store?.close();
    await world?.close();
    await inbox?.close();
  });

  afterEach(async () => {
    const unexpected = problems.filter((p) => !(p.kind === 'console' && expectedErrorDocuments.has(p.url)
      && /^Failed to load resource: the server responded with a status of 4\d\d/.test(p.text)));
    problems.length = 0;
    assert.deepEqual(unexpected, [], 'no console errors, page errors or CSP violations');
    assert.deepEqual(store.errors, [], 'the storefront handled every request');
    await browser.context.clearCookies(); // the next test is another shopper
  });

  const newPage = () => browser.newPage();

  test('Continue with Google → consent at Google → back at the store, signed in', async () => {
    const account = freshGoogle(world, { email_verified: true });
    const tab = await newPage();

    await tab.goto(`${store.origin}/login`);
    assert.equal(new URL(tab.url()).origin, world.insole.issuer, 'the store sent the shopper to insole');
    await tab.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const google = tab.getByRole('link', { name: 'Continue with Google' });
    await google.waitFor();
    for (const name of ['Continue with Facebook', 'Continue with X (Twitter)']) await tab.getByRole('link', { name }).waitFor();
    await screenshot(tab, 'social-01-sign-in');

    await google.click();
    await tab.waitForURL(`${world.google.url}/o/oauth2/v2/auth?**`);
    await tab.getByRole('heading', { level: 1, name: `Sign in to ${new URL(world.insole.issuer).host}` }).waitFor();
    await tab.getByText(account.email).waitFor();
    await screenshot(tab, 'social-02-google-consent');

    await tab.getByRole('button', { name: 'Allow' }).click();
    await tab.waitForURL(`${store.origin}/callback?**`);
    await tab.getByRole('heading', { name: `Signed in as ${account.email}` }).waitFor();
    await screenshot(tab, 'social-03-signed-in');

    assert.deepEqual(store.signedIn, { sub: `google-oauth2|${account.sub}`, email: account.email, email_verified: true });
    const user = await usersOf(world.insole).findOne({ user_id: `google-oauth2|${account.sub}` });
    assert.equal(user?.logins_count, 1);
    await tab.close();
  });

  test('Deny at Google → insole\'s sign-in page says so, and the shopper can still choose another way', async () => {
    freshGoogle(world);
    const tab = await newPage();
    await tab.goto(`${store.origin}/login`);
    await tab.getByRole('link', { name: 'Continue with Google' }).click();
    await tab.getByRole('button', { name: 'Deny' }).waitFor();

    const landed = tab.waitForResponse((r) => r.url().includes('/social/') && r.request().isNavigationRequest());
    await tab.getByRole('button', { name: 'Deny' }).click();
    const response = await landed;
    assert.equal(response.status(), 400);
    expectedErrorDocuments.add(response.url());
    await tab.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal((await tab.getByRole('alert').innerText()).trim(), 'You cancelled signing in with Google.');
    await tab.getByRole('link', { name: 'Continue with Google' }).waitFor();
    await screenshot(tab, 'social-04-google-cancelled');
    await tab.close();
  });

  test('Continue with Google in a popup (response_mode=web_message): every answer of insole keeps the opener, which receives the code', async () => {
    freshGoogle(world, { email_verified: true });
    const tab = await newPage();
    await tab.goto(`${store.origin}/`);
    const authorize = oidc.buildAuthorizationUrl(store.config!, {
      redirect_uri: store.client.redirect_uri, scope: 'openid email', state: 'popup-state', nonce: 'popup-nonce', response_mode: 'web_message',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    // The popup's first answer comes before Playwright hands the popup over (nor has it a frame yet):
    // listen on the context. The tab itself, on the store's page, asks insole nothing.
    const answers: string[] = [];
    const record = (response: Response) => {
      if (response.url().startsWith(`${world.insole.issuer}/`) && response.request().isNavigationRequest()) {
        answers.push(`${response.status()} ${new URL(response.url()).pathname.replace(/\/[A-Za-z0-9_-]{20,}/g, '/<id>')} ${response.headers()['cross-origin-opener-policy']}`);
      }
    };
    browser.context.on('response', record);
    // The app's side of auth0-spa-js's loginWithPopup(): open the popup, wait for insole's postMessage.
    const received = tab.evaluate((url) => new Promise<{ origin: string; response: Record<string, string> }>((resolve) => {
      window.addEventListener('message', (event) => {
        if ((event.data as { type?: string })?.type === 'authorization_response') resolve({ origin: event.origin, response: event.data.response });
      });
      window.open(url, 'insole-popup', 'popup,width=500,height=600');
      setTimeout(() => resolve({ origin: '', response: { error: 'no message from the popup in 10 s' } }), 10_000);
    }), authorize.href);
    const popup = await tab.waitForEvent('popup');
    await popup.getByRole('link', { name: 'Continue with Google' }).click();
    await popup.getByRole('button', { name: 'Allow' }).click();
    const { origin, response } = await received;
    browser.context.off('response', record);
    assert.equal(origin, world.insole.issuer, `the message: ${JSON.stringify(response)}; insole's answers: ${answers.join(', ')}`);
    assert.equal(response.state, 'popup-state');
    assert.ok(response.code, `a code: ${JSON.stringify(response)}`);
    assert.deepEqual(answers, [
      '200 /authorize unsafe-none', '302 /interaction/<id>/connect/google-oauth2 unsafe-none', '303 /login/callback/google-oauth2 unsafe-none',
      '200 /interaction/<id>/social/<id> unsafe-none', // the resume's web_message page, answered there (resume-here.ts)
    ]);
    await tab.close();
  });

  test('X without an email: the email step, a typo fixed with "Use another address", "Send again", the mailed link in the same browser, then back at the store', async () => {
    const account = freshTwitter(world, { email: undefined });
    const tab = await newPage();
    await tab.goto(`${store.origin}/login`);
    await tab.getByRole('link', { name: 'Continue with X (Twitter)' }).click();
    await tab.getByRole('button', { name: 'Allow' }).click();
    await tab.getByRole('heading', { level: 1, name: 'One more step' }).waitFor();
    await tab.getByText('X (Twitter) did not share an email address with us').waitFor();
    await screenshot(tab, 'social-05-x-email');

    await tab.getByLabel('Email').fill('alan.brwoser@example.com');
    await tab.getByRole('button', { name: 'Continue' }).click();
    await tab.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
    await tab.getByText('Open it in this browser to continue signing in with X (Twitter).').waitFor();
    await screenshot(tab, 'social-06-x-check-inbox');
    await tab.getByRole('link', { name: 'Use another address' }).click();
    assert.equal(await tab.getByLabel('Email').inputValue(), 'alan.brwoser@example.com', 'the typo, to correct');
    await tab.getByLabel('Email').fill('alan.browser@example.com');
    await tab.getByRole('button', { name: 'Continue' }).click();
    await tab.getByText('We sent a link to alan.browser@example.com.').waitFor();
    const tooSoon = tab.waitForResponse((r) => r.url().endsWith('/again') && r.request().isNavigationRequest());
    await tab.getByRole('button', { name: 'Send again' }).click();
    const response = await tooSoon;
    assert.equal(response.status(), 429, 'within a minute of the last mail: nothing sent');
    expectedErrorDocuments.add(response.url());
    await tab.getByRole('alert').getByText('We sent the link less than a minute ago.').waitFor();
    // A minute on (connections.email_step.send_again_after_seconds), the same page's button mails again.
    const waitMs = world.insole.config.connections.email_step.send_again_after_seconds * 1000;
    await world.insole.db.collection('social_handshakes').updateMany({ kind: 'pending_email', 'data.typed': 'alan.browser@example.com' }, { $set: { 'data.sent_at': new Date(Date.now() - waitMs - 1000) } });
    await tab.getByRole('button', { name: 'Send again' }).click();
    await tab.getByText('We sent the link again to alan.browser@example.com.').waitFor();

    const mail = await inbox.waitForNth('alan.browser@example.com', /^Confirm your email/, 2);
    await tab.goto(inbox.linkIn(mail, `${world.insole.issuer}/interaction/`));
    await tab.waitForURL(`${store.origin}/callback?**`);
    await tab.getByRole('heading', { name: 'Signed in as alan.browser@example.com' }).waitFor();
    assert.deepEqual(store.signedIn, { sub: `twitter|${account.id_str}`, email: 'alan.browser@example.com', email_verified: true });
    await tab.close();
  });

  test('X without an email, typed address with an account: the same "check your inbox"; the owner\'s link asks for the account\'s password, then X is linked', async () => {
    const email = `owner.${Date.now()}@example.com`;
    const password = 'heel toe heel toe marathon';
    const tab = await newPage();
    await tab.goto(`${store.origin}/login`); // the owner made the account earlier, on the hosted sign-up page
    await tab.getByRole('link', { name: 'Create an account' }).click();
    await tab.getByLabel('Email').fill(email);
    await tab.getByLabel('Password').fill(password);
    await tab.getByRole('button', { name: 'Create account' }).click();
    await tab.waitForURL(`${store.origin}/callback?**`);
    const sub = store.signedIn!.sub;
    await browser.context.clearCookies(); // another browser: the one that signs in with X
    store.signedIn = undefined as TinyStorefront['signedIn']; // set again only by the sign-in below

    const account = freshTwitter(world, { email: undefined });
    await tab.goto(`${store.origin}/login`);
    await tab.getByRole('link', { name: 'Continue with X (Twitter)' }).click();
    await tab.getByRole('button', { name: 'Allow' }).click();
    await tab.getByLabel('Email').fill(email);
    await tab.getByRole('button', { name: 'Continue' }).click();
    await tab.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
    await tab.getByText('Open it in this browser to continue signing in with X (Twitter).').waitFor();

    const mail = await inbox.waitFor(email, /^Connect X \(Twitter\) to your/);
    await tab.goto(inbox.linkIn(mail, `${world.insole.issuer}/interaction/`));
    await tab.getByText(`You already have an account with ${email}. Sign in to it once to connect X (Twitter).`).waitFor();
    await tab.getByLabel('Password').fill(password);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.waitForURL(`${store.origin}/callback?**`);
    assert.equal(store.signedIn?.sub, sub);
    const identities = (await usersOf(world.insole).findOne({ user_id: sub }))!.identities.map((i: { user_id: string }) => i.user_id);
    assert.ok(identities.includes(account.id_str), 'X is linked to the account');
    await tab.close();
  });
});
