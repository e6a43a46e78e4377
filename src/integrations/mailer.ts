import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../lib/logger.ts';
import { finishedWithin } from '../lib/finished-within.ts';

export interface Mail { to: string; subject: string; html: string; text: string }

export interface Mailer {
  send(mail: Mail): Promise<void>;
  /** Sends without making the caller wait (or reveal by its timing whether a mail went out). */
  sendInBackground(mail: Mail): void;
  /** Mails handed to sendInBackground and not yet sent (or failed). */
  sending(): number;
  /**
   * Waits up to `waitMs` for the mails still being sent, then closes the transport. A page already
   * told the shopper a link is on its way: a shutdown that exits under it lost the mail.
   */
  close(waitMs?: number): Promise<void>;
}

/**
 * nodemailer over SMTP_URL. Without it (development), each mail is written to
 * <data_dir>/mail/<time>-<to>.eml and its links are logged, so a developer can click them.
 */
export function createMailer(config: Config, logger: Logger): Mailer {
  const smtp = config.mail.smtp_url;
  const transport = smtp
    ? nodemailer.createTransport(smtp, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const folder = resolve(config.data_dir, 'mail');

  async function send(mail: Mail): Promise<void> {
    const { reply_to: replyTo } = config.mail;
    const info = await transport.sendMail({ from: config.mail.from, ...(replyTo ? { replyTo } : {}), ...mail });
    if (smtp) {
      logger.info({ subject: mail.subject }, 'mail sent');
      return;
    }
    await mkdir(folder, { recursive: true });
    const file = resolve(folder, `${Date.now()}-${mail.to.replace(/[^\w.@-]/g, '_')}.eml`);
    await writeFile(file, (info as unknown as { message: Buffer }).message);
    // Development only: there is no inbox, so the links go to the log.
    logger.info({ to: mail.to, subject: mail.subject, file, links: mail.text.match(/https?:\/\/\S+/g) ?? [] }, 'mail written (no SMTP_URL)');
  }

  const inFlight = new Set<Promise<void>>();
  return {
    send,
    sendInBackground(mail) {
      const sent: Promise<void> = send(mail)
        .catch((err: unknown) => logger.error({ err: { message: (err as Error).message }, subject: mail.subject }, 'mail could not be sent'))
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    },
    sending: () => inFlight.size,
    async close(waitMs = 0) {
      await finishedWithin(Promise.all(inFlight), waitMs); // each mail's own failure is logged where it is sent
      transport.close();
    },
  };
}
