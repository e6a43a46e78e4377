import { z } from 'zod';
import { parseInput } from './edge/input.ts';

// Emails are compared trimmed and lower-cased. z.email() accepts ASCII addresses only, which also
// keeps Unicode look-alikes (Cyrillic "а" for Latin "a") from creating confusable accounts.
export const emailField = z.string({ error: 'Enter your email address.' })
  .trim().toLowerCase().max(254, 'That email address is too long.')
  .pipe(z.email({ error: 'Enter a valid email address.' }));

// Bounded before hashing, so a megabyte "password" cannot make us hash a megabyte.
const passwordField = z.string({ error: 'Enter your password.' })
  .min(1, 'Enter your password.').max(1024, 'That password is too long.');

export const credentialsForm = z.object({
  email: emailField,
  password: passwordField,
  _csrf: z.string().max(512),
}).strict();

export const consentForm = z.object({ _csrf: z.string().max(512) }).strict();

/** A form that asks only for an email (a reset or a new confirmation link, a social sign-in's email step). */
export const emailForm = z.object({ email: emailField, _csrf: z.string().max(512) }).strict();

/** The words of the page that asks for a reset link: on its own (/password/reset) and inside a sign-in. */
export const RESET_REQUEST = {
  title: 'Reset your password', lead: 'Enter the email of your account and we will send you a link to choose a new password.', button: 'Send reset link',
};

/** What was typed in a form's email field, bounded: a form shown again keeps it, so a typo is fixed rather than retyped. */
export function typedEmail(body: unknown): string {
  const email = (body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.slice(0, 254) : '';
}

/** A hosted page's form through the edge guard: the first problem becomes a 400 fit for a person. */
export function parseForm<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  return parseInput(schema, body, 'form');
}
