import { BadRequestError } from '../errors/app-error.ts';

/**
 * A connection a Management API request names (insole has no connection ids: the name stands for
 * one). An unknown name is a 400 naming the known ones: as a filter it would match nobody, and an
 * empty answer reads as "no such users" when the name was mistyped (`google` for `google-oauth2`).
 * Empty or absent: none named.
 */
export function knownConnection(name: string | undefined, connections: readonly string[]): string | undefined {
  if (name === undefined || name === '') return undefined;
  if (!connections.includes(name)) {
    throw new BadRequestError(`The connection does not exist: ${name.slice(0, 100)}. insole names connections: ${connections.join(', ')}.`, 'inexistent_connection');
  }
  return name;
}
