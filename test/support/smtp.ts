import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Inbox {
  url: string;
  mails: ParsedMail[];
  /** Waits for a mail to `to` whose subject matches, and returns it. */
  waitFor(to: string, subject: RegExp, timeoutMs?: number): Promise<ParsedMail>;
  /** Waits for the n-th such mail (1 = the first), in the order they arrived. */
  waitForNth(to: string, subject: RegExp, n: number, timeoutMs?: number): Promise<ParsedMail>;
  /** Recipients whose RCPT TO is being held (startInbox's `holdUntil`): their mail has not been sent yet. */
  held: string[];
  /** The first link in a mail's text that starts with `prefix`. */
  linkIn(mail: ParsedMail, prefix: string): string;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback (npm smtp-server) that keeps every mail it receives. With
 * `holdUntil`, each recipient is answered only once that promise settles: a mail in the middle of
 * being sent, whose sender must stay to finish it.
 */
export async function startInbox({ holdUntil }: { holdUntil?: Promise<unknown> } = {}): Promise<Inbox> {
  const mails: ParsedMail[] = [];
  const held: string[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onRcptTo(address, _session, callback) {
      if (!holdUntil) return callback();
      held.push(address.address);
      holdUntil.then(() => callback(), () => callback());
    },
    onData(stream, _session, done) {
      simpleParser(stream).then((mail) => { mails.push(mail); done(); }, done);
    },
  });
  // A sender that goes away in the middle of a mail (a process that exits) loses that mail; the server goes on.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  const recipients = (mail: ParsedMail) => [mail.to].flat().flatMap((a) => a?.value.map((v) => v.address?.toLowerCase()) ?? []);

  async function waitForNth(to: string, subject: RegExp, n: number, timeoutMs = 10_000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = mails.filter((m) => recipients(m).includes(to.toLowerCase()) && subject.test(m.subject ?? ''))[n - 1];
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no mail #${n} to ${to} matching ${subject} (got: ${mails.map((m) => m.subject).join(' | ')})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    held,
    waitFor: (to, subject, timeoutMs) => waitForNth(to, subject, 1, timeoutMs),
    waitForNth,
    linkIn(mail, prefix) {
      const link = (mail.text ?? '').match(/https?:\/\/\S+/g)?.find((l) => l.startsWith(prefix));
      if (!link) throw new Error(`no link starting with ${prefix} in:\n${mail.text}`);
      return link;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
