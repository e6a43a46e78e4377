// loginWithPopup() (auth0-spa-js, unchanged, in a real Chromium) when the shopper leaves the plain
// sign-in inside the popup: "Forgot your password?", a verify-first sign-up, a refused form (its
// "Continue" after a link confirmed in this browser: auth0-spa-sdk-popup-handover.test.ts). Every
// answer the popup gets must keep its opener (COOP unsafe-none; popup-opener-policy.ts), or the SDK
// reports "Popup closed" ('cancelled') and never gets the code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { TestBrowser } from './support/browser.ts';
import type { TestInsole } from './support/insole.ts';
import { api, managementToken, m2mClientConfig } from './support/management.ts';
import { POPUP_CLIENT_ID, startPopupShop, type PopupShop } from './support/popup-shop.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { appState, loginWithPopup, type SpaShop } from './support/spa-shop.ts';

const M2M = { client_id: 'popup-admin', client_secret: 'popup-admin-secret-0123456789', scopes: ['create:users'] };

describe('loginWithPopup(): password reset, verify-first sign-up and a refused form stay inside the popup', () => {
  let shop: PopupShop;
  let insole: TestInsole;
  let issuer: string;
  let spa: SpaShop;
  let browser: TestBrowser;
  let inbox: Inbox;
  let serial = 0;

  before(async () => {
    inbox = await startInbox();
    shop = await startPopupShop({ mail: { smtp_url: inbox.url }, signup: { verify_email_first: true } }, [m2mClientConfig(M2M)]);
    ({ issuer, insole, spa, browser } = shop);
  });

  after(async () => {
    await shop?.close();
    await inbox?.close();
  });

  const newEmail = (name: string) => `${name}.${Date.now()}${++serial}@innovashoes.example`;

  /** The app's page calls loginWithPopup(); every navigation answer insole sends the popup is recorded with its COOP. */
  async function openPopup(): Promise<{ page: Page; popup: Page; done: Promise<string>; answers: () => string[] }> {
    const page = await browser.newPage({ signedOut: true });
    await page.goto(spa.url('popup'));
    const seen: { from: Page | null; answer: string }[] = [];
    page.context().on('response', (response) => {
      if (response.url().startsWith(`${issuer}/`) && response.request().isNavigationRequest()) {
        const path = new URL(response.url()).pathname.replace(/\/[A-Za-z0-9_-]{20,}/g, '/<id>');
        seen.push({ from: response.frame().page(), answer: `${response.status()} ${path} ${response.headers()['cross-origin-opener-policy']}` });
      }
    });
    const opened = page.waitForEvent('popup');
    const done = loginWithPopup(page);
    const popup = await opened;
    // The popup's own answers, not those of the tabs the mailed links open.
    const answers = () => seen.filter(({ from }) => from === popup).map(({ answer }) => answer);
    return { page, popup, done, answers };
  }

  async function signInThere(popup: Page, email: string, password: string): Promise<void> {
    await popup.getByLabel('Email').fill(email);
    await popup.getByLabel('Password').fill(password);
    await popup.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Opens the link of a mail in a new tab of the same browser (a webmail's link), as a shopper does. */
  async function openMailedLink(to: string, subject: RegExp, prefix: string): Promise<Page> {
    const link = inbox.linkIn(await inbox.waitFor(to, subject), `${issuer}${prefix}`);
    const tab = await browser.newPage();
    await tab.goto(link);
    return tab;
  }

  const severing = (answers: string[]) => answers.filter((answer) => !answer.endsWith(' unsafe-none'));

  test('"Forgot your password?": the reset mail is asked for and the popup goes back to the sign-in, which finishes there', async () => {
    const email = newEmail('forgetful');
    const { access_token } = await managementToken(insole, M2M);
    const created = await api(insole, access_token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: 'the one I forgot', email_verified: true });
    assert.equal(created.status, 201);

    const { page, popup, done, answers } = await openPopup();
    await popup.getByRole('link', { name: 'Forgot your password?' }).click();
    await popup.getByLabel('Email').fill(email);
    await popup.getByRole('button', { name: 'Send reset link' }).click();
    await popup.getByRole('heading', { name: 'Check your inbox' }).waitFor();

    const tab = await openMailedLink(email, /Reset your .* password/, '/password/reset/new?ticket=');
    await tab.getByLabel('New password', { exact: true }).fill('a brand new one for the shop');
    await tab.getByRole('button', { name: 'Change password' }).click();
    await tab.getByRole('heading', { name: 'Password changed' }).waitFor();
    await tab.close();

    await popup.getByRole('link', { name: 'Back to sign in' }).click();
    await signInThere(popup, email, 'a brand new one for the shop');
    assert.equal(await done, 'ok', `the SDK's answer; insole's answers to the popup: ${answers().join(', ')}`);
    assert.equal((await appState(page)).user?.email, email);
    assert.deepEqual(severing(answers()), [], 'every answer to the popup keeps its opener');
    assert.deepEqual(answers().map((answer) => answer.split(' ')[1]), [
      '/authorize', '/interaction/<id>/password/reset', '/interaction/<id>/password/reset', '/interaction/<id>/password/reset/sent',
      '/interaction/<id>/login', '/interaction/<id>/login',
    ]);
    await page.close();
  });

  test('a verify-first sign-up: the mailed link, opened in another tab, creates the account with a page saying so; the shopper may sign in with the password in the popup', async () => {
    const email = newEmail('newcomer');
    const { page, popup, done, answers } = await openPopup();
    await popup.getByRole('link', { name: 'Create an account' }).click();
    await popup.getByLabel('Email').fill(email);
    await popup.getByLabel('Password').fill('my first shop password');
    await popup.getByRole('button', { name: 'Create account' }).click();
    await popup.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    assert.match(await popup.getByRole('status').innerText(), /then come back to this window and press Continue\. Opened it on another device\? Then come back and sign in/);

    const tab = await openMailedLink(email, /Confirm your email/, '/email/verify?ticket=');
    const confirmed = tab.waitForResponse((response) => /\/interaction\/[^/]+\/verified\//.test(response.url()));
    await tab.getByRole('button', { name: 'Confirm my email' }).click();
    await tab.getByRole('heading', { name: 'Email confirmed' }).waitFor();
    assert.equal((await confirmed).headers()['cross-origin-opener-policy'], 'same-origin', 'the mail\'s tab is no popup');
    assert.match(await tab.getByRole('status').innerText(), /account is ready\. Go back to the window where you signed up and press Continue there/);
    await tab.close();

    await popup.getByRole('link', { name: 'Sign in', exact: true }).click();
    await signInThere(popup, email, 'my first shop password');
    assert.equal(await done, 'ok', `the SDK's answer; insole's answers to the popup: ${answers().join(', ')}`);
    assert.equal((await appState(page)).user?.email, email);
    assert.deepEqual(severing(answers()), [], 'every answer to the popup keeps its opener');
    await page.close();
  });

  test('a refused form (CSRF) in the popup answers with the popup\'s policy: the shopper can go on and sign in there', async () => {
    const email = newEmail('steady');
    const { access_token } = await managementToken(insole, M2M);
    assert.equal((await api(insole, access_token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: 'steady as she goes', email_verified: true })).status, 201);

    const { page, popup, done, answers } = await openPopup();
    const uid = /\/interaction\/([^/]+)\/login$/.exec(String(await popup.locator('form[action$="/login"]').getAttribute('action')))![1];
    await popup.locator('input[name="_csrf"]').evaluate((input: HTMLInputElement) => { input.value = 'not-the-token'; });
    await signInThere(popup, email, 'steady as she goes');
    await popup.getByText('This form has expired').waitFor();
    assert.equal(answers().at(-1), '403 /interaction/<id>/login unsafe-none');

    await popup.goto(`${issuer}/interaction/${uid}/login`);
    await signInThere(popup, email, 'steady as she goes');
    assert.equal(await done, 'ok', `the SDK's answer; insole's answers to the popup: ${answers().join(', ')}`);
    assert.deepEqual(severing(answers()), []);
    await page.close();
  });

  test('a refused form, and the reset form, keep same-origin outside a popup sign-in', async () => {
    const authorize = (params: Record<string, string>) => `${issuer}/authorize?${new URLSearchParams({
      client_id: POPUP_CLIENT_ID, redirect_uri: spa.url('popup'), response_type: 'code', scope: 'openid', state: 's', nonce: 'n',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params,
    })}`;
    /** The policy of the reset form's page, then of a form posted with a wrong token to each form of the interaction. */
    async function refusals(params: Record<string, string>): Promise<string[]> {
      const answer = await fetch(authorize(params));
      const uid = /\/interaction\/([A-Za-z0-9_-]+)\//.exec(await answer.text())![1];
      const cookie = answer.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
      const post = async (path: string) => {
        const refused = await fetch(`${issuer}/interaction/${uid}${path}`, {
          method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: new URLSearchParams({ email: 'a@innovashoes.example', password: 'x', _csrf: 'forged' }), redirect: 'manual',
        });
        return `${refused.status} ${refused.headers.get('cross-origin-opener-policy')}`;
      };
      const resetPage = await fetch(`${issuer}/interaction/${uid}/password/reset`, { headers: { cookie } });
      return [`${resetPage.status} ${resetPage.headers.get('cross-origin-opener-policy')}`, await post('/login'), await post('/signup'), await post('/password/reset'), await post('/check-inbox/some-handle/continue')];
    }
    assert.deepEqual(await refusals({ response_mode: 'web_message' }), ['200 unsafe-none', '403 unsafe-none', '403 unsafe-none', '403 unsafe-none', '403 unsafe-none']);
    assert.deepEqual(await refusals({}), ['200 same-origin', '403 same-origin', '403 same-origin', '403 same-origin', '403 same-origin'], 'loginWithRedirect');
    const noInteraction = await fetch(`${issuer}/interaction/no-such-sign-in/login`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=forged',
    });
    assert.equal(`${noInteraction.status} ${noInteraction.headers.get('cross-origin-opener-policy')}`, '403 same-origin');
  });

  test('"Forgot your password?" of a sign-in that is over (or not this browser\'s) falls back to /password/reset', async () => {
    const signInPage = await fetch(`${issuer}/authorize?${new URLSearchParams({
      client_id: POPUP_CLIENT_ID, redirect_uri: spa.url('popup'), response_type: 'code', scope: 'openid', state: 's', nonce: 'n', response_mode: 'web_message',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`);
    const html = await signInPage.text();
    const uid = /\/interaction\/([A-Za-z0-9_-]+)\/password\/reset/.exec(html)![1];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    // The CSRF cookie without the interaction's: the sign-in cannot be read (SessionNotFound).
    const cookie = signInPage.headers.getSetCookie().map((line) => line.split(';')[0]).filter((pair) => !pair!.startsWith('_interaction')).join('; ');
    const reset = `${issuer}/interaction/${uid}/password/reset`;
    const where = (answer: Response) => `${answer.status} ${answer.headers.get('location')} ${answer.headers.get('cross-origin-opener-policy')}`;
    assert.equal(where(await fetch(reset, { headers: { cookie }, redirect: 'manual' })), '303 /password/reset same-origin');
    assert.equal(where(await fetch(`${reset}/sent`, { headers: { cookie }, redirect: 'manual' })), '303 /password/reset/sent same-origin');
    const asked = await fetch(reset, {
      method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual',
      body: new URLSearchParams({ email: newEmail('nobody'), _csrf: csrf }),
    });
    assert.equal(where(asked), '303 /password/reset/sent same-origin', 'the request is taken, as /password/reset takes it');
  });
});
