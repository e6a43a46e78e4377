import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { launchBrowser, screenshot, watchForProblems, type PageProblem, type TestBrowser } from './support/browser.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { discoverStorefront, oidc } from './support/relying-party.ts';

const BRAND = { name: 'InnovaShoes', color: 'rgb(228, 87, 46)' }; // the default brand: #e4572e

/**
 * The storefront as a real web server on loopback: /login starts the code flow (PKCE, state, nonce),
 * /callback exchanges the code with openid-client, /logout starts RP-initiated logout, / is home.
 * It keeps its own "session" in memory, so it sets no cookies next to insole's on 127.0.0.1.
 */
class Storefront {
  readonly server: Server;
  origin = '';
  client = { client_id: 'browser-storefront', client_secret: 'browser-storefront-secret-0123456789', redirect_uri: '', post_logout_redirect_uri: '' };
  config?: oidc.Configuration;
  readonly visits: string[] = [];
  readonly errors: string[] = [];
  signedIn?: { email: string; sub: string; idToken: string };
  private readonly pending = new Map<string, { verifier: string; nonce: string }>();

  constructor() {
    this.server = createServer((req, res) => {
      this.visits.push(req.url ?? '');
      this.handle(req, res).catch((err: unknown) => {
        this.errors.push(String((err as Error)?.stack ?? err));
        if (!res.headersSent) html(res, 500, 'Storefront error', `<p role="alert">${escapeHtml(String(err))}</p>`);
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.client.redirect_uri = `${this.origin}/callback`;
    this.client.post_logout_redirect_uri = `${this.origin}/`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** An authorization URL for this storefront; the code flow's secrets stay here until /callback. */
  async authorizationUrl(extra: Record<string, string> = {}): Promise<string> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    this.pending.set(state, { verifier, nonce });
    return oidc.buildAuthorizationUrl(this.config!, {
      redirect_uri: this.client.redirect_uri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state, nonce, ...extra,
    }).href;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    if (url.pathname === '/login') {
      res.writeHead(302, { location: await this.authorizationUrl() }).end();
    } else if (url.pathname === '/login-post') {
      // The same request as a form posted to the authorization endpoint (OpenID Connect Core §3.1.2.1).
      const authorization = new URL(await this.authorizationUrl());
      const fields = [...authorization.searchParams].map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`);
      html(res, 200, 'Sign in to the store', `<form method="post" action="${escapeHtml(authorization.origin + authorization.pathname)}">${fields.join('')}<button type="submit">Sign in</button></form>`);
    } else if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const pending = this.pending.get(state);
      if (url.searchParams.has('error') || !pending) {
        html(res, 400, 'Sign-in failed', `<p role="alert">${escapeHtml(url.searchParams.get('error_description') ?? url.searchParams.get('error') ?? 'Unknown state.')}</p>`);
        return;
      }
      this.pending.delete(state);
      const tokens = await oidc.authorizationCodeGrant(this.config!, url, {
        pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      this.signedIn = { email: String(claims.email), sub: claims.sub, idToken: tokens.id_token! };
      html(res, 200, `Signed in as ${this.signedIn.email}`, '<p><a href="/logout">Sign out</a></p>');
    } else if (url.pathname === '/logout') {
      const idToken = this.signedIn?.idToken;
      this.signedIn = undefined; // the storefront forgets the shopper first, then asks insole to
      if (!idToken) { res.writeHead(302, { location: '/' }).end(); return; }
      const endSession = oidc.buildEndSessionUrl(this.config!, {
        id_token_hint: idToken, post_logout_redirect_uri: this.client.post_logout_redirect_uri, state: 'bye',
      });
      res.writeHead(302, { location: endSession.href }).end();
    } else if (url.pathname === '/') {
      if (this.signedIn) html(res, 200, `Signed in as ${this.signedIn.email}`, '<p><a href="/logout">Sign out</a></p>');
      else html(res, 200, 'Signed out', '<p><a href="/login">Sign in</a></p>');
    } else {
      html(res, 404, 'Not found', '<p>Not found.</p>');
    }
  }
}

function html(res: ServerResponse, status: number, heading: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)} · InnovaShoes store</title>` +
    `<link rel="icon" href="data:,"></head><body><h1>${escapeHtml(heading)}</h1>${body}</body></html>`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The accessibility basics every hosted page must meet. */
async function assertAccessibleBasics(page: Page): Promise<void> {
  const facts = await page.evaluate(() => {
    const inputs = [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !(el instanceof HTMLInputElement && el.type === 'hidden')) as (HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement)[];
    return {
      lang: document.documentElement.lang,
      h1: [...document.querySelectorAll('h1')].map((h) => h.textContent?.trim() ?? ''),
      title: document.title,
      unlabelled: inputs.filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))).map((el) => el.outerHTML),
      unnamedButtons: [...document.querySelectorAll('button, a')].filter((el) => !(el.textContent?.trim() || el.getAttribute('aria-label'))).map((el) => el.outerHTML),
      imagesWithoutAlt: [...document.querySelectorAll('img')].filter((img) => !img.hasAttribute('alt')).map((img) => img.outerHTML),
      horizontalOverflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      brandVariable: getComputedStyle(document.documentElement).getPropertyValue('--brand').trim(),
      brandCssLoaded: [...document.styleSheets].some((s) => s.href?.endsWith('/assets/brand.css')),
      primaryButton: [...document.querySelectorAll('button.primary')].map((el) => {
        const style = getComputedStyle(el);
        return { text: el.textContent?.trim(), color: style.color, background: style.backgroundColor };
      }),
    };
  });
  assert.ok(facts.lang, `<html lang> is set on ${page.url()}`);
  assert.equal(facts.h1.length, 1, `exactly one h1 on ${page.url()}: ${JSON.stringify(facts.h1)}`);
  assert.ok(facts.h1[0], 'the h1 has text');
  assert.ok(facts.title.includes(BRAND.name), `the title names the brand: ${facts.title}`);
  assert.deepEqual(facts.unlabelled, [], 'every input has a label');
  assert.deepEqual(facts.unnamedButtons, [], 'every button and link has a name');
  assert.deepEqual(facts.imagesWithoutAlt, [], 'every image has alt (empty when decorative)');
  assert.equal(facts.horizontalOverflow, false, `no horizontal scrolling on ${page.url()}`);
  assert.ok(facts.brandCssLoaded, '/assets/brand.css is applied');
  assert.equal(facts.brandVariable, '#e4572e');
  for (const button of facts.primaryButton) {
    const ratio = contrastRatio(button.color, button.background);
    assert.ok(ratio >= 4.5, `"${button.text}" has WCAG AA text contrast: ${ratio.toFixed(2)}:1 (${button.color} on ${button.background})`);
  }
  await page.getByRole('banner').or(page.locator('header.brand')).first().getByText(BRAND.name).waitFor();
}

/** WCAG 2 contrast ratio of two computed CSS colours (`rgb(…)` or `color(srgb …)`, as Chromium reports them). */
function contrastRatio(foreground: string, background: string): number {
  const luminance = (css: string) => {
    const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)/.exec(css)?.slice(1).map(Number)
      ?? /^rgba?\((\d+(?:\.\d+)?), (\d+(?:\.\d+)?), (\d+(?:\.\d+)?)/.exec(css)?.slice(1).map((c) => Number(c) / 255);
    if (!srgb) throw new Error(`cannot read the colour ${css}`);
    const [r, g, b] = srgb.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [luminance(foreground), luminance(background)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The response to the form post that `submit` sends from the main frame, to a URL that matches. */
async function formPostResponse(page: Page, matches: (url: URL) => boolean, submit: () => Promise<unknown>): Promise<Response> {
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()
    && r.frame() === page.mainFrame() && matches(new URL(r.url())));
  await submit();
  return response;
}

describe('the hosted pages in a real Chromium', () => {
  let insole: TestInsole;
  let storefront: Storefront;
  let browser: TestBrowser;
  let problems: PageProblem[];
  /** Documents answered with an expected 4xx: Chromium logs "Failed to load resource" for them. */
  const expectedErrorDocuments = new Set<string>();

  before(async () => {
    storefront = new Storefront();
    await storefront.listen();
    const { client_id, client_secret, redirect_uri, post_logout_redirect_uri } = storefront.client;
    insole = await startTestInsole({
      clients: [{ client_id, client_secret, client_name: 'InnovaShoes', redirect_uris: [redirect_uri], post_logout_redirect_uris: [post_logout_redirect_uri] }],
    });
    storefront.config = await discoverStorefront(insole.issuer, storefront.client);
    browser = await launchBrowser();
    problems = await watchForProblems(browser.context);
  });

  after(async () => {
    await browser?.close();
    await storefront?.close();
    await insole?.stop();
  });

  afterEach(() => {
    const unexpected = problems.filter((p) => !(p.kind === 'console' && expectedErrorDocuments.has(p.url)
      && /^Failed to load resource: the server responded with a status of 4\d\d/.test(p.text)));
    problems.length = 0;
    assert.deepEqual(unexpected, [], 'no console errors, page errors or CSP violations');
    assert.deepEqual(storefront.errors, [], 'the storefront handled every request');
  });

  const newPage = () => browser.newPage();

  const email = 'Browser.Shopper@InnovaShoes.example';
  const normalizedEmail = email.toLowerCase();
  const password = 'laces tongue heel counter insole';

  /** On insole's sign-in form: the shopper who signed up in the first test signs in and lands back at the store. */
  async function signInAsTheShopper(page: Page): Promise<void> {
    await page.getByLabel('Email').fill(normalizedEmail);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${storefront.origin}/callback?**`);
    await page.getByRole('heading', { name: `Signed in as ${normalizedEmail}` }).waitFor();
  }

  test('sign up, sign out and sign in again, with every page on screen', async () => {
    const page = await newPage();
    const onInsole = () => new URL(page.url()).origin === insole.issuer;

    // 1. The storefront sends the shopper to insole's sign-in page.
    await page.goto(`${storefront.origin}/login`);
    assert.ok(onInsole(), `on insole: ${page.url()}`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await assertAccessibleBasics(page);
    await screenshot(page, '01-sign-in');

    // 2. Sign-up page.
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    assert.match(page.url(), /\/interaction\/[^/]+\/signup$/);
    await assertAccessibleBasics(page);
    await screenshot(page, '02-sign-up');

    // 3. A too-common password is refused in the form.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('password1');
    const refused = await formPostResponse(page, (u) => u.pathname.endsWith('/signup'),
      () => page.getByRole('button', { name: 'Create account' }).click());
    assert.equal(refused.status(), 400);
    expectedErrorDocuments.add(refused.url());
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /too common/);
    assert.equal(await page.getByLabel('Email').inputValue(), normalizedEmail, 'the email stays in the form');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
    await assertAccessibleBasics(page);
    await screenshot(page, '03-sign-up-error');

    // 4. A good password: the account is created and the storefront has the shopper.
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${storefront.origin}/callback?**`);
    await page.getByRole('heading', { name: `Signed in as ${normalizedEmail}` }).waitFor();
    assert.match(storefront.signedIn!.sub, /^auth0\|[0-9a-f]{24}$/);
    await screenshot(page, '04-signed-in');

    // 5. RP-initiated logout (openid-client's end-session URL): insole asks for confirmation.
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor();
    const logoutUrl = new URL(page.url());
    assert.equal(logoutUrl.origin + logoutUrl.pathname, `${insole.issuer}/oidc/logout`);
    assert.ok(logoutUrl.searchParams.get('id_token_hint'));
    assert.equal(logoutUrl.searchParams.get('post_logout_redirect_uri'), storefront.client.post_logout_redirect_uri);
    await assertAccessibleBasics(page);
    await screenshot(page, '05-sign-out');

    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${storefront.origin}/?state=bye`);
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();

    // 6. Signed out at insole too: the sign-in page again. A wrong password first.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.ok(onInsole(), 'insole shows the sign-in page again instead of signing in silently');
    await page.getByLabel('Email').fill(normalizedEmail);
    await page.getByLabel('Password').fill('not my password at all');
    const wrong = await formPostResponse(page, (u) => u.pathname.endsWith('/login'),
      () => page.getByRole('button', { name: 'Sign in' }).click());
    assert.equal(wrong.status(), 401);
    expectedErrorDocuments.add(wrong.url());
    await page.getByRole('alert').waitFor();
    assert.equal((await page.getByRole('alert').innerText()).trim(), 'Wrong email or password.');
    assert.equal(await page.getByLabel('Email').inputValue(), normalizedEmail);
    assert.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    await assertAccessibleBasics(page);
    await screenshot(page, '06-sign-in-error');

    // 7. The sign-in POST itself answers with the redirect to the store: the authorization is resumed
    // in it (src/oidc/resume-here.ts), though Chromium sends the resume cookie only to /authorize/<uid>.
    const resumes: string[] = [];
    page.on('request', (r) => { if (/^\/authorize\/[^/]+$/.test(new URL(r.url()).pathname)) resumes.push(r.url()); });
    await page.getByLabel('Password').fill(password);
    const signedIn = await formPostResponse(page, (u) => u.pathname.endsWith('/login'),
      () => page.getByRole('button', { name: 'Sign in' }).click());
    assert.equal(signedIn.status(), 303);
    assert.ok(signedIn.headers().location?.startsWith(`${storefront.origin}/callback?`), `the POST redirected to ${signedIn.headers().location}`);
    await page.waitForURL(`${storefront.origin}/callback?**`);
    await page.getByRole('heading', { name: `Signed in as ${normalizedEmail}` }).waitFor();
    assert.deepEqual(resumes, [], 'no separate resume request');

    const user = await insole.db.collection('users').findOne({ user_id: storefront.signedIn!.sub });
    assert.equal(user?.email, normalizedEmail);
    assert.equal(user?.logins_count, 2);
    await page.close();
  });

  test('an unregistered redirect_uri gets insole\'s branded error page, not a redirect', async () => {
    const page = await newPage();
    const bad = `${storefront.origin}/not-registered`;
    const url = await storefront.authorizationUrl({ redirect_uri: bad });
    const response = await page.goto(url);
    assert.equal(response?.status(), 400);
    expectedErrorDocuments.add(response!.url());
    assert.equal(new URL(page.url()).origin, insole.issuer, 'the browser stays on insole');
    assert.ok(!storefront.visits.some((v) => v.startsWith('/not-registered')), 'nothing was sent to the unregistered URL');
    await page.getByRole('heading', { level: 1, name: 'Something went wrong' }).waitFor();
    assert.match(await page.getByRole('alert').innerText(), /redirect_uri/);
    await assertAccessibleBasics(page);
    await screenshot(page, '07-error');
    await page.close();
  });

  test('a sign-in in a second tab, with a wrong password and the password-reset page on the way, leaves the first tab\'s form working', async () => {
    await browser.context.clearCookies(); // not signed in at insole: both tabs show the sign-in page
    const first = await newPage();
    await first.goto(`${storefront.origin}/login`);
    await first.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();

    const second = await newPage();
    await second.goto(`${storefront.origin}/login`);
    await second.getByLabel('Email').fill(normalizedEmail); // the shopper who signed up above
    await second.getByLabel('Password').fill('not my password at all');
    const wrong = await formPostResponse(second, (u) => u.pathname.endsWith('/login'),
      () => second.getByRole('button', { name: 'Sign in' }).click());
    assert.equal(wrong.status(), 401);
    expectedErrorDocuments.add(wrong.url());
    const reset = await newPage();
    await reset.goto(`${insole.issuer}/password/reset`);
    await reset.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    await second.getByLabel('Password').fill(password);
    await second.getByRole('button', { name: 'Sign in' }).click();
    await second.waitForURL(`${storefront.origin}/callback?**`);

    await first.getByLabel('Email').fill(normalizedEmail);
    await first.getByLabel('Password').fill(password);
    const done = await formPostResponse(first, (u) => u.pathname.endsWith('/login'),
      () => first.getByRole('button', { name: 'Sign in' }).click());
    assert.equal(done.status(), 303, `the first tab's form is accepted (HTTP ${done.status()})`);
    await first.waitForURL(`${storefront.origin}/callback?**`);
    await first.getByRole('heading', { name: `Signed in as ${normalizedEmail}` }).waitFor();
    for (const page of [first, second, reset]) await page.close();
  });

  test('a storefront on another site posts its authorization request: the sign-in page, then, signed in, straight back with a code', async () => {
    await browser.context.clearCookies();
    const page = await newPage();
    const otherSite = storefront.origin.replace('127.0.0.1', 'localhost'); // insole is on 127.0.0.1
    await page.goto(`${otherSite}/login-post`);
    const posted = await formPostResponse(page, (u) => u.origin === insole.issuer && u.pathname === '/authorize',
      () => page.getByRole('button', { name: 'Sign in' }).click());
    assert.equal(posted.status(), 303, 'answered with the same request as a GET');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await signInAsTheShopper(page);

    // Signed in at insole, the same cross-site post comes straight back: its GET carries the session cookie (SameSite=Lax).
    await page.goto(`${otherSite}/login-post`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${storefront.origin}/callback?**`);
    await page.getByRole('heading', { name: `Signed in as ${normalizedEmail}` }).waitFor();
    await page.close();
  });

  test('a shopper sent to "Create account" who already has one follows "Sign in" to the sign-in form and signs in', async () => {
    await browser.context.clearCookies();
    const page = await newPage();
    await page.goto(await storefront.authorizationUrl({ screen_hint: 'signup' }));
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await signInAsTheShopper(page);
    await page.close();
  });

  test('a mistyped address on "Forgot your password?" and "send the link again" shows the form again with the message and what was typed', async () => {
    const page = await newPage();
    for (const { path, heading, button } of [
      { path: '/password/reset', heading: 'Reset your password', button: 'Send reset link' },
      { path: '/email/verify/resend', heading: 'Confirm your email', button: 'Send link' },
    ]) {
      await page.goto(`${insole.issuer}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByLabel('Email', { exact: true }).fill('browser.shopper.innovashoes.example');
      const refused = await formPostResponse(page, (u) => u.pathname === path, () => page.getByRole('button', { name: button }).click());
      assert.equal(refused.status(), 400);
      expectedErrorDocuments.add(refused.url());
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      assert.equal((await page.getByRole('alert').innerText()).trim(), 'Enter a valid email address.');
      assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), 'browser.shopper.innovashoes.example', 'what was typed stays, to be corrected');
      await assertAccessibleBasics(page);

      await page.getByLabel('Email', { exact: true }).fill(normalizedEmail);
      await page.getByRole('button', { name: button }).click();
      await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
    }
    await page.close();
  });

  test('the sign-in page fits a 375px-wide phone', async () => {
    await browser.context.clearCookies(); // a shopper on another device: not signed in
    const page = await newPage();
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${storefront.origin}/login`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await assertAccessibleBasics(page);
    for (const target of [page.getByLabel('Email'), page.getByLabel('Password'), page.getByRole('button', { name: 'Sign in' })]) {
      const box = (await target.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= 375, `fits the width: ${JSON.stringify(box)}`);
      assert.ok(box.height >= 44, `a comfortable touch target (44px): ${JSON.stringify(box)}`);
    }
    await screenshot(page, '08-sign-in-mobile');
    await page.close();
  });
});
