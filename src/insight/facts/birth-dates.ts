import { calendarDay, dayBounds, yearBounds, type BirthBounds } from './age-bounds.ts';
import { str } from './json-values.ts';

/**
 * Birth dates as profiles hold them → the days they allow. A full date is one day, a year alone a
 * year; a day without a year says nothing about age.
 */

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/;
const YEAR = /^(\d{4})$/;

function fromParts(year: string, month: string, day: string): BirthBounds | undefined {
  const date = calendarDay(Number(year), Number(month), Number(day));
  return date ? dayBounds(date) : undefined;
}

/**
 * `dateOfBirth`, FullContact's `birthDate`: a BSON date, an ISO date (a date-time counts by the
 * date written, the day its writer meant), or a year. Slashed dates are refused here: 04/05/1990 is
 * April in the US and May elsewhere.
 */
export function parseBirthDate(value: unknown): BirthBounds | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : dayBounds(value);
  const text = str(value);
  if (!text) return undefined;
  const iso = ISO_DAY.exec(text);
  if (iso) return fromParts(iso[1], iso[2], iso[3]);
  const year = YEAR.exec(text);
  return year ? yearBounds(Number(year[1])) : undefined;
}

/**
 * Facebook's `birthday`: what the mapper stores (`YYYY-MM-DD`, `--MM-DD`, `YYYY`; see
 * src/auth/profile-mapping.ts) and Graph's own MM/DD/YYYY, MM/DD, YYYY (older or imported
 * profiles). Graph's slashes are always month first, so here they are unambiguous.
 */
export function parseFacebookBirthday(value: unknown): BirthBounds | undefined {
  const text = str(value);
  if (!text || text.startsWith('--')) return undefined;
  const graph = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (graph) return fromParts(graph[3], graph[1], graph[2]);
  if (/^\d{2}\/\d{2}$/.test(text)) return undefined;
  return parseBirthDate(text);
}
