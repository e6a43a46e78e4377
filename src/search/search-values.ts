import { SearchQueryError } from './search-query-error.ts';

/** Every regex metacharacter escaped: user text in a `$regex` only ever matches itself. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * A wildcard term as a regex source, anchored wherever the term has no `*`: `jo*` → `^jo` (a plain
 * prefix, which an index on a case-sensitive field can serve), `*usa` → `usa$`, `*john*` → `john`,
 * `jane*smith` → `^jane.*smith$`. `start` is `^`, or `@` for the domain part of an email.
 * Auth0's rule (user and log search docs): a prefix needs one character, any other use of `*` at
 * least 3 literal characters. We also allow at most two `*`: with two `.*` a regex can backtrack at
 * most quadratically over one (short) field value.
 */
export function wildcardPattern(pieces: readonly string[], position: number, start = '^'): string {
  if (pieces.length > 3) throw new SearchQueryError(position, 'at most two "*" are allowed in one term', 'field');
  const literal = pieces.join('').length;
  const isPrefix = pieces.length === 2 && pieces[0] !== '' && pieces[1] === '';
  if (!isPrefix && literal < 3) {
    throw new SearchQueryError(position, 'a "*" anywhere but at the end needs at least 3 other characters (name:*usa, not name:*sa)', 'field');
  }
  let source = `${start}${pieces.map(escapeRegex).join('.*')}$`;
  if (source.startsWith('^.*')) source = source.slice(3);
  if (source.endsWith('.*$')) source = source.slice(0, -3);
  return source;
}

const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isNumberLiteral(text: string): boolean {
  return NUMBER.test(text) && Number.isFinite(Number(text));
}

export function parseNumber(text: string, position: number): number {
  if (!isNumberLiteral(text)) throw new SearchQueryError(position, `expected a number, found ${JSON.stringify(text.slice(0, 40))}`, 'field');
  return Number(text);
}

export function parseBoolean(text: string, position: number): boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  throw new SearchQueryError(position, `expected true or false, found ${JSON.stringify(text.slice(0, 40))}`, 'field');
}

/** The half-open instant range [start, end) that a date written to some precision stands for. */
export interface DateSpan { start: Date; end: Date }

// YYYY, YYYY-MM, YYYY-MM-DD, then THH:mm[:ss[.sss]] with an optional Z or ±HH:MM (UTC when absent).
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/i;
const DATE_HELP = 'expected a date: YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 time such as 2024-05-01T12:30:00Z';

/**
 * `2017-12` is all of December 2017, so a date is a span, and Auth0's own examples read that way:
 * `last_login:[2017-12-01 TO 2017-12-31]` includes the whole of the 31st, `{2017-11 TO 2017-12]` is
 * December, and `date:[2018-12 TO 2019-01-01}` ends before New Year's Day.
 */
export function parseDateSpan(text: string, position: number): DateSpan {
  const match = DATE.exec(text);
  if (!match) throw new SearchQueryError(position, `${DATE_HELP}; found ${JSON.stringify(text.slice(0, 40))}`, 'field');
  const [, y, mo, d, h, mi, s, ms, zone] = match;
  const fields = [Number(y), mo ? Number(mo) - 1 : 0, d ? Number(d) : 1, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((ms ?? '0').padEnd(3, '0'))];
  const start = utc(fields);
  const valid = start.getUTCFullYear() === fields[0] && start.getUTCMonth() === fields[1] && start.getUTCDate() === fields[2]
    && fields[3] <= 23 && fields[4] <= 59 && fields[5] <= 59 && zoneMinutes(zone) !== null;
  if (!valid) throw new SearchQueryError(position, `${JSON.stringify(text)} is not a valid date`, 'field');
  // Precision decides the span: the next year, month or day, or the next minute, second or millisecond.
  const next = [...fields];
  const unit = ms ? 6 : s ? 5 : h ? 4 : d ? 2 : mo ? 1 : 0;
  next[unit] += 1;
  const shift = (zoneMinutes(zone) ?? 0) * 60_000;
  return { start: new Date(start.getTime() - shift), end: new Date(utc(next).getTime() - shift) };
}

/** Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. Overflowing fields carry over. */
function utc([year, month, day, hour, minute, second, milli]: number[]): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, milli);
  return date;
}

function zoneMinutes(zone: string | undefined): number | null {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}
