// STANDARDS "Web": bad input never causes a 500. Malformed bodies, oversize bodies, operator objects,
// arrays, control characters, look-alike characters, unknown fields and missing CSRF tokens each get
// a 4xx with a message a person can read, and nothing is written to the database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signInLogsWritten, startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { CheckedAgent } from './support/checked-agent.ts';
import { alertText, authorizeUrl, basicAuth } from './support/oauth-wire.ts';
import { buildAuthorization, completeAuthorization, discoverStorefront, exchangeCode, oidc } from './support/relying-party.ts';
import { interactionUidOf, readForm } from './support/user-agent.ts';

const FORM = 'application/x-www-form-urlencoded';
const PASSWORD = 'heel toe drop twelve';

type Screen = 'login' | 'signup';

/** The message shown to whoever sent the request: the page's alert, or the JSON error_description. */
async function messageOf(res: Response): Promise<string | undefined> {
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('json')) return (JSON.parse(text) as { error_description?: string }).error_description;
  return alertText(text);
}

describe('bad input gets a 4xx with a clear message, never a 5xx, and writes nothing', () => {
  let insole: TestInsole;
  let config: oidc.Configuration;
  let agent: CheckedAgent;

  /** What a request could have written: profiles, log events, rate-limit counters. */
  async function written() {
    const count = (name: string) => insole.db.collection(name).countDocuments();
    return { users: await count('users'), logs: await count('logs'), ss: await insole.db.collection('logs').countDocuments({ type: 'ss' }), rate_limits: await count('rate_limits') };
  }

  /** A browser that has opened the storefront's sign-in: it holds the interaction and CSRF cookies. */
  async function openSignIn(browser = new CheckedAgent(insole.issuer)) {
    const page = await browser.get((await buildAuthorization(config)).url);
    assert.equal(page.res.status, 200);
    const uid = interactionUidOf(await page.res.text());
    assert.ok(uid, `no interaction in the page at ${page.url}`);
    return { browser, uid };
  }

  /** The form of a screen as the browser sees it now: its action and a fresh CSRF token. */
  async function formOf(browser: CheckedAgent, uid: string, screen: Screen) {
    const page = await browser.get(`${insole.issuer}/interaction/${uid}${screen === 'signup' ? '/signup' : ''}`);
    const form = readForm(await page.res.text());
    return { url: new URL(form.action, insole.issuer).href, csrf: form.csrf };
  }

  /**
   * Sends one bad submission of a screen's form and checks the whole contract: the status, the
   * message on the page, and that nothing was written. `body` gets the current CSRF token as `csrf`.
   */
  async function refused(screen: Screen, body: (csrf: string) => string, expected: { status: number; message: RegExp; contentType?: string; browser?: CheckedAgent; uid?: string }) {
    const browser = expected.browser ?? agent;
    const uid = expected.uid ?? (await openSignIn(browser)).uid;
    const form = await formOf(browser, uid, screen);
    const before = await written();
    const answer = await browser.postRaw(form.url, expected.contentType ?? FORM, body(form.csrf));
    assert.equal(answer.left, undefined, 'a refused form never redirects to the client');
    assert.equal(answer.res.status, expected.status);
    assert.match((await messageOf(answer.res)) ?? '', expected.message);
    assert.deepEqual(await written(), before, 'nothing is written');
  }

  const fields = (entries: [string, string][]) => new URLSearchParams(entries).toString();

  before(async () => {
    insole = await startTestInsole();
    config = await discoverStorefront(insole.issuer);
    agent = new CheckedAgent(insole.issuer);
  });
  after(async () => { await insole.stop(); });

  describe('operator objects, arrays and wrong types where a string is expected', () => {
    for (const screen of ['signup', 'login'] as const) {
      test(`${screen}: email[$gt]= (an operator in bracket syntax) is refused`, async () => {
        await refused(screen, (csrf) => fields([['email[$gt]', ''], ['password', PASSWORD], ['_csrf', csrf]]), { status: 400, message: /^Enter a valid email address\.$/ });
      });
    }

    test('signup: email=a&email=b (an array) is refused', async () => {
      await refused('signup', (csrf) => fields([['email', 'a@innovashoes.example'], ['email', 'b@innovashoes.example'], ['password', PASSWORD], ['_csrf', csrf]]), {
        status: 400, message: /^Enter a valid email address\.$/,
      });
    });

    for (const screen of ['signup', 'login'] as const) {
      test(`${screen}: {"email": {"$gt": ""}} as JSON is not read as the form: refused with 403, no lookup`, async () => {
        // The hosted forms read only form bodies, so a JSON body carries no CSRF token that counts.
        await refused(screen, (csrf) => JSON.stringify({ email: { $gt: '' }, password: PASSWORD, _csrf: csrf }), {
          status: 403, message: /form has expired/, contentType: 'application/json',
        });
      });
    }

    test('signup: an unexpected field (email_verified=true) is refused, not stored', async () => {
      await refused('signup', (csrf) => fields([['email', 'mass.assign@innovashoes.example'], ['password', PASSWORD], ['email_verified', 'true'], ['_csrf', csrf]]), {
        status: 400, message: /^Unexpected field: email_verified\.$/,
      });
    });

    test('signup: app_metadata[role]=admin is refused, not stored', async () => {
      await refused('signup', (csrf) => fields([['email', 'mass.assign@innovashoes.example'], ['password', PASSWORD], ['app_metadata[role]', 'admin'], ['_csrf', csrf]]), {
        status: 400, message: /^Unexpected field: app_metadata\[role\]\.$/,
      });
    });

    test('signup: a missing password is refused', async () => {
      await refused('signup', (csrf) => fields([['email', 'no.password@innovashoes.example'], ['_csrf', csrf]]), { status: 400, message: /^Enter your password\.$/ });
    });
  });

  describe('odd characters and lengths', () => {
    const invalidEmails = {
      'a NUL byte': 'runner\u0000one@innovashoes.example',
      'a bell character': 'runner\u0007@innovashoes.example',
      'a CR LF header injection': 'runner@innovashoes.example\r\nBcc: victim@evil.example',
      'a Cyrillic "а" in the local part (look-alike of Latin "a")': 'p\u0430cer@innovashoes.example',
      'a Cyrillic "а" in the domain': 'pacer@innov\u0430shoes.example',
      'a malformed percent escape': '%E0%A4%A@innovashoes.example',
    };
    for (const [label, email] of Object.entries(invalidEmails)) {
      test(`signup: an email with ${label} is refused`, async () => {
        await refused('signup', (csrf) => fields([['email', email], ['password', PASSWORD], ['_csrf', csrf]]), { status: 400, message: /^Enter a valid email address\.$/ });
      });
    }

    test('signup: a 300-character email is refused as too long', async () => {
      const email = `${'a'.repeat(280)}@innovashoes.example`;
      await refused('signup', (csrf) => fields([['email', email], ['password', PASSWORD], ['_csrf', csrf]]), { status: 400, message: /^That email address is too long\.$/ });
    });

    test('signup: a 10,000-character email is refused (413) before it is parsed', async () => {
      const email = `${'a'.repeat(10_000)}@innovashoes.example`;
      await refused('signup', (csrf) => fields([['email', email], ['password', PASSWORD], ['_csrf', csrf]]), { status: 413, message: /^The request body is too large\.$/ });
    });

    test('signup: a 2,000-character password is refused before hashing', async () => {
      await refused('signup', (csrf) => fields([['email', 'long.password@innovashoes.example'], ['password', 'x'.repeat(2_000)], ['_csrf', csrf]]), {
        status: 400, message: /^That password is too long\.$/,
      });
    });
  });

  describe('malformed and oversize bodies', () => {
    test('login: a 100 kB form post gets 413 with a message', async () => {
      await refused('login', (csrf) => fields([['email', 'big@innovashoes.example'], ['password', 'p'.repeat(100_000)], ['_csrf', csrf]]), {
        status: 413, message: /^The request body is too large\.$/,
      });
    });

    test('login: malformed JSON gets a 4xx with a message', async () => {
      await refused('login', () => '{"email": "a@innovashoes.example", "password": ', { status: 403, message: /form has expired/, contentType: 'application/json' });
    });

    test('signup: more form fields than any real form has gets 413', async () => {
      await refused('signup', (csrf) => fields([['_csrf', csrf], ...Array.from({ length: 40 }, (_, i): [string, string] => [`f${i}`, 'x'])]), {
        status: 413, message: /too many parameters/,
      });
    });

    test('signup: an unsupported charset gets 415', async () => {
      await refused('signup', (csrf) => fields([['email', 'charset@innovashoes.example'], ['password', PASSWORD], ['_csrf', csrf]]), {
        status: 415, message: /unsupported charset/, contentType: `${FORM}; charset=ibm500`,
      });
    });

    test('signup: a body that claims gzip but is not gets a 4xx', async () => {
      const uid = (await openSignIn(agent)).uid;
      const form = await formOf(agent, uid, 'signup');
      const before = await written();
      const answer = await agent.follow(form.url, { method: 'POST', headers: { 'content-type': FORM, 'content-encoding': 'gzip' }, body: 'not gzip at all' });
      assert.equal(answer.res.status, 400);
      assert.ok(await messageOf(answer.res));
      assert.deepEqual(await written(), before);
    });

    test('/oauth/token: malformed JSON gets 400 invalid_request saying which content type to use', async () => {
      const res = await agent.request(`${insole.issuer}/oauth/token`, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: basicAuth() }, body: '{"grant_type": "authorization_code", ',
      });
      assert.equal(res.status, 400);
      const body = await res.json() as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request');
      assert.match(body.error_description, /application\/x-www-form-urlencoded/);
    });

    test('/oauth/token: a 1 MB body gets a 4xx, not a crash', async () => {
      const res = await agent.request(`${insole.issuer}/oauth/token`, {
        method: 'POST', headers: { 'content-type': FORM, accept: 'application/json', authorization: basicAuth() }, body: `grant_type=${'x'.repeat(1_000_000)}`,
      });
      assert.ok([400, 413].includes(res.status), `HTTP ${res.status}`);
      assert.ok(((await res.json()) as { error?: string }).error);
    });
  });

  describe('CSRF: a form post without the right token is refused with 403 and writes nothing', () => {
    const credentials = (email: string) => [['email', email], ['password', PASSWORD]] as [string, string][];

    test('signup without a _csrf field', async () => {
      await refused('signup', () => fields(credentials('no.token@innovashoes.example')), { status: 403, message: /form has expired/ });
    });

    test('signup with a wrong _csrf value', async () => {
      await refused('signup', (csrf) => fields([...credentials('wrong.token@innovashoes.example'), ['_csrf', `${csrf.slice(0, -4)}AAAA`]]), { status: 403, message: /form has expired/ });
    });

    test('login without a _csrf field: not even a failed-login event is written', async () => {
      await refused('login', () => fields(credentials('no.token@innovashoes.example')), { status: 403, message: /form has expired/ });
    });

    test('signup with a token but without the CSRF cookie', async () => {
      const browser = new CheckedAgent(insole.issuer);
      const { uid } = await openSignIn(browser);
      const form = await formOf(browser, uid, 'signup');
      const cookie = [...browser.cookies.keys()].find((name) => name.includes('csrf'));
      assert.ok(cookie, `no CSRF cookie among ${[...browser.cookies.keys()].join(', ')}`);
      browser.cookies.delete(cookie);
      const before = await written();
      const answer = await browser.postRaw(form.url, FORM, fields([...credentials('no.cookie@innovashoes.example'), ['_csrf', form.csrf]]));
      assert.equal(answer.res.status, 403);
      assert.match((await messageOf(answer.res)) ?? '', /form has expired/);
      assert.deepEqual(await written(), before);
    });

    test("signup with a valid token from another sign-in in the same browser (tokens are bound to their interaction)", async () => {
      const browser = new CheckedAgent(insole.issuer);
      const first = await openSignIn(browser);
      const second = await openSignIn(browser);
      const { csrf } = await formOf(browser, second.uid, 'signup'); // cookie and token now belong to the second
      const before = await written();
      const answer = await browser.postRaw(`${insole.issuer}/interaction/${first.uid}/signup`, FORM, fields([...credentials('cross.interaction@innovashoes.example'), ['_csrf', csrf]]));
      assert.equal(answer.res.status, 403);
      assert.equal(answer.left, undefined);
      assert.deepEqual(await written(), before);
    });
  });

  describe('unknown clients, interactions and malformed addresses', () => {
    test('/authorize with an unknown client_id shows a 400 page with a message', async () => {
      const res = await agent.request(authorizeUrl(insole.issuer, {
        client_id: 'no-such-client', redirect_uri: STOREFRONT.redirect_uri, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      }));
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.ok(alertText(await res.text()));
    });

    test('/oauth/token with an unknown client gets 401 invalid_client', async () => {
      const res = await agent.request(`${insole.issuer}/oauth/token`, {
        method: 'POST', headers: { 'content-type': FORM, accept: 'application/json', authorization: basicAuth({ ...STOREFRONT, client_id: 'no-such-client' }) }, body: 'grant_type=authorization_code&code=x&redirect_uri=x',
      });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    });

    test('an interaction page without its cookie (expired or foreign) gets a 4xx page', async () => {
      const res = await new CheckedAgent(insole.issuer).request(`${insole.issuer}/interaction/not-a-real-interaction`);
      assert.ok(res.status >= 400 && res.status < 500, `HTTP ${res.status}`);
      assert.ok(alertText(await res.text()));
    });

    test('a malformed percent escape in the path gets 400 with a message', async () => {
      const res = await agent.request(`${insole.issuer}/interaction/%E0%A4%A`);
      assert.equal(res.status, 400);
      assert.match(alertText(await res.text()) ?? '', /malformed/);
    });

    for (const query of ['returnTo=a&returnTo=b&client_id=test-storefront', 'returnTo[x]=1&client_id=test-storefront', 'client_id=test-storefront&unexpected=1']) {
      test(`/v2/logout?${query} gets 400 with a message`, async () => {
        const res = await agent.request(`${insole.issuer}/v2/logout?${query}`);
        assert.equal(res.status, 400);
        assert.equal(res.headers.get('location'), null);
        assert.ok(alertText(await res.text()));
      });
    }
  });

  describe('afterwards', () => {
    test('insole is still ready and a normal sign-up still works', async () => {
      const ready = await agent.request(`${insole.issuer}/health/ready`);
      assert.equal(ready.status, 200);
      await ready.arrayBuffer();

      const before = await written();
      const request = await buildAuthorization(config);
      const { callback } = await completeAuthorization(insole.issuer, request, { email: 'after.the.storm@innovashoes.example', password: PASSWORD }, 'signup', new CheckedAgent(insole.issuer));
      const tokens = await exchangeCode(config, callback, request);
      assert.equal(tokens.claims()!.email, 'after.the.storm@innovashoes.example');
      await signInLogsWritten(insole.db);
      const after = await written();
      assert.equal(after.users, before.users + 1);
      assert.equal(after.ss, before.ss + 1);
    });

    test('no response in this file was a 5xx', () => {
      assert.ok(agent.seen.length > 40, `only ${agent.seen.length} requests were checked`);
      assert.deepEqual(agent.seen.filter((r) => r.status >= 500), []);
    });
  });
});
