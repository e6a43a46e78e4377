import { z } from 'zod';

/**
 * What is wrong with an SMTP_URL, in words that never repeat it (it carries the relay's password).
 * nodemailer takes any string and fails only at the first mail: without a host it sent to
 * localhost; a URL Node cannot parse (a port that is no number, an unencoded # in the password)
 * made the user name the host, and Node's warning about it (DEP0170) printed the whole URL,
 * password included, to stderr.
 */
export function smtpUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) {
    return 'is not a valid URL: write smtp://[user:password@]host[:port] (or smtps://), percent-encoding special characters in the user name and password';
  }
  const url = new URL(value);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return 'must be an smtp:// or smtps:// URL (smtps: TLS from the start, usually port 465)';
  if (!url.hostname) return 'names no host: write smtp://[user:password@]host[:port], e.g. smtp://mail-relay:587';
  return undefined;
}

export const smtpUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = smtpUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
