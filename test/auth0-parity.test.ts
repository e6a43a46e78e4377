// What a storefront written against Auth0 sends to /authorize and reads in the ID token, driven with
// openid-client (a certified RP library) against a real insole.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc } from './support/relying-party.ts';
import { readForm } from './support/user-agent.ts';

const PASSWORD = 'long run on sunday morning';
let counter = 0;
const newShopper = () => ({ email: `parity.${++counter}.${Date.now()}@innovashoes.example`, password: PASSWORD });

describe('Auth0 parity at the provider', () => {
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole(); });
  after(async () => { await insole.stop(); });

  /** A shopper signed up in a browser of their own: the browser, keeping the session, and the first tokens. */
  async function signedIn(shopper = newShopper()) {
    const config = await discoverStorefront(insole.issuer);
    const request = await buildAuthorization(config);
    const { callback, agent } = await completeAuthorization(insole.issuer, request, shopper, 'signup');
    return { config, agent, tokens: await exchangeCode(config, callback, request) };
  }

  describe('prompt=select_account (Auth0 accepts it; OpenID Connect Core §3.1.2.1)', () => {
    test('a signed-in shopper gets the sign-in page, and the account signed in there is the one the store gets', async () => {
      const other = newShopper();
      await signedIn(other);
      const { config, agent, tokens } = await signedIn();

      const silent = await buildAuthorization(config);
      assert.ok((await agent.get(silent.url)).left, 'without the prompt the session answers at once');

      const request = await buildAuthorization(config, { prompt: 'select_account' });
      const page = await agent.get(request.url);
      assert.equal(page.left, undefined, `a page, not a redirect to ${page.left}`);
      const html = await page.res.text();
      assert.match(html, /<form[^>]*action="\/interaction\/[^"]+\/login"/, 'the sign-in page');

      const form = readForm(html);
      const switching = await agent.postForm(new URL(form.action, insole.issuer).href, { ...other, _csrf: form.csrf });
      // oidc-provider ends the first account's session first (a page that posts its logout
      // confirmation by script, as for prompt=login: web-standards.test.ts), then resumes.
      const autoSubmit = await switching.res.text();
      const logoutForm = /<form method="post" action="([^"]+)">/.exec(autoSubmit)?.[1];
      assert.ok(logoutForm, `the account switch's logout form (HTTP ${switching.res.status})`);
      const fields = Object.fromEntries([...autoSubmit.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, m[2]!]));
      const back = await agent.postForm(logoutForm, fields);
      assert.ok(back.left, `back at the store (HTTP ${back.res.status})`);
      const chosen = await exchangeCode(config, back.left, request);
      assert.notEqual(chosen.claims()!.sub, tokens.claims()!.sub, 'the other account');
      assert.equal(chosen.claims()!.email, other.email);
    });
  });

  describe('sid in ID tokens, as Auth0 sends it', () => {
    test('a client with no back-channel logout gets sid, the same in a refreshed ID token and in the next sign-in of the session', async () => {
      const { config, agent, tokens } = await signedIn();
      const sid = tokens.claims()!.sid;
      assert.equal(typeof sid, 'string', 'sid in the ID token');
      assert.ok(String(sid).length >= 16);

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal(refreshed.claims()!.sid, sid, 'sid in the refreshed ID token');

      const again = await buildAuthorization(config);
      const { callback } = await completeAuthorization(insole.issuer, again, { email: '', password: '' }, 'login', agent);
      assert.equal((await exchangeCode(config, callback, again)).claims()!.sid, sid, 'one session, one sid');

      const elsewhere = await signedIn();
      assert.notEqual(elsewhere.tokens.claims()!.sid, sid, 'another session, another sid');
    });
  });

  describe('nonce in a refreshed ID token', () => {
    // OpenID Connect Core 1.0 errata set 2, §12.2: a refreshed ID token's nonce may be absent; if
    // present, it is the original one. oidc-provider keeps it; openid-client, auth0-spa-js and
    // express-openid-connect check no nonce on a refresh. Pinned so a change is noticed.
    test('is the nonce of the sign-in, never another', async () => {
      const { config, tokens } = await signedIn();
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal(refreshed.claims()!.nonce, tokens.claims()!.nonce);
    });
  });
});
