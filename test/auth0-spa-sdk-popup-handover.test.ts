// A verify-first sign-up inside loginWithPopup() (auth0-spa-js, unchanged, in a real Chromium): the
// mailed link confirmed in another tab of the same browser hands over to the popup, whose
// "Continue" finishes the sign-in there (the code to the opener by web_message), once. A link
// confirmed in another browser hands over nothing: the shopper signs in with the password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { FLOW_COLLECTION } from '../src/oidc/flow-collection.ts';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import type { TestInsole } from './support/insole.ts';
import { api, managementToken, m2mClientConfig } from './support/management.ts';
import { startPopupShop, type PopupShop } from './support/popup-shop.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { appState, loginWithPopup, type SpaShop } from './support/spa-shop.ts';

const M2M = { client_id: 'handover-admin', client_secret: 'handover-admin-secret-0123456789', scopes: ['create:users'] };
const PASSWORD = 'my first shop password';
const CONTINUE = "I've confirmed my email — continue";

describe('loginWithPopup(): a verify-first sign-up confirmed in this browser continues in the popup', () => {
  let shop: PopupShop;
  let insole: TestInsole;
  let issuer: string;
  let spa: SpaShop;
  let browser: TestBrowser;
  let trust: string;
  let inbox: Inbox;
  let serial = 0;

  before(async () => {
    inbox = await startInbox();
    shop = await startPopupShop({ mail: { smtp_url: inbox.url }, signup: { verify_email_first: true } }, [m2mClientConfig(M2M)]);
    ({ issuer, insole, spa, browser, trust } = shop);
  });

  after(async () => {
    await shop?.close();
    await inbox?.close();
  });

  const newEmail = (name: string) => `${name}.${Date.now()}${++serial}@innovashoes.example`;

  /** The app calls loginWithPopup(); the shopper signs up in the popup and sees "Check your inbox". */
  async function signUpInPopup(email: string) {
    const page = await browser.newPage({ signedOut: true });
    await page.goto(spa.url('popup'));
    const answers: string[] = [];
    const opened = page.waitForEvent('popup');
    const done = loginWithPopup(page);
    done.catch(() => undefined); // a test that closes the app's page leaves it pending
    const popup = await opened;
    popup.on('response', (response) => {
      if (response.request().isNavigationRequest()) answers.push(`${response.status()} ${response.headers()['cross-origin-opener-policy']}`);
    });
    await signUpIn(popup, email);
    return { page, popup, done, answers };
  }

  /** From a page with a "Create an account" link: signs up `email` there, up to "Check your inbox". */
  async function signUpIn(popup: Page, email: string) {
    await popup.getByRole('link', { name: 'Create an account' }).click();
    await popup.getByLabel('Email').fill(email);
    await popup.getByLabel('Password').fill(PASSWORD);
    await popup.getByRole('button', { name: 'Create account' }).click();
    await popup.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  }

  /** Presses Continue in the popup; the answer insole gave. */
  async function pressContinue(popup: Page): Promise<Response> {
    const answered = popup.waitForResponse((response) => response.url().endsWith('/continue'));
    await popup.getByRole('button', { name: CONTINUE }).click();
    return answered;
  }

  /** Opens the sign-up's mailed link in a tab of `where` and confirms it; the tab's message. */
  async function confirmLink(email: string, where: TestBrowser): Promise<string> {
    const link = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${issuer}/email/verify?ticket=`);
    const tab = await where.newPage();
    await tab.goto(link);
    await tab.getByRole('button', { name: 'Confirm my email' }).click();
    await tab.getByRole('heading', { name: 'Email confirmed' }).waitFor();
    const said = await tab.getByRole('status').innerText();
    await tab.close();
    return said;
  }

  const handoversOf = (uid: string) => insole.db.collection('social_handshakes').countDocuments({ uid, kind: 'popup_handover' });
  const uidOf = (popup: Page) => /\/interaction\/([^/]+)\//.exec(popup.url())![1]!;

  test('confirmed in another tab of this browser: Continue in the popup finishes the sign-in there, once', async () => {
    const email = newEmail('handed.over');
    const { page, popup, done, answers } = await signUpInPopup(email);
    assert.match(await popup.getByRole('status').innerText(), /Open it in this browser .* then come back to this window and press Continue/);
    assert.match(await confirmLink(email, browser), /account is ready\. Go back to the window where you signed up and press Continue there/);

    const request = popup.waitForRequest((sent) => sent.url().endsWith('/continue'));
    await popup.getByRole('button', { name: CONTINUE }).click();
    const sent = await request;
    assert.equal(await done, 'ok', `the SDK's answer; insole's answers to the popup: ${answers.join(', ')}`);
    assert.equal((await appState(page)).user?.email, email);
    assert.equal((await appState(page)).user?.email_verified, true);
    assert.deepEqual(answers.filter((answer) => !answer.endsWith(' unsafe-none')), [], 'every answer to the popup keeps its opener');

    // The same form again (same cookies, same token): the sign-in was used, no second code.
    const again = await page.context().request.post(sent.url(), { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, data: sent.postData()!, maxRedirects: 0 });
    assert.equal(again.status(), 400);
    assert.match(await again.text(), /This sign-in has expired or was already used\. If you confirmed your email, your account is ready/);
    const user = await insole.db.collection('users').findOne({ email });
    assert.equal(user?.logins_count, 1, 'one sign-in: the handover\'s');
    await page.close();
  });

  test('two sign-ups in one popup: Continue finishes only the sign-up of its own page', async () => {
    const first = newEmail('first.try');
    const second = newEmail('second.try');
    const { page, popup, done, answers } = await signUpInPopup(first);
    const firstPage = popup.url();
    // Back to the sign-in, then a sign-up with another address: the same popup, the same sign-in.
    await popup.getByRole('link', { name: 'Sign in', exact: true }).click();
    await signUpIn(popup, second);
    assert.match(await confirmLink(first, browser), /press Continue there/);

    const answer = await pressContinue(popup);
    assert.equal(answer.status(), 409, 'the second sign-up is not confirmed: the first one\'s link does not sign it in');
    assert.ok((await popup.getByRole('status').innerText()).includes(second), 'the page is still the second sign-up\'s');
    assert.match(await popup.getByRole('alert').innerText(), /not confirmed yet in this browser/);
    assert.equal(await handoversOf(uidOf(popup)), 1, 'the first sign-up\'s handover waits for its own page');

    await popup.goto(firstPage);
    await popup.getByRole('button', { name: CONTINUE }).click();
    assert.equal(await done, 'ok', `insole's answers to the popup: ${answers.join(', ')}`);
    assert.equal((await appState(page)).user?.email, first);
    assert.equal(await insole.db.collection('users').countDocuments({ email: second }), 0);
    await page.close();
  });

  test('confirmed in another browser: Continue says not confirmed, nothing is handed over; the password signs in', async () => {
    const email = newEmail('elsewhere');
    const { page, popup, done, answers } = await signUpInPopup(email);
    const other = await launchBrowser({ trust });
    try {
      assert.match(await confirmLink(email, other), /Your email is confirmed\. Go back to the store and sign in/);
    } finally {
      await other.close();
    }
    assert.equal(await handoversOf(uidOf(popup)), 0);
    const answer = await pressContinue(popup);
    assert.equal(answer.status(), 409);
    assert.match(await popup.getByRole('alert').innerText(), /not confirmed yet in this browser/);
    assert.ok(!popup.isClosed(), 'the popup is still signing in');

    await popup.getByRole('link', { name: 'Sign in', exact: true }).click();
    await popup.getByLabel('Email').fill(email);
    await popup.getByLabel('Password').fill(PASSWORD);
    await popup.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(await done, 'ok', `insole's answers to the popup: ${answers.join(', ')}`);
    assert.equal((await appState(page)).user?.email, email);
    await page.close();
  });

  test('Continue before the link is confirmed: the same page, whole, for an address with an account and one without', async () => {
    const { access_token } = await managementToken(insole, M2M);
    const taken = newEmail('has.account');
    assert.equal((await api(insole, access_token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: taken, password: 'someone else\'s', email_verified: true })).status, 201);
    const pageOf = async (email: string) => {
      const { page, popup } = await signUpInPopup(email);
      const answer = await pressContinue(popup);
      const html = (await answer.text()).replaceAll(email, 'EMAIL').replaceAll(uidOf(popup), 'UID')
        .replace(/check-inbox\/[^/]+\//g, 'check-inbox/HANDLE/').replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="CSRF"');
      await page.close();
      return [answer.status(), html];
    };
    const withAccount = await pageOf(taken);
    const without = await pageOf(newEmail('no.account'));
    assert.equal(withAccount[0], 409);
    assert.match(String(withAccount[1]), /not confirmed yet in this browser/);
    assert.deepEqual(withAccount, without);
  });

  test('the popup\'s sign-in expired after the link was confirmed here: Continue\'s clear page tells the app, the account is there', async () => {
    const email = newEmail('late');
    const { page, popup, done } = await signUpInPopup(email);
    await confirmLink(email, browser);
    await insole.db.collection(FLOW_COLLECTION).deleteOne({ _id: `Interaction:${uidOf(popup)}` as never });
    const answer = await pressContinue(popup);
    assert.equal(answer.status(), 400);
    assert.equal(answer.headers()['cross-origin-opener-policy'], 'unsafe-none');
    assert.match(await answer.text(), /If you confirmed your email, your account is ready: go back to the store and sign in/);
    // The page's script (popup-over.js) posts that to the app, whose SDK closes the popup.
    assert.equal(await done, 'login_required');
    assert.equal((await insole.db.collection('users').findOne({ email }))?.email_verified, true);
    await page.close();
  });
});
