import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, STOREFRONT, type TestInsole } from './support/insole.ts';
import { lostThenBack, proxiedDatabase } from './support/proxied-database.ts';
import { buildAuthorization, oidc, signInForTokens } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import type { TcpProxy } from './support/tcp-proxy.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

/**
 * A reset link is used up only after what it does is done (account.service.ts), as the verification
 * link is (verification-link-retry.test.ts). Spent first, a database lost once the new password was
 * written but before the sessions were ended left whoever was signed in signed in, and the retry got
 * "Link expired". The database is behind a TCP proxy that dies at the sessions' revocation.
 */
describe('a reset link whose database is lost after the new password, before the sessions end', () => {
  let inbox: Inbox;
  let proxy: TcpProxy;
  let insole: TestInsole;
  before(async () => {
    inbox = await startInbox();
    let uri: string;
    ({ proxy, uri } = await proxiedDatabase());
    const storefront = { client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, redirect_uris: [STOREFRONT.redirect_uri] };
    insole = await startTestInsole({ mail: { smtp_url: inbox.url }, clients: [storefront] }, uri);
  });
  after(async () => { await insole.stop(); await proxy.close(); await inbox.close(); });

  /** Opens the reset link, types the new password and sends it: the answer, redirects followed. */
  async function newPassword(link: string, password: string) {
    const agent = new UserAgent(insole.issuer);
    const html = await (await agent.get(link)).res.text();
    const { action, csrf } = readForm(html);
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1]!;
    const answer = await agent.postForm(new URL(action, insole.issuer).href, { _csrf: csrf, ticket, password });
    return { status: answer.res.status, html: await answer.res.text() };
  }

  /** A reset link mailed to a new user of `email`, and its user_id. */
  async function resetLink(email: string) {
    await signInForTokens(insole.issuer, { email, password: 'the password a thief knows' }, 'signup');
    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    await agent.postForm(`${insole.issuer}/password/reset`, { email, _csrf: csrf });
    const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);
    return { link, user_id: (await insole.db.collection('users').findOne({ email }))!.user_id as string };
  }

  // The scp is written before the link is spent (account.service.ts recordOnce): spent first, a crash
  // before the log's write lost it, and the retry got "Link expired".
  test('the database lost as the scp is written: the link is not spent yet; the same link then finishes and logs it, once', async () => {
    const email = 'reset.unlogged@innovashoes.example';
    const { link, user_id } = await resetLink(email);
    // Its description ends there (BSON's NUL), unlike the request's `scpr`; the ticket's copy of it has no outbox marker.
    const cut = proxy.stopAt((chunk) => chunk.includes('outbox_pending') && chunk.includes('Success Change Password\0') && chunk.includes(email));
    await lostThenBack(proxy, insole.issuer, cut, () => newPassword(link, 'a password only i know'));
    assert.equal(await insole.db.collection('logs').countDocuments({ type: 'scp', user_id }), 0);

    const retried = await newPassword(link, 'a password only i know');
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Password changed/);
    assert.equal(await insole.db.collection('logs').countDocuments({ type: 'scp', user_id }), 1);
    assert.equal((await new UserAgent(insole.issuer).get(link)).res.status, 400, 'then the link is used up');
  });

  test('answers 503; the same link then ends the sessions and revokes the refresh token, logging scp once', async () => {
    const email = 'reset.midway@innovashoes.example';
    const { config, tokens, agent: elsewhere } = await signInForTokens(insole.issuer, { email, password: 'the password a thief knows' }, 'signup');
    const signedIn = async () => Boolean((await elsewhere.get((await buildAuthorization(config)).url)).left);
    assert.equal(await signedIn(), true, 'control: signed in elsewhere');
    const { user_id } = (await insole.db.collection('users').findOne({ email }))!;

    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    await agent.postForm(`${insole.issuer}/password/reset`, { email, _csrf: csrf });
    const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);

    // revoke-account.ts: the sessions are taken one at a time, by the account's id, after the password's write.
    const cut = proxy.stopAt((chunk) => chunk.includes('findAndModify') && chunk.includes('Session') && chunk.includes(user_id));
    await lostThenBack(proxy, insole.issuer, cut, () => newPassword(link, 'a password only i know'));
    assert.equal(await signedIn(), true, 'the password was written, the sessions not yet ended');

    const retried = await newPassword(link, 'a password only i know');
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Password changed/);
    assert.equal(await signedIn(), false, 'the session elsewhere is over');
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (err: { error?: string }) => err.error === 'invalid_grant');
    await signInForTokens(insole.issuer, { email, password: 'a password only i know' });
    assert.equal(await insole.db.collection('logs').countDocuments({ type: 'scp', user_id }), 1);
    assert.equal((await new UserAgent(insole.issuer).get(link)).res.status, 400, 'then the link is used up');
  });
});
