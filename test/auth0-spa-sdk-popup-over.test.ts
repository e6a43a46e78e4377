// loginWithPopup() (auth0-spa-js, unchanged, in a real Chromium) when the popup's sign-in is over
// (expired, used, dropped): its page keeps the opener and tells the app, as oidc-provider's
// web_message answer tells it an error, so the SDK rejects with `login_required` instead of
// "Popup closed" ('cancelled'). Only a popup sign-in's pages do (its signed cookie,
// src/http/popup-cookie.ts); every other sign-in-over page keeps `same-origin` and no script.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { FLOW_COLLECTION } from '../src/oidc/flow-collection.ts';
import type { TestBrowser } from './support/browser.ts';
import type { TestInsole } from './support/insole.ts';
import { POPUP_CLIENT_ID, startPopupShop, type PopupShop } from './support/popup-shop.ts';
import { loginWithPopup, type SpaShop } from './support/spa-shop.ts';


describe('loginWithPopup(): a popup whose sign-in is over tells the app', () => {
  let shop: PopupShop;
  let insole: TestInsole;
  let issuer: string;
  let spa: SpaShop;
  let browser: TestBrowser;

  before(async () => {
    shop = await startPopupShop();
    ({ issuer, insole, spa, browser } = shop);
  });

  after(async () => {
    await shop?.close();
  });

  const uidOf = async (popup: Page) => /\/interaction\/([^/]+)\//.exec(`${await popup.locator('form').first().getAttribute('action')}/`)![1]!;

  test('the sign-in expired on the popup\'s sign-in page: the form\'s answer keeps the opener, the SDK gets login_required', async () => {
    const page = await browser.newPage({ signedOut: true });
    await page.goto(spa.url('popup'));
    const opened = page.waitForEvent('popup');
    const done = loginWithPopup(page);
    const popup = await opened;
    await popup.getByLabel('Email').waitFor();
    await insole.db.collection(FLOW_COLLECTION).deleteOne({ _id: `Interaction:${await uidOf(popup)}` as never });
    const answered = popup.waitForResponse((response) => response.url().endsWith('/login'));
    await popup.getByLabel('Email').fill('late.shopper@innovashoes.example');
    await popup.getByLabel('Password').fill('a password typed too late');
    await popup.getByRole('button', { name: 'Sign in' }).click();
    const answer = await answered;
    assert.equal(answer.status(), 400);
    assert.equal(answer.headers()['cross-origin-opener-policy'], 'unsafe-none');
    assert.equal(await done, 'login_required', 'not "Popup closed" (cancelled)');
    await page.close();
  });

  /** `/authorize` for the SPA client; the interaction's uid and the cookies insole set. */
  async function authorize(extra: Record<string, string>): Promise<{ uid: string; cookies: string[] }> {
    const query = new URLSearchParams({
      client_id: POPUP_CLIENT_ID, response_type: 'code', redirect_uri: spa.url('popup'), scope: 'openid', state: 'some-state',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGrSjCIuAw', code_challenge_method: 'S256', ...extra,
    });
    const response = await fetch(`${issuer}/authorize?${query}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    const uid = /\/interaction\/([^/"]+)\/login/.exec(await response.text())![1]!;
    return { uid, cookies: response.headers.getSetCookie() };
  }

  /** A page of interaction `uid` once it is over, with these cookies. */
  async function overPage(uid: string, cookie: string) {
    const response = await fetch(`${issuer}/interaction/${uid}/login`, { headers: { accept: 'text/html', cookie } });
    return { status: response.status, coop: response.headers.get('cross-origin-opener-policy'), body: await response.text() };
  }

  test('only a popup sign-in leaves the signed cookie; without it, or with a forged one, the over page keeps same-origin and has no script', async () => {
    const popup = await authorize({ response_mode: 'web_message' });
    const redirect = await authorize({});
    const popupCookie = popup.cookies.map((set) => set.split(';')[0]!).find((pair) => pair.startsWith('__Secure-insole.popup='));
    assert.ok(popupCookie, `the popup's cookies: ${popup.cookies.join(' | ')}`);
    assert.match(popup.cookies.find((set) => set.startsWith('__Secure-insole.popup='))!, new RegExp(`Path=/interaction/${popup.uid};.*HttpOnly`, 'i'));
    assert.equal(redirect.cookies.filter((set) => set.includes('insole.popup')).length, 0, 'a redirect sign-in has none');

    // Neither interaction cookie is sent here: both sign-ins are over for this request.
    const told = await overPage(popup.uid, popupCookie);
    assert.deepEqual([told.status, told.coop], [400, 'unsafe-none']);
    assert.ok(told.body.includes(`<script src="/assets/popup-over.js" data-origin="${new URL(spa.url('popup')).origin}">`));
    const forged = popupCookie.replace(/=s%3A[^.]+\./, `=s%3A${encodeURIComponent('https://evil.example')}.`);
    assert.notEqual(forged, popupCookie);
    for (const cookie of ['', forged]) {
      const page = await overPage(popup.uid, cookie);
      assert.deepEqual([page.status, page.coop, page.body.includes('popup-over.js')], [400, 'same-origin', false], `cookie: ${cookie}`);
      assert.match(page.body, /This sign-in has expired or was already used/);
    }
    const script = await fetch(`${issuer}/assets/popup-over.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
  });
});
