import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEmailTickets } from '../src/users/email-tickets.ts';
import { launchBrowser } from './support/browser.ts';
import { startTestInsole, STOREFRONT, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { buildAuthorization, signInForTokens, oidc } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

/** Opens an emailed link (a page with a form) and submits that form, as a person clicking would. */
async function followMailLink(insole: TestInsole, link: string, fields: Record<string, string> = {}) {
  const agent = new UserAgent(insole.issuer);
  const page = await agent.get(link);
  assert.equal(page.res.status, 200);
  const html = await page.res.text();
  const { action, csrf } = readForm(html);
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
  return agent.postForm(new URL(action, insole.issuer).href, { _csrf: csrf, ticket, ...fields });
}

async function postEmailForm(insole: TestInsole, path: string, email: string) {
  const agent = new UserAgent(insole.issuer);
  const { csrf } = readForm(await (await agent.get(`${insole.issuer}${path}`)).res.text());
  const res = await agent.postForm(`${insole.issuer}${path}`, { email, _csrf: csrf });
  return { status: res.res.status, text: (await res.res.text()).replace(/name="_csrf" value="[^"]+"/, '') };
}

/** The POST's own answer, not followed: its status and where it sends the browser. */
async function postEmailFormOnce(insole: TestInsole, path: string, email: string) {
  const agent = new UserAgent(insole.issuer);
  const { csrf } = readForm(await (await agent.get(`${insole.issuer}${path}`)).res.text());
  const res = await agent.request(`${insole.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email, _csrf: csrf }).toString() });
  return { status: res.status, location: res.headers.get('location') };
}

const ADMIN = { client_id: 'recovery-admin', client_secret: 'recovery-admin-secret-0123456789', scopes: ['update:users'] };
const STOREFRONT_CLIENT = {
  client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, client_name: 'Test Storefront',
  redirect_uris: [STOREFRONT.redirect_uri], post_logout_redirect_uris: [STOREFRONT.post_logout_redirect_uri],
};

describe('email verification and password reset', () => {
  let inbox: Inbox;
  let insole: TestInsole;
  before(async () => {
    inbox = await startInbox();
    insole = await startTestInsole({ mail: { smtp_url: inbox.url }, clients: [STOREFRONT_CLIENT, m2mClientConfig(ADMIN)] });
  });
  after(async () => { await insole.stop(); await inbox.close(); });
  const user = (email: string) => insole.db.collection('users').findOne({ email });
  const logTypes = async (email: string) => (await insole.db.collection('logs').find({ user_name: email }).sort({ date: 1, log_id: 1 }).toArray()).map((l) => l.type);

  test('a password sign-up gets a verification mail whose link works once', async () => {
    const email = 'verify.me@innovashoes.example';
    await signInForTokens(insole.issuer, { email, password: 'verify my address please' }, 'signup');
    assert.equal((await user(email))!.email_verified, false);

    const mail = await inbox.waitFor(email, /Confirm your email/);
    assert.match(mail.html || '', /InnovaShoes/);
    const link = inbox.linkIn(mail, `${insole.issuer}/email/verify?ticket=`);

    const opened = await new UserAgent(insole.issuer).get(link);
    assert.equal((await user(email))!.email_verified, false, 'opening the link (e.g. a mail scanner) does not use it');
    assert.equal(opened.res.status, 200);

    const confirmed = await followMailLink(insole, link);
    assert.equal(confirmed.res.status, 200);
    assert.match(await confirmed.res.text(), /Email confirmed/);
    assert.equal((await user(email))!.email_verified, true);

    const again = await followMailLink(insole, link);
    assert.equal(again.res.status, 400);
    const againHtml = await again.res.text();
    assert.match(againHtml, /<h1[^>]*>Link expired</, 'a second click is no "Something went wrong"');
    assert.match(againHtml, /If you confirmed your email already, go back to the store and sign in/);
    assert.deepEqual((await logTypes(email)).filter((t) => t === 'sv'), ['sv']);
    assert.equal(await insole.db.collection('logs').countDocuments({ type: 'fv' }), 1);
  });

  test('resending a verification link answers the same for any address, and mails only the unverified', async () => {
    const email = 'resend.me@innovashoes.example';
    await signInForTokens(insole.issuer, { email, password: 'send it to me again' }, 'signup');
    await inbox.waitFor(email, /Confirm your email/);
    const before = inbox.mails.length;
    const known = await postEmailForm(insole, '/email/verify/resend', email);
    const unknown = await postEmailForm(insole, '/email/verify/resend', 'nobody.here@innovashoes.example');
    assert.equal(known.status, 200);
    assert.deepEqual(unknown, known);
    await inbox.waitFor(email, /Confirm your email/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(inbox.mails.length, before + 1);
    assert.ok(!inbox.mails.some((m) => m.to && JSON.stringify(m.to).includes('nobody.here')));
  });

  test('only the newest "Confirm your email" link works: one mailed again, then one an admin sends, replace the older ones', async () => {
    const email = 'asks.again@innovashoes.example';
    const linkOf = (mail: Parameters<Inbox['linkIn']>[0]) => inbox.linkIn(mail, `${insole.issuer}/email/verify?ticket=`);
    await signInForTokens(insole.issuer, { email, password: 'which mail was the right one' }, 'signup');
    const first = linkOf(await inbox.waitFor(email, /Confirm your email/));
    await postEmailForm(insole, '/email/verify/resend', email);
    const second = linkOf(await inbox.waitForNth(email, /Confirm your email/, 2));
    const { access_token } = await managementToken(insole, ADMIN);
    const sent = await api(insole, access_token, 'POST', '/jobs/verification-email', { user_id: (await user(email))!.user_id });
    assert.equal(sent.status, 201);
    const third = linkOf(await inbox.waitForNth(email, /Confirm your email/, 3));

    for (const older of [first, second]) {
      const refused = await followMailLink(insole, older);
      assert.equal(refused.res.status, 400);
      assert.match(await refused.res.text(), /<h1[^>]*>Link expired</, 'the answer of a used link');
    }
    assert.equal((await user(email))!.email_verified, false, 'an older link verified nothing');
    const confirmed = await followMailLink(insole, third);
    assert.equal(confirmed.res.status, 200);
    assert.match(await confirmed.res.text(), /Email confirmed/);
    assert.equal((await user(email))!.email_verified, true);
  });

  test('two links of a user made at the same moment (two requests, two instances): exactly one works', async () => {
    const tickets = createEmailTickets(insole.connection);
    let sameMoment = 0;
    for (let i = 0; i < 10; i++) {
      const user = { user_id: `auth0|at.once.${i}`, email: `at.once.${i}@innovashoes.example` };
      const tokens = await Promise.all([tickets.issue('reset_password', user, 60), tickets.issue('reset_password', user, 60)]);
      const live = (await Promise.all(tokens.map((token) => tickets.peek('reset_password', token)))).filter(Boolean);
      assert.equal(live.length, 1);
      const made = await insole.db.collection('email_tickets').distinct('created_at', { user_id: user.user_id });
      if (made.length === 1) sameMoment++;
    }
    assert.ok(sameMoment > 0, 'some pair was made within one millisecond (the tie the digest breaks)');
  });

  test('a password reset revokes the old refresh token, and its link works once', async () => {
    const email = 'forgetful@innovashoes.example';
    const { config, tokens, agent: elsewhere } = await signInForTokens(insole.issuer, { email, password: 'my original password' }, 'signup');
    const silently = async () => Boolean((await elsewhere.get((await buildAuthorization(config)).url)).left);
    assert.equal(await silently(), true, 'control: the browser that signed up is signed in at insole');

    const known = await postEmailForm(insole, '/password/reset', email);
    const unknown = await postEmailForm(insole, '/password/reset', 'ghost@innovashoes.example');
    assert.equal(known.status, 200);
    assert.deepEqual(unknown, known, 'the same answer whether or not the account exists');

    const mail = await inbox.waitFor(email, /Reset your/);
    const link = inbox.linkIn(mail, `${insole.issuer}/password/reset/new?ticket=`);

    const weak = await followMailLink(insole, link, { password: 'password123' });
    assert.equal(weak.res.status, 400);
    assert.match(await weak.res.text(), /too common/);
    const huge = await followMailLink(insole, link, { password: 'x'.repeat(1025) });
    assert.equal(huge.res.status, 400);
    assert.match(await huge.res.text(), /role="alert"[^>]*>That password is too long\.</);

    const changed = await followMailLink(insole, link, { password: 'a brand new long password' });
    const changedText = await changed.res.clone().text();
    assert.equal(changed.res.status, 200, changedText);
    assert.match(await changed.res.text(), /Password changed/);

    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (err: { error?: string }) => err.error === 'invalid_grant');
    assert.equal(await silently(), false, 'the browser signed in elsewhere is asked for the password again');
    await assert.rejects(signInForTokens(insole.issuer, { email, password: 'my original password' }), /HTTP 401/);
    await signInForTokens(insole.issuer, { email, password: 'a brand new long password' });

    const reused = await new UserAgent(insole.issuer).get(link);
    assert.equal(reused.res.status, 400);
    assert.match(await reused.res.text(), /expired or was already used/);
    assert.ok((await logTypes(email)).includes('scp'));
  });

  test('only the newest reset link works: asking again makes the older mail\'s link a dead one', async () => {
    const email = 'asks.twice@innovashoes.example';
    const linkOf = (mail: Parameters<Inbox['linkIn']>[0]) => inbox.linkIn(mail, `${insole.issuer}/password/reset/new?ticket=`);
    await signInForTokens(insole.issuer, { email, password: 'the password i forgot' }, 'signup');
    await postEmailForm(insole, '/password/reset', email);
    const older = linkOf(await inbox.waitFor(email, /Reset your/));
    await postEmailForm(insole, '/password/reset', email);
    const newer = linkOf(await inbox.waitForNth(email, /Reset your/, 2));

    const page = await new UserAgent(insole.issuer).get(older);
    assert.equal(page.res.status, 400);
    assert.match(await page.res.text(), /expired or was already used/);
    const changed = await followMailLink(insole, newer, { password: 'the one from the newest mail' });
    assert.equal(changed.res.status, 200);
    assert.match(await changed.res.text(), /Password changed/);
    await signInForTokens(insole.issuer, { email, password: 'the one from the newest mail' });
  });

  test('a reset link mailed to the old address stops working once the account\'s email is changed', async () => {
    const email = 'lost.mailbox@innovashoes.example';
    await signInForTokens(insole.issuer, { email, password: 'the password i still know' }, 'signup');
    await postEmailForm(insole, '/password/reset', email);
    const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
    const before = (await user(email))!;
    assert.ok(before.password_hash);

    const { access_token } = await managementToken(insole, ADMIN);
    const moved = await api(insole, access_token, 'PATCH', `/users/${encodeURIComponent(before.user_id)}`, { email: 'new.mailbox@innovashoes.example' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));

    const page = await new UserAgent(insole.issuer).get(link);
    assert.equal(page.res.status, 400);
    assert.match(await page.res.text(), /expired or was already used/);
    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    const ticket = new URL(link).searchParams.get('ticket')!;
    const posted = await agent.postForm(`${insole.issuer}/password/reset/new`, { _csrf: csrf, ticket, password: 'taken over by the old mailbox' });
    assert.equal(posted.res.status, 400);
    assert.match(await posted.res.text(), /expired or was already used/);

    const after = await insole.db.collection('users').findOne({ user_id: before.user_id }, { projection: { password_hash: 1 } });
    assert.equal(after!.password_hash, before.password_hash, 'the password is unchanged');
    await signInForTokens(insole.issuer, { email: 'new.mailbox@innovashoes.example', password: 'the password i still know' });
    const refused = await insole.db.collection('logs').findOne({ type: 'fcp', user_id: before.user_id });
    assert.equal(refused?.details?.error, 'the email changed since the link was sent');
  });

  test('a verification link mailed to the old address does not verify the new one', async () => {
    const email = 'typo.in.address@innovashoes.example';
    await signInForTokens(insole.issuer, { email, password: 'check the address first' }, 'signup');
    const link = inbox.linkIn(await inbox.waitFor(email, /Confirm your email/), `${insole.issuer}/email/verify?ticket=`);
    const { user_id } = (await user(email))!;
    const { access_token } = await managementToken(insole, ADMIN);
    const moved = await api(insole, access_token, 'PATCH', `/users/${encodeURIComponent(user_id)}`, { email: 'right.address@innovashoes.example' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));

    const confirmed = await followMailLink(insole, link);
    assert.equal(confirmed.res.status, 400);
    assert.match(await confirmed.res.text(), /expired or was already used/);
    assert.equal((await insole.db.collection('users').findOne({ user_id }))!.email_verified, false);
  });

  test('a damaged link (cut short, pasted twice, or run into the next word) gets the dead-link page with a way forward, not a message about a form field', async () => {
    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/email/verify?ticket=${'x'.repeat(101)}`)).res.text());
    const damaged = [`ticket=${'x'.repeat(101)}`, '', 'ticket=a&ticket=b'];
    const forward = { '/email/verify': '/email/verify/resend', '/account/unblock': '/password/reset', '/password/reset/new': '/password/reset' };
    for (const [path, next] of Object.entries(forward)) {
      for (const ticket of damaged) {
        const fields = [`_csrf=${encodeURIComponent(csrf)}`, ticket, path.endsWith('/new') ? 'password=a+perfectly+good+password' : ''];
        const res = await agent.follow(`${insole.issuer}${path}`, {
          method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: fields.filter(Boolean).join('&'),
        });
        assert.equal(res.res.status, 400, `${path} ${ticket}`);
        const html = await res.res.text();
        assert.equal(/<h1[^>]*>([^<]*)</.exec(html)?.[1], 'Link expired', `${path} ${ticket.slice(0, 20)}`);
        assert.equal(/role="alert"[^>]*>([^<]*)</.exec(html)?.[1], 'This link has expired or was already used.', `${path} ${ticket.slice(0, 20)}`);
        assert.ok(html.includes(`href="${next}"`), `${path} links to ${next}`);
      }
    }
  });

  test('a reset link that has expired is refused', async () => {
    const short = await startTestInsole({ mail: { smtp_url: inbox.url }, email_links: { password_reset_ttl: 1 } }, undefined);
    try {
      const email = 'slow.reader@innovashoes.example';
      await signInForTokens(short.issuer, { email, password: 'reads mail slowly' }, 'signup');
      await postEmailForm(short, '/password/reset', email);
      const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${short.issuer}/password/reset/new?ticket=`);
      await new Promise((r) => setTimeout(r, 1_200));
      const page = await new UserAgent(short.issuer).get(link);
      assert.equal(page.res.status, 400);
      assert.match(await page.res.text(), /expired or was already used/);
    } finally {
      await short.stop();
    }
  });

  describe('reloading an answer page posts nothing again (Post/Redirect/Get)', () => {
    const mailsTo = (email: string, subject: RegExp) => inbox.mails.filter((m) => JSON.stringify(m.to).includes(email) && subject.test(m.subject ?? '')).length;
    const ticketsOf = async (email: string, kind: string) => insole.db.collection('email_tickets').countDocuments({ email, kind });
    const logsOf = (email: string, type: string) => insole.db.collection('logs').countDocuments({ user_name: email, type });

    test('both email forms answer an address with an account and one without with the same 303 to the same page; a mistyped one gets the form back with 400', async () => {
      const email = 'prg.known@innovashoes.example';
      await signInForTokens(insole.issuer, { email, password: 'a password to forget later' }, 'signup');
      for (const [path, sent] of [['/password/reset', '/password/reset/sent'], ['/email/verify/resend', '/email/verify/resend/sent']]) {
        const known = await postEmailFormOnce(insole, path, email);
        const unknown = await postEmailFormOnce(insole, path, 'prg.nobody@innovashoes.example');
        assert.deepEqual(known, { status: 303, location: sent }, path);
        assert.deepEqual(unknown, known, `${path}: the same answer whether or not the account exists`);
        assert.deepEqual(await postEmailForm(insole, path, 'prg.nobody@innovashoes.example'), await postEmailForm(insole, path, email), `${path}: the same page`);
      }
      await inbox.waitForNth(email, /Reset your/, 2);
      // A mistyped address is no request: the form again, with the message and what was typed, to be corrected.
      for (const path of ['/password/reset', '/email/verify/resend']) {
        const refused = await postEmailFormOnce(insole, path, 'not-an-address');
        assert.deepEqual(refused, { status: 400, location: null }, path);
        const page = await postEmailForm(insole, path, 'not-an-address');
        assert.match(page.text, /role="alert"[^>]*>Enter a valid email address\.</, path);
        assert.match(page.text, /value="not-an-address"/, path);
      }
    });

    test('in Chromium, reloading "Check your inbox" after a reset request and after a resend sends no second mail, and the first links work', async () => {
      const email = 'prg.reloader@innovashoes.example';
      await signInForTokens(insole.issuer, { email, password: 'reload the page as often as I like' }, 'signup');
      await inbox.waitFor(email, /Confirm your email/);
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        for (const { path, button, kind } of [
          { path: '/email/verify/resend', button: 'Send link', kind: 'verify_email' },
          { path: '/password/reset', button: 'Send reset link', kind: 'reset_password' },
        ]) {
          const ticketsBefore = await ticketsOf(email, kind);
          await page.goto(`${insole.issuer}${path}`);
          await page.getByLabel('Email', { exact: true }).fill(email);
          await page.getByRole('button', { name: button }).click();
          await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
          assert.equal(await ticketsOf(email, kind), ticketsBefore + 1, `${path}: one link issued`);

          const reloaded = await page.reload();
          await page.getByRole('heading', { level: 1, name: 'Check your inbox' }).waitFor();
          assert.equal(await ticketsOf(email, kind), ticketsBefore + 1, `${path}: the reload issued no second link`);
          assert.equal(reloaded?.status(), 200, path);
          assert.equal(reloaded?.request().method(), 'GET', `${path}: the answer has its own address, a reload posts nothing`);
        }
      } finally {
        await browser.close();
      }
      const confirm = await followMailLink(insole, inbox.linkIn(await inbox.waitForNth(email, /Confirm your email/, 2), `${insole.issuer}/email/verify?ticket=`));
      assert.match(await confirm.res.text(), /Email confirmed/);
      const reset = await followMailLink(insole, inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`), { password: 'a new password after reloading' });
      assert.match(await reset.res.text(), /Password changed/);
      assert.equal(mailsTo(email, /Confirm your email/), 2, 'the sign-up\'s mail and one resend');
      assert.equal(mailsTo(email, /Reset your/), 1, 'one reset mail');
      assert.equal(await logsOf(email, 'scpr'), 1, 'one reset request on record (each one is counted against the account-mail limits)');
    });

    test('in Chromium, reloading "Password changed" shows it again, not "Link expired"', async () => {
      const email = 'prg.changer@innovashoes.example';
      await signInForTokens(insole.issuer, { email, password: 'the password before the reset' }, 'signup');
      await postEmailForm(insole, '/password/reset', email);
      const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        await page.goto(link);
        await page.getByLabel('New password', { exact: true }).fill('the password after the reset');
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.getByRole('heading', { level: 1, name: 'Password changed' }).waitFor();
        const reloaded = await page.reload();
        assert.equal(reloaded?.status(), 200);
        assert.equal(reloaded?.request().method(), 'GET', 'a reload posts the used link nothing again');
        await page.getByRole('heading', { level: 1, name: 'Password changed' }).waitFor();
      } finally {
        await browser.close();
      }
      assert.deepEqual((await logTypes(email)).filter((t) => t === 'scp' || t === 'fcp'), ['scp'], 'one change, and no failed one from a second post');
    });
  });
});

