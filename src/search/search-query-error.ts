import { AppError } from '../errors/app-error.ts';

/**
 * A `q` that cannot be run: malformed, too big, naming an unknown field, or with a value of the wrong
 * type. Always 400 `invalid_query_string` (Auth0's error code for a bad `q`), and the message names
 * the 0-based character offset in `q` where the problem is, so a caller can point at it.
 */
export class SearchQueryError extends AppError {
  readonly position: number;

  constructor(position: number, detail: string, kind: 'syntax' | 'field' = 'syntax') {
    super('invalid_query_string', 400, `Query ${kind === 'syntax' ? 'syntax error' : 'error'} at position ${position}: ${detail}`);
    this.position = position;
  }
}

/** User text quoted in a message, cut so that a 4 kB field name does not make a 4 kB message. */
export function quoted(text: string, max = 64): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
