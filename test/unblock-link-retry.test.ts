import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { lostThenBack, proxiedDatabase } from './support/proxied-database.ts';
import { signInForTokens } from './support/relying-party.ts';
import { attempt } from './support/sign-in-attempt.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import type { TcpProxy } from './support/tcp-proxy.ts';
import { pressLink } from './support/user-agent.ts';

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
    let uri: string;
    ({ proxy, uri } = await proxiedDatabase());
    insole = await startTestInsole({
      mail: { smtp_url: inbox.url },
      trust_proxy: 'loopback', // the tests act as clients behind a proxy on loopback
      attack_protection: { brute_force: { max_attempts: 3 } },
    }, uri);
  });
  after(async () => { await insole.stop(); await proxy.close(); await inbox.close(); });

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
    await lostThenBack(proxy, insole.issuer, cut, () => pressLink(insole.issuer, link));
    assert.equal((await attempt(insole, email, password, '203.0.113.9')).status, 401, 'still blocked: the lift was cut');

    const retried = await pressLink(insole.issuer, link);
    assert.equal(retried.status, 200);
    assert.match(retried.html, /Sign-ins unblocked/);
    assert.ok((await attempt(insole, email, password, '203.0.113.9')).left, 'unblocked');
    assert.deepEqual((await insole.db.collection('users').findOne({ email }))!.blocked_for, []);
    assert.equal((await pressLink(insole.issuer, link)).status, 400, 'then the link is used up');
  });
});
