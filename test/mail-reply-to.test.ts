// mail.reply_to (MAIL_REPLY_TO): the Reply-To of every mail insole sends, read off the mails a real
// SMTP server on loopback receives.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { signInForTokens } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { readForm, UserAgent } from './support/user-agent.ts';

const REPLY_TO = 'support@innovashoes.example';

describe('mail.reply_to', () => {
  let inbox: Inbox;
  let insole: TestInsole;
  before(async () => {
    inbox = await startInbox();
    insole = await startTestInsole({ mail: { smtp_url: inbox.url, reply_to: REPLY_TO } });
  });
  after(async () => { await insole.stop(); await inbox.close(); });

  const replyTo = (mail: Awaited<ReturnType<Inbox['waitFor']>>) => mail.replyTo?.value.map((a) => a.address);

  test('the verification and password-reset mails carry it as their Reply-To, the From unchanged', async () => {
    const email = 'answers.welcome@innovashoes.example';
    await signInForTokens(insole.issuer, { email, password: 'reply to the right desk' }, 'signup');
    const verify = await inbox.waitFor(email, /Confirm your email/);

    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    await agent.postForm(`${insole.issuer}/password/reset`, { email, _csrf: csrf });
    const reset = await inbox.waitFor(email, /Reset your/);

    for (const mail of [verify, reset]) {
      assert.deepEqual(replyTo(mail), [REPLY_TO], mail.subject);
      assert.deepEqual(mail.from?.value.map((a) => a.address), ['no-reply@innovashoes.example'], mail.subject);
    }
  });
});
