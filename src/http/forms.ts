import { z } from 'zod';
import { BadRequestError } from '../errors/app-error.ts';

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

/** Parses a body against a schema; the first problem becomes a 400 with a message fit for a person. */
export function parseForm<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const message = issue.code === 'unrecognized_keys' ? `Unexpected field: ${issue.keys.join(', ')}.`
    : issue.code === 'invalid_type' && issue.path.length ? fieldMessage(String(issue.path[0]))
    : issue.message;
  throw new BadRequestError(message);
}

function fieldMessage(field: string): string {
  if (field === 'email') return 'Enter a valid email address.';
  if (field === 'password') return 'Enter your password.';
  return `The field "${field}" is missing or has the wrong type.`;
}
