import type { z } from 'zod';
import { BadRequestError } from '../../errors/app-error.ts';

/** Where an input comes from: it decides how a problem is worded (a person filling a form, or a program). */
export type InputSource = 'params' | 'query' | 'body' | 'form';

/**
 * The one schema guard at the edge: every route parses its path parameters, query and body here
 * before anything reaches a service or a query. The first problem becomes a 400 whose message says
 * which input is wrong and why; how it is shown (Auth0's JSON, or the form again) is the error
 * handler's business, not the route's.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, source: InputSource): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (source === 'form') throw new BadRequestError(formMessage(issue));
  throw new BadRequestError(apiMessage(issue, source), ERROR_CODE[source]);
}

// Auth0's errorCode for each kind of bad input.
const ERROR_CODE = { params: 'invalid_uri', query: 'invalid_query_string', body: 'invalid_body' } as const;

const NOUN: Record<Exclude<InputSource, 'form'>, string> = { params: 'Path parameter', query: 'Query parameter', body: 'Payload property' };

function apiMessage(issue: z.core.$ZodIssue, source: Exclude<InputSource, 'form'>): string {
  // Inside a nested object the key is named by its whole path (filter.age.mx), so it can be found.
  if (issue.code === 'unrecognized_keys') return `${NOUN[source]} not allowed: ${issue.keys.map((key) => [...issue.path, key].join('.')).join(', ')}.`;
  // zod's own messages have no full stop; ours (the metadata checks) end with one already.
  const message = issue.message.replace(/\.$/, '');
  if (!issue.path.length) return source === 'body' ? `Payload validation error: ${message}.` : `${message}.`;
  return `${NOUN[source]} "${issue.path.join('.')}": ${message}.`;
}

// Hosted pages: a sentence fit for a shopper, about the field they can see.
function formMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `Unexpected field: ${issue.keys.join(', ')}.`;
  if (issue.code === 'invalid_type' && issue.path.length) {
    const field = String(issue.path[0]);
    if (field === 'email') return 'Enter a valid email address.';
    if (field === 'password') return 'Enter your password.';
    return `The field "${field}" is missing or has the wrong type.`;
  }
  return issue.message;
}