describe('a password reset whose address changes while the new password is hashed', () => {
  let inbox: Inbox;
  let insole: TestInsole;
  before(async () => {
    inbox = await startInbox();
    const monitored = new URL(testDatabaseUri());
    monitored.searchParams.set('monitorCommands', 'true'); // to change the address at the moment the link is used up
    // A slow hash (still the real Argon2id) leaves the change time to land before the password is written.
    insole = await startTestInsole({ mail: { smtp_url: inbox.url }, argon2: { memory_cost_kib: 65536, time_cost: 8, parallelism: 1 } }, monitored.href);
  });
  after(async () => { await insole.stop(); await inbox.close(); });

  test('writes nothing and shows "Link expired": the address is checked in the password\'s own write', async () => {
    const email = 'moving.mailbox@innovashoes.example';
    await signInForTokens(insole.issuer, { email, password: 'the password i still know' }, 'signup');
    await postEmailForm(insole, '/password/reset', email);
    const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
    const before = (await insole.db.collection('users').findOne({ email }))!;

    // Once the POST has looked the link up (its second look: the page's GET was the first; the link is
    // used up only after the write): when the user's address is read (a check before the write), else 50 ms later, well inside the hash.
    const users = insole.db.collection('users');
    const started = new Map<number, string>();
    let looks = 0;
    let looked = false;
    let moved: Promise<unknown> | undefined;
    const move = () => { moved ??= users.updateOne({ user_id: before.user_id }, { $set: { email: 'moved.mailbox@innovashoes.example' } }); };
    const client = insole.connection.getClient();
    const onStarted = (event: { requestId: number; commandName: string; command: Record<string, unknown> }) => {
      started.set(event.requestId, `${event.commandName}:${String(event.command[event.commandName])}`);
    };
    const onSucceeded = (event: { requestId: number }) => {
      const what = started.get(event.requestId);
      if (what === 'find:email_tickets' && ++looks === 2) {
        looked = true;
        setTimeout(move, 50);
      }
      if (what === 'find:users' && looked) move();
    };
    client.on('commandStarted', onStarted).on('commandSucceeded', onSucceeded);
    let posted;
    try {
      posted = await followMailLink(insole, link, { password: 'taken over by the old mailbox' });
    } finally {
      client.off('commandStarted', onStarted).off('commandSucceeded', onSucceeded);
    }
    assert.ok(moved, 'the address changed during the reset');
    await moved;
    assert.equal(posted.res.status, 400);
    assert.match(await posted.res.text(), /<h1[^>]*>Link expired</);
    const after = await users.findOne({ user_id: before.user_id });
    assert.equal(after!.password_hash, before.password_hash, 'the password is unchanged');
    const refused = await insole.db.collection('logs').findOne({ type: 'fcp', user_id: before.user_id });
    assert.equal(refused?.details?.error, 'the email changed since the link was sent');
  });
});
