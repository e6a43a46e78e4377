import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from './support/hooks.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { attempt } from './support/sign-in-attempt.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

/**
 * An unblock link is used up only after the block is lifted (account.service.ts), as the
 * verification and reset links are (verification-link-retry.test.ts, reset-link-retry.test.ts).
 * Spent first, a database lost before the block's counter was deleted left the network blocked and
 * the retry got "Link expired". The database is behind a TCP proxy that dies at that delete.
 */
describe('an unblock link whose database is lost before the block is lifted', () => {
  let inbox: Inbox;
  let proxy: TcpProxy;
  let insole: TestInsole;
  before(async () => {
    inbox = await startInbox();
    const database = new URL(testDatabaseUri());
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port) });
    database.port = String(proxy.port);
    insole = await startTestInsole({
      mail: { smtp_url: inbox.url },
      trust_proxy: 'loopback', // the tests act as clients behind a proxy on loopback
      attack_protection: { brute_force: { max_attempts: 3 } },
    }, database.toString());
  });
  after(async () => { await insole.stop(); await proxy.close(); await inbox.close(); });

  /** Opens the link and presses Unblock: the answer. */
  async function pressUnblock(link: string) {
    const agent = new UserAgent(insole.issuer);
    const html = await (await agent.get(link)).res.text();
    const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1]!;
    const answer = await agent.postForm(`${insole.issuer}/account/unblock`, { ticket, _csrf: readForm(html).csrf });
    return { status: answer.res.status, html: await answer.res.text() };
  }

  test('answers 503; the same link then lifts the block', async () => {
    const email = 'unblock.midway@innovashoes.example';
    const password = 'laces double knotted';
    await signInForTokens(insole.issuer, { email, password }, 'signup');
    for (const wrong of ['wrong one', 'wrong two', 'wrong three']) await attempt(insole, email, wrong, '203.0.113.9');
    assert.equal((await attempt(insole, email, password, '203.0.113.9')).status, 401, 'control: blocked');
    const { user_id } = (await insole.db.collection('users').findOne({ email }))!;
    const link = inbox.linkIn(await inbox.waitFor(email, /blocked/i), `${insole.issuer}/account/unblock?ticket=`);

    // attack-protection.ts: the block is the brute-force counter of (user, IP) in rate_limits.
    const cut = proxy.stopAt((chunk) => chunk.includes('rate_limits') && chunk.includes('delete') && chunk.includes(user_id));
    assert.equal((await pressUnblock(link)).status, 503);
    await cut;
    await proxy.start();
    await until('the database to be reachable again', async () => (await fetch(`${insole.issuer}/health/ready`)).status === 200);
    assert.equal((await attempt(insole, email, password, '203.0.113.9')).status, 401, 'still blocked: the lift was cut');

    const retried = await pressUnblock(link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Sign-ins unblocked/);
    assert.ok((await attempt(insole, email, password, '203.0.113.9')).left, 'unblocked');
    assert.deepEqual((await insole.db.collection('users').findOne({ email }))!.blocked_for, []);
    assert.equal((await pressUnblock(link)).status, 400, 'then the link is used up');
  });
});
